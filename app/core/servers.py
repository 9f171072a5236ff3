"""Server presets (ilert, ilert tenant, local emulator, custom) and RFC 8414 metadata.

Pure data and decisions: the page offers the presets, fetches the metadata documents
named by ``metadata_urls`` and hands each answer to ``from_metadata``. Whatever comes
back is validated like typed settings before it can be saved.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlsplit, urlunsplit

from app.core.settings import SERVER_CUSTOM, SERVER_FIELDS, SERVER_ILERT, Settings
from app.core.urls import (
    INFO_INTROSPECTION,
    INFO_TOKEN_INFO,
    ISS_REQUIRED,
    Endpoints,
    SettingsError,
    is_loopback_host,
    origin,
    url_problems,
)

ILERT_HOST = "https://app.ilert.com"
ILERT_API_BASE = "https://api.ilert.com/api"
EMULATOR_URL = "http://localhost:4598"  # serve.py's default emulator port

ILERT = "ilert"
ILERT_TENANT = "ilert_tenant"
EMULATOR = "emulator"
CUSTOM = "custom"

METADATA_MAX_BYTES = 256 * 1024  # a metadata document is a few kB; a larger one is not read
WELL_KNOWN_OAUTH = "/.well-known/oauth-authorization-server"  # RFC 8414
WELL_KNOWN_OIDC = "/.well-known/openid-configuration"  # OpenID Connect Discovery


# ilert publishes no issuer: an `iss` on its answers is checked against the sign-in host's
# origin (callback.accepted_issuers), and none is required.
_NO_ISSUER = (("issuer", ""), ("iss_parameter", ""))


@dataclass(frozen=True)
class Preset:
    key: str  # ILERT, ILERT_TENANT, EMULATOR or CUSTOM
    label: str
    description: str
    values: tuple[tuple[str, str], ...]  # the Settings fields the preset sets


def _emulator_values(defaults: dict | None) -> tuple[tuple[str, str], ...]:
    """The emulator as config.json names it (serve.py writes one); else the default port."""
    base = Settings.from_dict(defaults if isinstance(defaults, dict) else None)
    host = urlsplit(base.ilert_host).hostname or ""
    if base.server == SERVER_ILERT and host and is_loopback_host(host):
        values = [("ilert_host", base.ilert_host), ("api_base", base.api_base)]
        if base.client_id:
            values.append(("client_id", base.client_id))
    else:
        values = [("ilert_host", EMULATOR_URL), ("api_base", EMULATOR_URL + "/api")]
    return (("server", SERVER_ILERT), ("tenant", ""), *_NO_ISSUER, *values)


def presets(defaults: dict | None = None) -> tuple[Preset, ...]:
    """The presets in the order the page offers them (ilert first: the default)."""
    ilert = (
        ("server", SERVER_ILERT),
        ("ilert_host", ILERT_HOST),
        ("api_base", ILERT_API_BASE),
        *_NO_ISSUER,
    )
    return (
        Preset(ILERT, "ilert", "app.ilert.com and api.ilert.com", (*ilert, ("tenant", ""))),
        Preset(
            ILERT_TENANT,
            "ilert tenant",
            "sign in at YOUR-TENANT.ilert.com (skips the login step when already logged in)",
            ilert,  # the tenant itself comes from the user
        ),
        Preset(
            EMULATOR,
            "local emulator",
            "the ilert emulator on this machine",
            _emulator_values(defaults),
        ),
        Preset(
            CUSTOM,
            "custom server",
            "any OAuth 2.0 server: every endpoint one by one, or filled from its issuer",
            (("server", SERVER_CUSTOM),),
        ),
    )


def preset(key: str, defaults: dict | None = None) -> Preset:
    for item in presets(defaults):
        if item.key == key:
            return item
    raise KeyError(key)


def apply_preset(
    settings: Settings, key: str, defaults: dict | None = None, tenant: str = ""
) -> Settings:
    """``settings`` switched to a preset (not validated: the page validates before saving).

    Switching to *custom* starts from the endpoints currently in use, so the user edits
    rather than retypes them. Raises KeyError for an unknown key.
    """
    chosen = preset(key, defaults)
    if key == CUSTOM and not settings.custom:
        now = settings.endpoints()
        settings = replace(
            settings,
            authorize_url=now.authorize,
            token_url=now.token,
            revoke_url=now.revoke,
            info_url=now.info,
            info_kind=now.info_kind,
        )
    new = replace(settings, **dict(chosen.values))
    if key == ILERT_TENANT:
        new = replace(new, tenant=tenant.strip().lower())
    return new


def _same_url(a: str, b: str) -> bool:
    """Same origin and same path (trailing slash ignored): how presets are recognised."""
    return origin(a) == origin(b) != "" and _path(a) == _path(b)


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/")


def active_preset(settings: Settings, defaults: dict | None = None) -> str:
    """Which preset the settings are (ILERT, ILERT_TENANT, EMULATOR or CUSTOM).

    ilert's layout on hosts no preset names counts as CUSTOM: the page then shows the
    endpoints themselves.
    """
    if settings.custom:
        return CUSTOM
    if _same_url(settings.ilert_host, ILERT_HOST) and _same_url(settings.api_base, ILERT_API_BASE):
        return ILERT_TENANT if settings.tenant else ILERT
    emulator = dict(preset(EMULATOR, defaults).values)
    if _same_url(settings.ilert_host, emulator["ilert_host"]) and _same_url(
        settings.api_base, emulator["api_base"]
    ):
        return EMULATOR
    return CUSTOM


# --- RFC 8414 metadata -------------------------------------------------------------------------


def metadata_urls(issuer: str) -> list[str]:
    """Where to look for an issuer's metadata, in order (RFC 8414 §3.1, then OIDC Discovery).

    RFC 8414 inserts the well-known path between host and the issuer's path; OpenID
    Connect appends it. Raises SettingsError for an unusable issuer.
    """
    issuer = issuer.strip()
    problems = url_problems(issuer, "the issuer")
    if problems:
        raise SettingsError(problems)
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    oauth = urlunsplit((parts.scheme, parts.netloc, WELL_KNOWN_OAUTH + path, "", ""))
    oidc = urlunsplit((parts.scheme, parts.netloc, path + WELL_KNOWN_OIDC, "", ""))
    return [oauth, oidc]


# The fields "Fill from issuer" sets (besides the issuer and the server kind).
FILLED_FIELDS = SERVER_FIELDS


def unfilled(current: Settings, before: Settings) -> Settings:
    """The form after a failed fill: the filled fields as they were before the first
    unsaved fill (what the user typed, or the saved settings), everything else as it is
    now. So a failed fill never leaves another issuer's endpoints next to this issuer."""
    return replace(current, **{name: getattr(before, name) for name in FILLED_FIELDS})


@dataclass(frozen=True)
class Discovered:
    settings: Settings  # a custom-server setting, validated like typed input
    notes: tuple[str, ...] = ()  # plain-language remarks for the page (missing features)


def _optional_url(metadata: dict, key: str, problems: list[str]) -> str:
    value = metadata.get(key, "")
    if not isinstance(value, str):
        problems.append(f"the server's metadata has an unreadable {key}")
        return ""
    return value.strip()


def from_metadata(
    issuer: str, metadata: object, settings: Settings, api_base: str = ""
) -> Discovered:
    """A custom-server setting from an issuer's metadata document (RFC 8414 §2).

    ``issuer`` is what the metadata was fetched for; the document's own ``issuer`` must be
    identical (§3.3), or it may describe another server and is refused. Client id and
    scope are kept from ``settings``. Raises SettingsError with plain-language problems.
    """
    issuer = issuer.strip()
    if not isinstance(metadata, dict):
        raise SettingsError(["the server's metadata is not a JSON object"])
    claimed = metadata.get("issuer")
    if claimed != issuer:
        shown = claimed if isinstance(claimed, str) else "nothing"
        raise SettingsError(
            [
                f"the metadata fetched for {issuer} names {shown} as its issuer; they must be "
                "identical (RFC 8414 §3.3), so it was not used"
            ]
        )
    problems: list[str] = []
    authorize = _optional_url(metadata, "authorization_endpoint", problems)
    token = _optional_url(metadata, "token_endpoint", problems)
    revoke = _optional_url(metadata, "revocation_endpoint", problems)
    introspect = _optional_url(metadata, "introspection_endpoint", problems)
    if not authorize or not token:
        problems.append("the server's metadata has no authorization or token endpoint")
    types = metadata.get("response_types_supported")
    if isinstance(types, list) and "code" not in types:
        problems.append("the server does not offer the authorization code flow")
    methods = metadata.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        problems.append("the server does not support PKCE with S256")
    if problems:
        raise SettingsError(problems)
    endpoints = Endpoints(
        client_id=settings.client_id or "-",
        authorize=authorize,
        token=token,
        revoke=revoke,
        info=introspect,
        info_kind=INFO_INTROSPECTION if introspect else INFO_TOKEN_INFO,
        api_base=api_base.strip().rstrip("/"),
        issuer=issuer,
    )
    problems = [p for p in endpoints.validate() if "client id" not in p]
    if problems:
        raise SettingsError(problems)
    # RFC 9207 §3: a server that says it always sends `iss` has an answer without one refused.
    iss = (
        ISS_REQUIRED
        if metadata.get("authorization_response_iss_parameter_supported") is True
        else ""
    )
    notes = []
    if not isinstance(methods, list):
        notes.append("the server does not say whether it supports PKCE (S256 is used anyway)")
    if not revoke:
        notes.append("the server offers no revocation: signing out only forgets the tokens")
    if not introspect:
        notes.append("the server offers no introspection: token info is not available")
    new = replace(
        settings,
        server=SERVER_CUSTOM,
        authorize_url=authorize,
        token_url=token,
        revoke_url=revoke,
        info_url=introspect,
        info_kind=endpoints.info_kind,
        api_base=endpoints.api_base,
        issuer=issuer,
        iss_parameter=iss,
    )
    return Discovered(new, tuple(notes))
