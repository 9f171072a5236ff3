"""Addresses and endpoints: how a host or URL is checked, and where a sign-in talks to.

Every address here is untrusted input, typed or read back (settings in localStorage, a
session's recorded endpoints, ``config.json``, RFC 8414 metadata): addresses are parsed,
hosts compared by parsed hostname (no user info, no look-alike suffixes), plain ``http``
only for loopback. ``settings`` builds on these checks; ``trust`` on the origins.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from urllib.parse import urlsplit

# ilert's OAuth2 paths: the token endpoints under the API base, the authorize page under
# the ilert host.
TOKEN_PATH = "/developers/oauth2/token"
TOKEN_INFO_PATH = "/developers/oauth2/token_info"
REVOKE_PATH = "/developers/oauth2/revoke"
AUTHORIZE_PATH = "/api/developers/oauth2/authorize"

# Endpoints.info_kind: what the "token info" endpoint speaks.
INFO_TOKEN_INFO = "token_info"  # ilert's POST token=<access token>
INFO_INTROSPECTION = "introspection"  # RFC 7662 (POST token=..., token_type_hint, client_id)
INFO_KINDS = (INFO_TOKEN_INFO, INFO_INTROSPECTION)

# Endpoints.iss_parameter: whether the server puts RFC 9207's `iss` on every answer.
ISS_REQUIRED = "required"  # it says so (metadata: authorization_response_iss_parameter_supported)
ISS_PARAMETERS = ("", ISS_REQUIRED)  # "": not known; an `iss` that comes is checked all the same

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
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


# --- ids and the iss parameter: checked alike in settings and recorded endpoints -------------


def client_id_problems(client_id: str) -> list[str]:
    """Problems with a client id ([] when usable): present, without spaces or controls."""
    if not client_id:
        return ["the client id is missing (the server shows it in your app's settings)"]
    if any(c.isspace() or ord(c) < 0x20 for c in client_id):
        return ["the client id must not contain spaces"]
    return []


def iss_parameter_problems(value: str, issuer: str) -> list[str]:
    """Problems with an ``iss_parameter`` value ([] when usable); required needs an issuer."""
    if value not in ISS_PARAMETERS:
        return ["'issuer on every answer' must be empty or 'required'"]
    if value == ISS_REQUIRED and not issuer:
        return ["requiring the issuer on every answer needs the issuer"]
    return []


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
        problems = client_id_problems(self.client_id)
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
        problems += iss_parameter_problems(self.iss_parameter, self.issuer)
        return problems


def ilert_layout(endpoints: Endpoints) -> bool:
    """ilert's paths under an API base (ilert, a tenant, the emulator): ilert's panels apply."""
    api = endpoints.api_base.rstrip("/")
    return (
        bool(api) and endpoints.token == api + TOKEN_PATH and endpoints.info_kind == INFO_TOKEN_INFO
    )


def server_name(endpoints: Endpoints) -> str:
    """The server's name in the page's messages.

    "ilert" when the endpoints follow ilert's layout (``ilert_layout``: ilert, a tenant, the
    emulator). Otherwise the host of the issuer, else of the authorize endpoint, else of the
    token endpoint (the first of them that has one), lower-case and an IPv6 address without
    brackets, followed by ``:port`` when that address names a non-zero port. "the server"
    when none of the three has a host.
    """
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
