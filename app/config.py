"""The app's settings: model, validation, merging, and the URLs derived from them.

Defaults come from ``config.json`` next to index.html (``serve.py`` serves one for the
emulator); the user's edits are saved in localStorage. Only non-secret values live here:
a PKCE public client has no secret.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from urllib.parse import urlsplit, urlunsplit

from app import scopes
from app.address import page_base_url

TOKEN_PATH = "/developers/oauth2/token"
TOKEN_INFO_PATH = "/developers/oauth2/token_info"
REVOKE_PATH = "/developers/oauth2/revoke"
AUTHORIZE_PATH = "/api/developers/oauth2/authorize"

DEFAULT_SCOPE = "profile source:w alert:w schedule offline_access"
_TENANT_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class Settings:
    client_id: str = ""
    ilert_host: str = "https://app.ilert.com"  # where the authorize page lives
    tenant: str = ""  # optional: authorize on TENANT.ilert.com (skips the login step)
    api_base: str = "https://api.ilert.com/api"  # token endpoints and REST API
    redirect_uri: str = ""  # "" = this page's own URL
    scope: str = DEFAULT_SCOPE

    @classmethod
    def from_dict(cls, data: dict | None) -> Settings:
        """Build from a dict, ignoring unknown keys and non-string values."""
        known = {f.name for f in fields(cls)}
        clean = {k: v.strip() for k, v in (data or {}).items() if k in known and isinstance(v, str)}
        return cls(**clean)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

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

    def authorize_endpoint(self) -> str:
        return self.authorize_host() + AUTHORIZE_PATH

    def token_endpoint(self) -> str:
        return self.api_base.rstrip("/") + TOKEN_PATH

    def token_info_endpoint(self) -> str:
        return self.api_base.rstrip("/") + TOKEN_INFO_PATH

    def revoke_endpoint(self) -> str:
        return self.api_base.rstrip("/") + REVOKE_PATH

    def effective_redirect_uri(self, page_url: str) -> str:
        return self.redirect_uri or page_base_url(page_url)


def _check_url(value: str, label: str, problems: list[str], allow_path: bool) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(f"{label} must be a full http(s) address such as https://app.ilert.com")
        return
    if parts.query or parts.fragment:
        problems.append(f"{label} must not contain '?' or '#'")
    if not allow_path and parts.path not in ("", "/"):
        problems.append(f"{label} must be just the host, without a path")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        problems.append(f"{label} must use https (plain http only works for localhost)")


def _is_loopback(hostname: str) -> bool:
    return hostname in ("localhost", "127.0.0.1", "::1") or hostname.endswith(".localhost")


def validate(settings: Settings) -> list[str]:
    """Readable problems with the settings; an empty list means they are usable."""
    problems: list[str] = []
    if not settings.client_id:
        problems.append("the client id is missing (find it in ilert under your app's settings)")
    elif any(c.isspace() for c in settings.client_id):
        problems.append("the client id must not contain spaces")
    _check_url(settings.ilert_host, "the ilert host", problems, allow_path=False)
    if settings.tenant and not _TENANT_RE.match(settings.tenant):
        problems.append(
            "the tenant must be the name in your ilert address (lower-case letters, digits, '-')"
        )
    _check_url(settings.api_base, "the API base", problems, allow_path=True)
    if settings.redirect_uri:
        _check_url(settings.redirect_uri, "the redirect URI", problems, allow_path=True)
    if not settings.scope.strip():
        problems.append("choose at least one scope")
    else:
        try:
            scopes.parse(settings.scope)
        except scopes.ScopeError as exc:
            problems.append(f"the scope is not valid: {exc}")
    return problems


def merge(defaults: dict | None, saved: dict | None) -> Settings:
    """Defaults from config.json, overridden by the user's saved (non-empty) values."""
    base = Settings.from_dict(defaults)
    mine = {k: v for k, v in Settings.from_dict(saved).to_dict().items() if k in (saved or {})}
    # An empty saved value means "use the default" except where "" is meaningful.
    mine = {k: v for k, v in mine.items() if v or k in ("tenant", "redirect_uri")}
    return replace(base, **mine)


def saved_diff(defaults: dict | None, settings: Settings) -> dict[str, str]:
    """Only what the user changed relative to the defaults (what goes to localStorage)."""
    base = Settings.from_dict(defaults).to_dict()
    return {k: v for k, v in settings.to_dict().items() if base.get(k) != v}
