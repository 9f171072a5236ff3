"""The app's settings: model, validation, merging, and the endpoints derived from them.

Defaults come from ``config.json`` next to index.html (``serve.py`` serves one for the
emulator); the user's edits are saved in localStorage. Only non-secret values live here:
a PKCE public client has no secret.

Everything here is untrusted input, typed or read back: localStorage is shared by every
page of the origin (all project pages of one ``*.github.io`` account), so a stored value
may have been planted. One validation serves typed settings, stored settings and
``config.json``: addresses are parsed, hosts compared by parsed hostname (no user info,
no look-alike suffixes), plain ``http`` only for loopback.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from urllib.parse import urlsplit, urlunsplit

from app.boot.address import page_base_url
from app.core import scopes

TOKEN_PATH = "/developers/oauth2/token"
TOKEN_INFO_PATH = "/developers/oauth2/token_info"
REVOKE_PATH = "/developers/oauth2/revoke"
AUTHORIZE_PATH = "/api/developers/oauth2/authorize"

DEFAULT_SCOPE = "profile source:w alert:w schedule offline_access"

# Settings.server: how the endpoints are found.
SERVER_ILERT = "ilert"  # ilert's paths under ilert_host / api_base (ilert, tenant, emulator)
SERVER_CUSTOM = "custom"  # every endpoint given one by one (any RFC 6749 server)
SERVERS = (SERVER_ILERT, SERVER_CUSTOM)

# Endpoints.info_kind: what the "token info" endpoint speaks.
INFO_TOKEN_INFO = "token_info"  # ilert's POST token=<access token>
INFO_INTROSPECTION = "introspection"  # RFC 7662 (POST token=..., token_type_hint, client_id)
INFO_KINDS = (INFO_TOKEN_INFO, INFO_INTROSPECTION)

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
# Endpoints.iss_parameter: whether the server puts RFC 9207's `iss` on every answer.
ISS_REQUIRED = "required"  # it says so (metadata: authorization_response_iss_parameter_supported)
ISS_PARAMETERS = ("", ISS_REQUIRED)  # "": not known; an `iss` that comes is checked all the same

_TENANT_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
# RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E, separated by single spaces.
_SCOPE_TOKEN_RE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class SettingsError(ValueError):
    """Settings (or recorded endpoints) that cannot be used; ``problems`` are plain language."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# --- addresses ----------------------------------------------------------------------------


def is_loopback_host(hostname: str) -> bool:
    """localhost, ``*.localhost``, 127.0.0.0/8 and ::1: the only hosts allowed plain http.

    Browsers treat exactly these as "potentially trustworthy" without TLS; anything else
    over http hands the code and tokens to every network hop.
    """
    host = hostname.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    if ":" not in host and not host.replace(".", "").isdigit():
        return False  # a name: no need to load ipaddress (start-up time)
    import ipaddress

    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        return False  # ::ffff:127.0.0.1: is_loopback differs between Python versions
    return address.is_loopback


def _host_problem(hostname: str) -> str:
    """Why a parsed hostname is unusable ('' when fine).

    Only what every parser reads the same way: ASCII names, canonical IPv4, bracketed IPv6.
    Browsers read ``0x7f.1`` or ``127.1`` as 127.0.0.1, and a non-ASCII name may be a
    look-alike of a real one, so both are refused rather than compared.
    """
    if "%" in hostname:
        return "must not name a network interface ('%')"
    if ":" in hostname:
        import ipaddress  # only for IP literals (start-up time)

        try:
            ipaddress.IPv6Address(hostname)
        except ValueError:
            return "is not a valid IPv6 address"
        return ""
    if not hostname.isascii():
        return "must use the xn-- (punycode) form of an international host name"
    if len(hostname) > 253 or not _HOSTNAME_RE.match(hostname):
        return "does not have a valid host name"
    last = hostname.rsplit(".", 1)[-1]
    if last.isdigit() or last.startswith("0x"):
        import ipaddress

        try:
            if str(ipaddress.IPv4Address(hostname)) == hostname:
                return ""
        except ValueError:
            pass
        return "has a host that looks like a number but is not a plain IPv4 address"
    return ""


def url_problems(value: str, label: str, allow_path: bool = True) -> list[str]:
    """Problems with one address; the same rules for typed, stored and config.json values."""
    if not isinstance(value, str) or not value:
        return [f"{label} is missing"]
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value) or "\\" in value:
        return [f"{label} must not contain spaces, control characters or backslashes"]
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return [f"{label} is not a valid address"]
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [f"{label} must be a full http(s) address such as https://app.ilert.com"]
    if "@" in parts.netloc:
        # https://app.ilert.com@evil.example goes to evil.example.
        return [f"{label} must not contain a user name or password (the part before '@')"]
    hostname = parts.hostname or ""
    problem = _host_problem(hostname) if hostname else "has no host"
    if problem:
        return [f"{label} {problem}"]
    problems = []
    if port == 0:
        problems.append(f"{label} has an invalid port")
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        problems.append(f"{label} must not contain '?' or '#'")
    if not allow_path and parts.path not in ("", "/"):
        problems.append(f"{label} must be just the host, without a path")
    if parts.scheme == "http" and not is_loopback_host(hostname):
        problems.append(f"{label} must use https (plain http only works for localhost)")
    return problems


def origin(url: str) -> str:
    """``scheme://host[:port]``, lower-case, default port dropped; '' when unparsable.

    Hosts are compared by this parsed form only, never by string prefix or suffix
    (``https://app.ilert.com.evil.example`` is not ``https://app.ilert.com``).
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except (ValueError, AttributeError):
        return ""
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host or "@" in parts.netloc:
        return ""
    shown = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
        shown += f":{port}"
    return f"{parts.scheme}://{shown}"


# --- endpoints: what a session is bound to --------------------------------------------------


@dataclass(frozen=True)
class Endpoints:
    """The server a sign-in talks to, fixed when it starts.

    A session records these with its tokens and uses only them until sign-out, so a
    settings change (or a planted one) never sends a token elsewhere.
    """

    client_id: str
    authorize: str
    token: str
    revoke: str = ""  # "" = the server offers no revocation
    info: str = ""  # "" = no token info / introspection
    info_kind: str = INFO_TOKEN_INFO
    api_base: str = ""  # "" = no ilert API (a custom server)
    issuer: str = ""  # "" = none configured (see callback.accepted_issuers)
    iss_parameter: str = ""  # ISS_REQUIRED: an answer without `iss` is refused (RFC 9207 §2.4)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> Endpoints:
        """Rebuild recorded endpoints; raise SettingsError unless they pass validation."""
        if not isinstance(data, dict):
            raise SettingsError(["the recorded server is unreadable"])
        known = {f.name for f in fields(cls)}
        clean = {k: v for k, v in data.items() if k in known and isinstance(v, str)}
        if "client_id" not in clean or "authorize" not in clean or "token" not in clean:
            raise SettingsError(["the recorded server is incomplete"])
        endpoints = cls(**clean)
        problems = endpoints.validate()
        if problems:
            raise SettingsError(problems)
        return endpoints

    def validate(self) -> list[str]:
        problems = _client_id_problems(self.client_id)
        problems += url_problems(self.authorize, "the authorize endpoint")
        problems += url_problems(self.token, "the token endpoint")
        if self.revoke:
            problems += url_problems(self.revoke, "the revoke endpoint")
        if self.info:
            problems += url_problems(self.info, "the token info endpoint")
        if self.info_kind not in INFO_KINDS:
            problems.append("the token info kind must be 'token_info' or 'introspection'")
        if self.api_base:
            problems += url_problems(self.api_base, "the API base")
        if self.issuer:
            problems += url_problems(self.issuer, "the issuer")
        problems += _iss_parameter_problems(self.iss_parameter, self.issuer)
        return problems

    def recipients(self) -> list[Recipient]:
        """Which origins receive the code, the verifier or a token, and what each gets."""
        what: dict[str, list[str]] = {}
        items = [
            (self.token, "the authorization code, the PKCE verifier and the refresh token"),
            (self.revoke, "the refresh token (when signing out)"),
            (self.info, "the access token (token info)"),
            (self.api_base, "the access token (API calls)"),
        ]
        for url, item in items:
            where = origin(url) if url else ""
            if where:
                what.setdefault(where, []).append(item)
        return [Recipient(o, tuple(items)) for o, items in what.items()]


def _iss_parameter_problems(value: str, issuer: str) -> list[str]:
    if value not in ISS_PARAMETERS:
        return ["'issuer on every answer' must be empty or 'required'"]
    if value == ISS_REQUIRED and not issuer:
        return ["requiring the issuer on every answer needs the issuer"]
    return []


def ilert_layout(endpoints: Endpoints) -> bool:
    """ilert's paths under an API base (ilert, a tenant, the emulator): ilert's panels apply."""
    api = endpoints.api_base.rstrip("/")
    return (
        bool(api) and endpoints.token == api + TOKEN_PATH and endpoints.info_kind == INFO_TOKEN_INFO
    )


def server_name(endpoints: Endpoints) -> str:
    """What the page calls the server in its messages: "ilert" for ilert's layout (the
    presets and the emulator); another server by its issuer's host (else its sign-in host)."""
    if ilert_layout(endpoints):
        return "ilert"
    for url in (endpoints.issuer, endpoints.authorize, endpoints.token):
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = None
        if parts.hostname:
            return parts.hostname + (f":{port}" if port else "")
    return "the server"


@dataclass(frozen=True)
class Recipient:
    origin: str  # scheme://host[:port]
    receives: tuple[str, ...]  # plain language, e.g. "the access token (API calls)"


# --- settings -----------------------------------------------------------------------------------


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


def _client_id_problems(client_id: str) -> list[str]:
    if not client_id:
        return ["the client id is missing (the server shows it in your app's settings)"]
    if any(c.isspace() or ord(c) < 0x20 for c in client_id):
        return ["the client id must not contain spaces"]
    return []


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
    problems = _client_id_problems(settings.client_id)
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
        problems += _iss_parameter_problems(settings.iss_parameter, settings.issuer)
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


# --- which hosts config.json vouches for ------------------------------------------------------

_URL_FIELDS = (
    "ilert_host",
    "api_base",
    "redirect_uri",
    "authorize_url",
    "token_url",
    "revoke_url",
    "info_url",
)


def vouched_origins(defaults: dict | None) -> frozenset[str]:
    """Origins named by config.json: its endpoint fields and its ``allowed_origins``.

    The site owner published config.json; these may receive codes and tokens without
    asking. (Also what a Content-Security-Policy connect-src would list.)
    """
    data = defaults if isinstance(defaults, dict) else {}
    found = set()
    base = Settings.from_dict(data)
    for name in _URL_FIELDS:
        value = getattr(base, name)
        if value and not url_problems(value, name):
            found.add(origin(value))
    extra = data.get("allowed_origins")
    for item in extra if isinstance(extra, list) else []:
        if isinstance(item, str) and not url_problems(item.strip(), "origin", allow_path=False):
            found.add(origin(item))
    found.discard("")
    return frozenset(found)


_SIGN_IN_PAGE = "your sign-in (its login and consent page)"


def recipients(settings: Settings, page_url: str = "") -> list[Recipient]:
    """Every origin that receives the code, the verifier or a token with these settings.

    Also the authorize page's origin (a planted one is a look-alike login page that
    issues its own codes), and a redirect URI on another origin than the page (the code
    travels there).
    """
    endpoints = settings.endpoints()
    found: dict[str, list[str]] = {}
    if origin(endpoints.authorize):
        found[origin(endpoints.authorize)] = [_SIGN_IN_PAGE]
    for item in endpoints.recipients():
        found.setdefault(item.origin, []).extend(item.receives)
    if settings.redirect_uri:
        where = origin(settings.redirect_uri)
        if where and where != origin(page_url):
            found.setdefault(where, []).insert(0, "the authorization code (the redirect back)")
    return [Recipient(o, tuple(items)) for o, items in found.items()]


def unvouched(defaults: dict | None, settings: Settings, page_url: str = "") -> list[Recipient]:
    """The recipients config.json does not vouch for: confirm these before the first sign-in.

    Empty means the sign-in needs no confirmation. The page's own origin counts as vouched.
    """
    trusted = set(vouched_origins(defaults))
    if page_url:
        trusted.add(origin(page_url))
    if not settings.custom and origin(settings.ilert_host) in trusted:
        # TENANT.<vouched ilert host>: the tenant is one validated label under that host.
        trusted.add(origin(settings.authorize_host()))
    return [r for r in recipients(settings, page_url) if r.origin not in trusted]


def changes_server(recorded: Endpoints | None, new: Settings) -> bool:
    """Whether ``new`` names another server than the one a session is bound to.

    The page then says truthfully that the change applies from the next sign-in (the
    session keeps ``recorded``), or signs out first: the user's choice.
    """
    return recorded is not None and new.endpoints() != recorded
