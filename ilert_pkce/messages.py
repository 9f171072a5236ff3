"""Exit codes, and every error as one line for a terminal (``app.core.explain``'s words).

The core's explanations are written for the page ("press Sign in", "in the settings"); the
few that name a page control get terminal wording here, the rest are used as they are. The
terminal client's own errors (the loopback server's, the token store's) are added to the
core's table here (``explain.register``), so ``explain`` words them like the others.
"""

from __future__ import annotations

from app.core import errors, explain
from app.core.discovery import MetadataNotFound
from app.core.errors import StorageRefused
from app.core.urls import SettingsError
from ilert_pkce.loopback import CallbackTimeout, ListenFailed, PortInUse
from ilert_pkce.store import STORE_ENV, StoreFailed

OK = 0
FAILED = 1  # something unexpected
USAGE = 2  # bad flags or settings (also argparse's code)
SIGNED_OUT = 3  # not signed in, or the session ended: run login
SIGN_IN_FAILED = 4  # the sign-in was refused, cancelled in the browser, forged or timed out
UNREACHABLE = 5  # no answer from the server (network, refused, timeout)
BUSY = 6  # 429 or 5xx: try again later
REFUSED = 7  # the server refused the request (API error, scope, role, odd answer)
LOCAL = 8  # this machine: port in use, keyring or token file
CANCELLED = 130  # Ctrl-C

EXIT_CODES = (
    (OK, "success"),
    (FAILED, "unexpected error"),
    (USAGE, "bad arguments or settings"),
    (SIGNED_OUT, "not signed in, or the session ended: run ilert-pkce login"),
    (SIGN_IN_FAILED, "sign-in refused, cancelled, timed out or its answer was not ours"),
    (UNREACHABLE, "the server could not be reached (network, timeout)"),
    (BUSY, "the server is busy or failing (429, 5xx): try again later"),
    (REFUSED, "the server refused the request (scope, role, API error)"),
    (LOCAL, "local problem: port in use, keyring or token file"),
    (CANCELLED, "cancelled with Ctrl-C"),
)

LOGIN_HINT = "Run: ilert-pkce login"

explain.register(
    PortInUse,
    explain.said(
        "Port {exc.port} on {exc.host} is in use (another ilert-pkce login, or another "
        "program), so the sign-in could not wait for its answer. Stop that program, or "
        "choose another port with --port (it must match the redirect URI registered for "
        "your app; --port 0 picks a free one where the server allows any loopback port).",
        kind="port_in_use",
    ),
)
explain.register(
    ListenFailed,
    explain.said(
        "Could not listen on {exc.host} port {exc.port} for the sign-in's answer "
        "({exc.reason}). Check --port and --redirect-uri.",
        kind="listen_failed",
    ),
)
explain.register(
    CallbackTimeout,
    explain.said(
        "No answer from the sign-in within {exc.seconds:g} seconds, so it was cancelled "
        "and nothing was stored. Run ilert-pkce login again and finish the sign-in in the "
        "browser (with --no-browser, open the printed address yourself).",
        kind="callback_timeout",
    ),
)
explain.register(
    StoreFailed,
    explain.said(
        "Could not use {exc.where} ({exc.reason}); nothing was stored. Fix it, or set "
        + STORE_ENV
        + "=file (or =keyring), then try again.",
        kind="store_failed",
    ),
)


def exit_code(exc: BaseException) -> int:
    if isinstance(exc, errors.ExchangeUnanswered):
        return exit_code(exc.cause)
    if isinstance(exc, (errors.ConfigError, SettingsError, MetadataNotFound)):
        return USAGE
    if isinstance(exc, errors.SessionEnded):
        return SIGNED_OUT
    if isinstance(exc, errors.OAuthError) and exc.grant == "refresh_token":
        return SIGNED_OUT if exc.code in ("invalid_grant", "invalid_client") else REFUSED
    if isinstance(exc, (errors.CallbackError, CallbackTimeout)):
        return SIGN_IN_FAILED
    if isinstance(exc, errors.OAuthError) and exc.grant == "authorization_code":
        return SIGN_IN_FAILED
    if isinstance(exc, errors.NetworkError):
        return UNREACHABLE
    if isinstance(exc, (errors.RateLimited, errors.ServerError)):
        return BUSY
    if isinstance(exc, (PortInUse, ListenFailed, StoreFailed, StorageRefused)):
        return LOCAL
    if isinstance(exc, (errors.HttpError, errors.AppError)):
        return REFUSED
    return FAILED


def message(exc: BaseException) -> str:
    """One line: what happened and what to do."""
    if isinstance(exc, errors.ExchangeUnanswered) and isinstance(
        exc.cause, (errors.RateLimited, errors.ServerError)
    ):
        exc = exc.cause  # the code is spent either way: say what the server said
    if isinstance(exc, errors.SessionEnded) and exc.reason == "signed_out":
        return f"Not signed in. {LOGIN_HINT}"
    if isinstance(exc, errors.RateLimited):
        return (
            "The server says there were too many requests (HTTP 429). Wait about "
            f"{exc.retry_after:.0f} seconds, then run the command again."
        )
    if isinstance(exc, errors.ServerError):
        return (
            f"The server had a problem on its side (HTTP {exc.status}). Wait about "
            f"{exc.retry_after:.0f} seconds, then run the command again."
        )
    if type(exc) is errors.NetworkError:
        where = f" ({exc.url.split('?')[0]})" if exc.url else ""
        return (
            f"Could not reach the server{where}: the network is down or the server is not "
            "running. Check your connection and the server settings (--preset, --api-base), "
            "then try again."
        )
    if isinstance(exc, StorageRefused):
        return (
            f"Could not store the tokens ({exc.reason}); nothing was stored. Set "
            "ILERT_PKCE_STORE=file (or =keyring), then run ilert-pkce login again."
        )
    if isinstance(exc, (SettingsError, MetadataNotFound)):
        problems = exc.problems if isinstance(exc, SettingsError) else [f"no metadata ({exc})"]
        exc = errors.ConfigError(problems)
    if isinstance(exc, errors.ConfigError):
        return (
            "The settings need attention: " + "; ".join(exc.problems) + ". Set them with flags, "
            "ILERT_PKCE_* variables or the config file (ilert-pkce --help)."
        )
    if isinstance(exc, errors.ScopeNotGranted):
        needs = explain.scope_text(exc.scope, exc.level) if exc.scope else "another scope"
        return f"Not allowed by the granted scope (needs {needs}). {LOGIN_HINT} --scope '…'"
    explained = explain.explain(exc)
    if explained.kind == "unexpected":
        return f"Something unexpected went wrong ({type(exc).__name__}). Please try again."
    text = explained.message
    if explain.SIGN_IN in explained.actions:
        text += f" {LOGIN_HINT}"
    return text
