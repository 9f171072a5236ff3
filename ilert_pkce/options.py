"""The terminal client's settings: the page's presets and fields, from flags, environment
variables (``ILERT_PKCE_*``) or a config file, validated by the page's own rules.

Precedence, lowest first: the preset, the config file (``--config FILE``,
``$ILERT_PKCE_CONFIG`` or ``~/.config/ilert-pkce/config.json``), the environment, the flags.
The config file is JSON with the same names, e.g.
``{"preset": "tenant", "tenant": "acme", "client_id": "…", "port": 8765}``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from app.core import servers
from app.core.errors import ConfigError
from app.core.settings import SERVER_FIELDS, Settings, validate
from app.core.urls import is_loopback_host, url_problems
from ilert_pkce.loopback import CALLBACK_PATH
from ilert_pkce.store import config_dir

ENV_PREFIX = "ILERT_PKCE_"
DEFAULT_PORT = 8765  # ilert's CLI uses 4597, which serve.py's page uses here
HTTP_TIMEOUT = 30.0  # seconds per HTTP request, as ilert's CLI
WAIT_SECONDS = 300.0  # how long login waits for the browser, as ilert's CLI
EMULATOR_CLIENT_ID = "ilert-cli-demo"  # the emulator's registered native app

PRESETS = {
    "ilert": servers.ILERT,
    "tenant": servers.ILERT_TENANT,
    "emulator": servers.EMULATOR,
    "custom": servers.CUSTOM,
}
# Settings fields the user may set (the page's names), plus the client's own.
FIELDS = ("client_id", "tenant", "ilert_host", "api_base", "scope", "issuer", *SERVER_FIELDS)
OWN = ("preset", "redirect_uri", "port", "timeout", "wait")


@dataclass(frozen=True)
class Options:
    settings: Settings  # redirect_uri not set yet: the listener's address decides it
    host: str  # the loopback host the redirect goes to (127.0.0.1, [::1] or localhost)
    port: int  # 0 = any free port (RFC 8252 §7.3)
    path: str  # the callback path
    timeout: float
    wait: float

    @property
    def needs_discovery(self) -> bool:
        """A custom server named only by its issuer: RFC 8414 metadata fills the rest."""
        s = self.settings
        return s.custom and bool(s.issuer) and not (s.authorize_url and s.token_url)


def read_config(path: str | None) -> dict:
    """The config file as a dict; {} when the default file does not exist."""
    explicit = path or os.environ.get(ENV_PREFIX + "CONFIG")
    file = Path(explicit) if explicit else config_dir() / "config.json"
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if explicit:
            raise ConfigError([f"the config file {file} does not exist"]) from None
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(
            [f"the config file {file} is unreadable ({type(exc).__name__})"]
        ) from None
    if not isinstance(data, dict):
        raise ConfigError([f"the config file {file} must hold a JSON object"])
    return {k: str(v) for k, v in data.items() if k in FIELDS + OWN and v is not None}


def from_env(environ: dict[str, str] | None = None) -> dict:
    env = os.environ if environ is None else environ
    found = {}
    for name in FIELDS + OWN:
        value = env.get(ENV_PREFIX + name.upper())
        if value is not None and value != "":
            found[name] = value
    return found


def _number(values: dict, name: str, default: float, low: float, high: float) -> float:
    raw = values.get(name)
    if raw is None:
        return default
    try:
        number = float(raw)
    except ValueError:
        raise ConfigError([f"{name} must be a number, not {raw!r}"]) from None
    if not low <= number <= high:
        raise ConfigError([f"{name} must be between {low:g} and {high:g}"])
    return number


def http_timeout(flags: dict, config_path: str | None = None, environ: dict | None = None) -> float:
    """The HTTP timeout alone: the commands after login use the server the session recorded."""
    values = {**read_config(config_path), **from_env(environ)}
    values.update({k: str(v) for k, v in flags.items() if v is not None})
    return _number(values, "timeout", HTTP_TIMEOUT, 1, 600)


def resolve(flags: dict, config_path: str | None = None, environ: dict | None = None) -> Options:
    """Settings from preset < config file < environment < flags; ConfigError if unusable."""
    values = {**read_config(config_path), **from_env(environ)}
    values.update({k: str(v) for k, v in flags.items() if v is not None})
    preset = values.get("preset", "ilert").strip().lower()
    if preset not in PRESETS:
        raise ConfigError([f"the preset must be one of {', '.join(PRESETS)}, not {preset!r}"])
    settings = servers.apply_preset(
        Settings(redirect_uri=""), PRESETS[preset], tenant=values.get("tenant", "")
    )
    if preset == "emulator":
        settings = replace(settings, client_id=EMULATOR_CLIENT_ID)
    if preset == "custom":  # every endpoint from the user or from discovery, none from ilert
        blank = dict.fromkeys(("authorize_url", "token_url", "revoke_url", "info_url"), "")
        settings = replace(settings, api_base="", **blank)
    chosen = {k: values[k].strip() for k in FIELDS if k in values}
    if preset == "tenant":
        chosen["tenant"] = settings.tenant
    settings = replace(settings, **chosen)
    host, port, path = _redirect(values)
    checked = settings
    if settings.custom and settings.issuer and not (settings.authorize_url and settings.token_url):
        # Found by discovery at sign-in; check everything else now.
        checked = replace(settings, authorize_url=settings.issuer, token_url=settings.issuer)
    problems = validate(checked)
    if preset == "tenant" and not settings.tenant:
        problems.append("the tenant preset needs --tenant (the name in YOUR-TENANT.ilert.com)")
    if problems:
        raise ConfigError(problems)
    return Options(
        settings,
        host,
        port,
        path,
        _number(values, "timeout", HTTP_TIMEOUT, 1, 600),
        _number(values, "wait", WAIT_SECONDS, 1, 3600),
    )


def _redirect(values: dict) -> tuple[str, int, str]:
    """(host, port, path) of the loopback redirect: --redirect-uri, then --port."""
    host, port, path = "127.0.0.1", DEFAULT_PORT, CALLBACK_PATH
    uri = values.get("redirect_uri", "").strip()
    if uri:
        problems = url_problems(uri, "the redirect URI")
        parts = urlsplit(uri)
        if problems:
            raise ConfigError(problems)
        if parts.scheme != "http" or not is_loopback_host(parts.hostname or ""):
            raise ConfigError(
                [
                    "a native app's redirect URI must be http on the loopback interface, "
                    "e.g. http://127.0.0.1:8765/callback (RFC 8252 §7.3)"
                ]
            )
        host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname or host
        port = parts.port if parts.port is not None else 80
        path = parts.path or "/"
    if "port" in values:
        try:
            port = int(values["port"])
        except ValueError:
            raise ConfigError([f"the port must be a number, not {values['port']!r}"]) from None
    if not 0 <= port <= 65535:
        raise ConfigError(["the port must be between 0 and 65535"])
    if port == 0 and host == "localhost":
        raise ConfigError(["--port 0 needs a loopback IP (127.0.0.1 or [::1]), not localhost"])
    return host, port, path
