"""The app's settings: the model, its validation, merging, and the endpoints it names.

Defaults come from ``config.json`` next to index.html (``serve.py`` serves one for the
emulator); the user's edits are saved in localStorage. Only non-secret values live here:
a PKCE public client has no secret.

Everything here is untrusted input, typed or read back: localStorage is shared by every
page of the origin (all project pages of one ``*.github.io`` account), so a stored value
may have been planted. One validation serves typed settings, stored settings and
``config.json``, with the address checks of ``urls``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from urllib.parse import urlsplit, urlunsplit

from app.boot.address import page_base_url
from app.core import scopes
from app.core.urls import (
    AUTHORIZE_PATH,
    INFO_TOKEN_INFO,
    REVOKE_PATH,
    TOKEN_INFO_PATH,
    TOKEN_PATH,
    Endpoints,
    client_id_problems,
    iss_parameter_problems,
    url_problems,
)

DEFAULT_SCOPE = "profile source:w alert:w schedule offline_access"

# Settings.server: how the endpoints are found.
SERVER_ILERT = "ilert"  # ilert's paths under ilert_host / api_base (ilert, tenant, emulator)
SERVER_CUSTOM = "custom"  # every endpoint given one by one (any RFC 6749 server)
SERVERS = (SERVER_ILERT, SERVER_CUSTOM)

# A custom server's settings besides its issuer: what "Fill from issuer" (RFC 8414) sets,
# and what the page's form and the terminal client's flags name alike.
SERVER_FIELDS = (
    "authorize_url",
    "token_url",
    "revoke_url",
    "info_url",
    "info_kind",
    "iss_parameter",
)

_TENANT_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E, separated by single spaces.
_SCOPE_TOKEN_RE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")


@dataclass(frozen=True)
class Settings:
    client_id: str = ""
    ilert_host: str = "https://app.ilert.com"  # where the authorize page lives
    tenant: str = ""  # optional: authorize on TENANT.ilert.com (skips the login step)
    api_base: str = "https://api.ilert.com/api"  # token endpoints and REST API
    redirect_uri: str = ""  # "" = this page's own URL
    scope: str = DEFAULT_SCOPE
    # How the endpoints are found: ilert's layout under the two hosts above, or "custom".
    server: str = SERVER_ILERT
    # Custom server only (server == "custom"): every endpoint one by one.
    authorize_url: str = ""
    token_url: str = ""
    revoke_url: str = ""
    info_url: str = ""
    info_kind: str = INFO_TOKEN_INFO
    issuer: str = ""  # RFC 9207: compared with `iss` on the callback (any server)
    iss_parameter: str = ""  # ISS_REQUIRED: the server sends `iss` on every answer

    @classmethod
    def from_dict(cls, data: dict | None) -> Settings:
        """Build from a dict, ignoring unknown keys and non-string values."""
        known = {f.name for f in fields(cls)}
        clean = {k: v.strip() for k, v in (data or {}).items() if k in known and isinstance(v, str)}
        return cls(**clean)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @property
    def custom(self) -> bool:
        return self.server == SERVER_CUSTOM

    def authorize_host(self) -> str:
        """The host the browser is sent to; with a tenant, ``TENANT.<host>``.

        ``https://app.ilert.com`` + ``acme`` → ``https://acme.ilert.com`` (the "app." label is
        replaced); any other host gets the tenant prepended, so the emulator's
        ``http://localhost:4598`` becomes ``http://acme.localhost:4598``.
        """
        host = self.ilert_host.rstrip("/")
        if not self.tenant:
            return host
        parts = urlsplit(host)
        name = parts.hostname or ""
        name = name[len("app.") :] if name.startswith("app.") else name
        netloc = f"{self.tenant}.{name}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, "", "", ""))

    def endpoints(self) -> Endpoints:
        """The endpoints these settings name (not validated: see validate())."""
        if self.custom:
            return Endpoints(
                client_id=self.client_id,
                authorize=self.authorize_url,
                token=self.token_url,
                revoke=self.revoke_url,
                info=self.info_url,
                info_kind=self.info_kind,
                api_base=self.api_base.rstrip("/"),
                issuer=self.issuer,
                iss_parameter=self.iss_parameter,
            )
        api = self.api_base.rstrip("/")
        return Endpoints(
            client_id=self.client_id,
            authorize=self.authorize_host() + AUTHORIZE_PATH,
            token=api + TOKEN_PATH,
            revoke=api + REVOKE_PATH,
            info=api + TOKEN_INFO_PATH,
            info_kind=INFO_TOKEN_INFO,
            api_base=api,
            issuer=self.issuer,
            iss_parameter=self.iss_parameter,
        )

    def authorize_endpoint(self) -> str:
        return self.endpoints().authorize

    def token_endpoint(self) -> str:
        return self.endpoints().token

    def token_info_endpoint(self) -> str:
        return self.endpoints().info

    def revoke_endpoint(self) -> str:
        return self.endpoints().revoke

    def effective_redirect_uri(self, page_url: str) -> str:
        return self.redirect_uri or page_base_url(page_url)


def _scope_problems(settings: Settings) -> list[str]:
    if not settings.scope.strip():
        return ["choose at least one scope"]
    if settings.custom:  # another server's scopes: only RFC 6749's syntax applies
        if not all(_SCOPE_TOKEN_RE.match(t) for t in settings.scope.split()):
            return ["the scope may only contain printable characters without quotes or '\\'"]
        return []
    try:
        scopes.parse(settings.scope)
    except scopes.ScopeError as exc:
        return [f"the scope is not valid: {exc}"]
    return []


def validate(settings: Settings) -> list[str]:
    """Readable problems with the settings; an empty list means they are usable."""
    problems = client_id_problems(settings.client_id)
    if settings.server not in SERVERS:
        problems.append("the server kind must be 'ilert' or 'custom'")
    elif settings.custom:
        endpoints = settings.endpoints()
        problems += [p for p in endpoints.validate() if "client id" not in p]
    else:
        problems += url_problems(settings.ilert_host, "the ilert host", allow_path=False)
        if settings.tenant and not _TENANT_RE.match(settings.tenant):
            problems.append(
                "the tenant must be the name in your ilert address "
                "(lower-case letters, digits, '-')"
            )
        elif settings.tenant and _is_ip_host(settings.ilert_host):
            problems.append("a tenant needs a host name, not an IP address, as the ilert host")
        problems += url_problems(settings.api_base, "the API base")
        if settings.issuer:
            problems += url_problems(settings.issuer, "the issuer")
        problems += iss_parameter_problems(settings.iss_parameter, settings.issuer)
    if settings.redirect_uri:
        problems += url_problems(settings.redirect_uri, "the redirect URI")
    return problems + _scope_problems(settings)


def _is_ip_host(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return ":" in host or host.replace(".", "").isdigit()


def merge(defaults: dict | None, saved: dict | None) -> Settings:
    """Defaults from config.json, overridden by the user's saved (non-empty) values.

    Not validated: use load() for settings read back from storage.
    """
    base = Settings.from_dict(defaults)
    mine = {k: v for k, v in Settings.from_dict(saved).to_dict().items() if k in (saved or {})}
    # An empty saved value means "use the default" except where "" is meaningful.
    mine = {k: v for k, v in mine.items() if v or k in _EMPTY_IS_A_CHOICE}
    return replace(base, **mine)


# Fields where an empty value is the user's choice, not "use the default".
# (api_base: a custom server may have no ilert API; an ilert-layout setting without one
# never passes validation, so it is never saved.)
_EMPTY_IS_A_CHOICE = frozenset(
    {"tenant", "redirect_uri", "revoke_url", "info_url", "issuer", "iss_parameter", "api_base"}
)


def saved_diff(defaults: dict | None, settings: Settings) -> dict[str, str]:
    """Only what the user changed relative to the defaults (what goes to localStorage)."""
    base = Settings.from_dict(defaults).to_dict()
    return {k: v for k, v in settings.to_dict().items() if base.get(k) != v}


@dataclass(frozen=True)
class Loaded:
    """Settings as the page should use them, and what was refused on the way."""

    settings: Settings
    # Why the saved settings were not used (empty when they were, or there were none).
    dropped: tuple[str, ...] = ()
    # Problems the resulting settings still have (e.g. config.json has no client id and
    # none was saved): the page points the user to Settings.
    problems: tuple[str, ...] = ()


def load(defaults: dict | None, saved: object) -> Loaded:
    """config.json's defaults plus the saved settings, both validated like typed input.

    Saved settings that are unreadable, or that make the result worse than the defaults
    alone, are dropped as a whole (a partial mix could pair one server's endpoints with
    another's); the reasons come back for the page to show.
    """
    base = Settings.from_dict(defaults if isinstance(defaults, dict) else None)
    base_problems = validate(base)
    if saved is None:
        return Loaded(base, (), tuple(base_problems))
    if not isinstance(saved, dict):
        return Loaded(base, ("the saved settings are unreadable",), tuple(base_problems))
    known = {f.name for f in fields(Settings)}
    odd = sorted(k for k, v in saved.items() if k in known and not isinstance(v, str))
    if odd:
        reason = f"the saved settings have values of the wrong type ({', '.join(odd)})"
        return Loaded(base, (reason,), tuple(base_problems))
    merged = merge(defaults if isinstance(defaults, dict) else None, saved)
    new_problems = [p for p in validate(merged) if p not in base_problems]
    if new_problems:
        return Loaded(base, tuple(new_problems), tuple(base_problems))
    return Loaded(merged, (), tuple(validate(merged)))
