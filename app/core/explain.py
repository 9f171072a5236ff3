"""The one place that turns an error into plain language: ``explain(exc, server)``.

The page never shows ``str(exc)`` or a traceback, it shows an ``Explanation``: a sentence
for a person plus a way forward (sign in again, retry, ...), worded after the server in use
(``urls.server_name``: "ilert" for ilert's layout, the issuer's host for another server).

One table, keyed by error class, says how: an entry is either a template (``said``: the
words, with ``{server}`` and the error's fields as ``{exc.status}``) or a function
registered with ``@explains(SomeError)``. ``explain`` looks the error up along its class's
MRO, so the most specific class wins and the entries' order does not matter. The terminal
client adds its own error classes with ``register`` (``ilert_pkce.messages``); the core
knows nothing of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from app.core.errors import (
    ApiError,
    AppError,
    AttemptExpired,
    AttemptNotStored,
    AuthorizationError,
    CallbackError,
    CallbackReplayed,
    ConfigError,
    ConsentDenied,
    CorsRefused,
    CspBlocked,
    ExchangeUnanswered,
    HttpError,
    IgnoredCallback,
    InfoRefused,
    InvalidTokenResponse,
    IssuerMismatch,
    IssuerMissing,
    MalformedResponse,
    MissingVerifier,
    NetworkError,
    NonJsonResponse,
    NotOffered,
    OAuthError,
    RateLimited,
    ResponseTooLarge,
    RoleForbidden,
    ScopeNotGranted,
    ServerError,
    SessionEnded,
    SignInCancelled,
    StateMismatch,
    StateMissing,
    StorageRefused,
    Timeout,
)

ILERT = "ilert"  # the server's name when nobody says otherwise (the app's default server)

# Ways forward the page knows how to offer (buttons).
SIGN_IN = "sign_in"
RETRY = "retry"
SETTINGS = "settings"

_MAX_SHOWN = 200  # characters of a received issuer shown back to the user


@dataclass(frozen=True)
class Explanation:
    message: str
    actions: tuple[str, ...] = ()
    severity: str = "error"  # "error", "warning" or "info"
    retry_after: float | None = None
    kind: str = "error"  # a stable name for tests and the flow log


E = TypeVar("E", bound=BaseException)
Explainer = Callable[[Any, str], Explanation]  # (the error, the server's name) -> words

_TABLE: dict[type, Explainer] = {}


def register(cls: type[E], explainer: Callable[[E, str], Explanation]) -> None:
    """Explain ``cls`` (and its subclasses without an entry of their own) with ``explainer``."""
    _TABLE[cls] = explainer


def explains(cls: type[E]) -> Callable[[Callable[[E, str], Explanation]], Explainer]:
    """Decorator: ``@explains(SomeError)`` registers the function below for ``SomeError``."""

    def decorate(explainer: Callable[[E, str], Explanation]) -> Explainer:
        register(cls, explainer)
        return explainer

    return decorate


def said(
    message: str, actions: tuple[str, ...] = (), severity: str = "error", *, kind: str
) -> Explainer:
    """An entry that is only words: ``message`` may name ``{server}`` and the error's fields
    (``{exc.status}``, ``{exc.seconds:g}``). Only the template is formatted, never the values
    put into it, so braces in a server's text stay as they are."""

    def explainer(exc: BaseException, server: str) -> Explanation:
        return Explanation(message.format(server=server, exc=exc), actions, severity, kind=kind)

    return explainer


def explain(exc: BaseException, server: str = ILERT) -> Explanation:
    """A message for a person and a way forward, for any exception (unknown ones included).

    ``server`` names the server in the message ("ilert", "auth.example.org").
    """
    return _lookup(_TABLE, exc)(exc, server)


def registered(cls: type) -> bool:
    """Whether ``cls`` has an entry of its own (not one inherited from a base class)."""
    return cls in _TABLE


def _lookup(table: dict[type, Any], exc: BaseException) -> Any:
    # Every exception's MRO ends in BaseException, which each table holds.
    return next(table[cls] for cls in type(exc).__mro__ if cls in table)


def scope_text(name: str, level: str = "r") -> str:
    """``source`` for read, ``source:w`` otherwise (scopes.Grant writes every scope out)."""
    from app.core.scopes import Grant

    return str(Grant(name, level))


# --- the table ------------------------------------------------------------------------

_UNEXPECTED = said(
    "Something unexpected went wrong in the app. Details are in the flow log; "
    "try again, or reload the page.",
    (RETRY,),
    kind="unexpected",
)
register(BaseException, _UNEXPECTED)  # anything else: never its own text
# The bases are never raised themselves; a subclass gets an entry of its own.
register(AppError, _UNEXPECTED)
register(CallbackError, _UNEXPECTED)

# the authorization redirect


@explains(SignInCancelled)
def _sign_in_cancelled(exc: SignInCancelled, server: str) -> Explanation:
    if exc.reason == "timeout":
        text = "The sign-in window got no answer in time, so the sign-in was cancelled."
    else:
        text = "The sign-in window was closed, so the sign-in was cancelled."
    return Explanation(
        text + " Press Sign in to try again.", (SIGN_IN,), "info", kind="sign_in_cancelled"
    )


register(
    ConsentDenied,
    said(
        "You declined access at {server}, so the app is not signed in. "
        "Sign in again and choose Approve if you want to continue.",
        (SIGN_IN,),
        "warning",
        kind="consent_denied",
    ),
)


@explains(AuthorizationError)
def _authorization_error(exc: AuthorizationError, server: str) -> Explanation:
    text = f"{server} did not sign you in ({exc.error})"
    if exc.description:
        text += f": {exc.description}"
    return Explanation(
        text + ". Check the settings (client id, redirect URI, scopes) and sign in again.",
        (SIGN_IN, SETTINGS),
        kind="authorization_error",
    )


register(
    StateMissing,
    said(
        "The answer from {server} was incomplete (no state), so it was ignored for your "
        "safety. Please sign in again.",
        (SIGN_IN,),
        kind="state_missing",
    ),
)
register(
    StateMismatch,
    said(
        "The answer from {server} does not belong to the sign-in started here (state "
        "mismatch), so it was ignored for your safety. Please sign in again.",
        (SIGN_IN,),
        kind="state_mismatch",
    ),
)
register(
    MissingVerifier,
    said(
        "This sign-in was started in another tab or window (or this tab's storage was "
        "cleared), so it cannot be finished here. Sign in again from this tab.",
        (SIGN_IN,),
        kind="missing_verifier",
    ),
)
register(
    CallbackReplayed,
    said(
        "This sign-in link was already used (for example via the back button). "
        "Each one works only once. Sign in again if you need to.",
        (SIGN_IN,),
        "warning",
        kind="callback_replayed",
    ),
)
register(
    AttemptExpired,
    said(
        "That sign-in took too long (more than 10 minutes), so it was discarded for your "
        "safety. Please start again.",
        (SIGN_IN,),
        "warning",
        kind="attempt_expired",
    ),
)
register(
    IgnoredCallback,
    said(
        "This page was opened with an error message that does not belong to a sign-in "
        "started in this tab, so it was ignored.",
        (),
        "info",
        kind="callback_ignored",
    ),
)


@explains(IssuerMismatch)
def _issuer_mismatch(exc: IssuerMismatch, server: str) -> Explanation:
    shown = exc.received[:_MAX_SHOWN] + ("…" if len(exc.received) > _MAX_SHOWN else "")
    if exc.expected:
        text = (
            f"The answer to this sign-in says it comes from {shown}, not from {server} "
            f"({exc.expected}), so it was not used (this protects against a mix-up of "
            "servers). Check the issuer in the settings and sign in again."
        )
    else:
        text = (
            f"The answer to this sign-in says it comes from {shown}, but no issuer is "
            f"configured for {server}, so it was not used. If that is your server, "
            "enter it as the issuer in the settings and sign in again."
        )
    return Explanation(text, (SETTINGS, SIGN_IN), kind="issuer_mismatch")


register(
    IssuerMissing,
    said(
        "The answer to this sign-in does not say which server it comes from (no iss), "
        "although {server} ({exc.expected}) names itself on every answer, so it was not "
        "used (this protects against a mix-up of servers). Sign in again; if this "
        "repeats, check the issuer in the settings.",
        (SIGN_IN, SETTINGS),
        kind="issuer_missing",
    ),
)

# the code exchange: what became of its request, by the cause's class

_UNREACHED: dict[type, Callable[[Any, str], str]] = {
    CspBlocked: lambda exc, server: (
        "this page's security policy (CSP) blocked the request, so it was not sent."
    ),
    Timeout: lambda exc, server: f"{server} did not answer within {exc.seconds:g} seconds.",
    NetworkError: lambda exc, server: f"{server} could not be reached or the connection broke.",
    HttpError: lambda exc, server: f"{server} answered with an error (HTTP {exc.status}).",
    BaseException: lambda exc, server: "something went wrong.",
}


@explains(ExchangeUnanswered)
def _exchange_unanswered(exc: ExchangeUnanswered, server: str) -> Explanation:
    return Explanation(
        "Could not finish the sign-in: "
        + _lookup(_UNREACHED, exc.cause)(exc.cause, server)
        + " The sign-in code works only once and may already have been used, so it is not "
        "sent again. Please sign in again.",
        (SIGN_IN, SETTINGS),
        kind="exchange_unanswered",
    )


# no answer


@explains(CspBlocked)
def _csp_blocked(exc: CspBlocked, server: str) -> Explanation:
    from urllib.parse import urlsplit

    parts = urlsplit(exc.url)
    where = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" if parts.netloc else exc.url
    return Explanation(
        f"This page's security policy (Content-Security-Policy, connect-src) does not allow "
        f"it to connect to {where[:200]}, so the request was not sent. If the address is "
        'right, the site\'s owner adds it to "allowed_origins" in config.json and runs '
        "python3 scripts/csp.py (serve.py --config derives the policy by itself; see "
        "docs/hosting.md). Otherwise check the addresses in the settings.",
        (SETTINGS, RETRY),
        kind="csp",
    )


register(
    Timeout,
    said(
        "Could not reach {server}: no answer within {exc.seconds:g} seconds, so the request "
        "was stopped. Check your connection, then try again.",
        (RETRY, SETTINGS),
        kind="timeout",
    ),
)
register(
    CorsRefused,
    said(
        "Could not reach {server}: the server does not allow this page to call it (CORS). "
        "Check the addresses in the settings.",
        (RETRY, SETTINGS),
        kind="cors",
    ),
)
register(
    NetworkError,
    said(
        "Could not reach {server}: the network is down, the server is not running, or it "
        "does not allow this page (CORS). Check your connection and the settings, "
        "then try again.",
        (RETRY, SETTINGS),
        kind="network",
    ),
)

# an answer the app cannot use


@explains(RateLimited)
def _rate_limited(exc: RateLimited, server: str) -> Explanation:
    return Explanation(
        f"{server} says there were too many requests. Waiting {exc.retry_after:.0f} seconds "
        "before trying again; you can also retry by hand later.",
        (RETRY,),
        "warning",
        retry_after=exc.retry_after,
        kind="rate_limited",
    )


@explains(ServerError)
def _server_error(exc: ServerError, server: str) -> Explanation:
    return Explanation(
        f"{server} had a problem on its side (HTTP {exc.status}). Trying again in "
        f"{exc.retry_after:.0f} seconds; you can also retry by hand.",
        (RETRY,),
        retry_after=exc.retry_after,
        kind="server_error",
    )


@explains(OAuthError)
def _oauth_error(exc: OAuthError, server: str) -> Explanation:
    if exc.code == "invalid_grant" and exc.grant == "authorization_code":
        return Explanation(
            f"The sign-in code from {server} has expired or was already used (codes last two "
            "minutes and work once). Please sign in again.",
            (SIGN_IN,),
            kind="code_invalid",
        )
    if exc.code == "invalid_grant" and exc.grant == "refresh_token":
        return Explanation(
            f"Your session with {server} has ended (access was revoked or has expired). "
            "Everything stored for it was removed. Please sign in again.",
            (SIGN_IN,),
            "warning",
            kind="refresh_invalid",
        )
    if exc.code == "invalid_scope":
        return Explanation(
            f"{server} does not accept the requested scopes. "
            "Fix them in the settings and sign in again.",
            (SETTINGS, SIGN_IN),
            kind="invalid_scope",
        )
    if exc.code in ("invalid_client", "unauthorized_client"):
        return Explanation(
            f"{server} refused this app (client id): you are signed out. Check the client id in "
            "the settings, then sign in again.",
            (SIGN_IN, SETTINGS),
            kind="invalid_client",
        )
    text = f"The server refused the request ({exc.code}"
    text += f": {exc.description})." if exc.description else ")."
    return Explanation(text + " Please sign in again.", (SIGN_IN,), kind="oauth_error")


register(
    InvalidTokenResponse,
    said(
        "The server answered the token request, but the answer is not usable: "
        "{exc.message}. Check the token endpoint in the settings, then sign in again.",
        (SIGN_IN, SETTINGS),
        kind="invalid_token_response",
    ),
)


@explains(RoleForbidden)
def _role_forbidden(exc: RoleForbidden, server: str) -> Explanation:
    return Explanation(
        f"Your role at {server} does not allow this (the granted scope does cover it; "
        f"{server} refused with HTTP 403"
        + (f": {exc.message})." if exc.message else ").")
        + f" Ask an admin of {server} for a role with this permission.",
        (),
        "info",
        kind="role_forbidden",
    )


register(
    NonJsonResponse,
    said(
        "The server answered with an error page instead of data (HTTP {exc.status}). "
        "Check the API base and host in the settings, or try again later.",
        (RETRY, SETTINGS),
        kind="non_json",
    ),
)


@explains(ResponseTooLarge)
def _response_too_large(exc: ResponseTooLarge, server: str) -> Explanation:
    return Explanation(
        f"The answer from {exc.url} is larger than {exc.limit // 1024} kB, so it was not "
        "read (an answer of this kind is much smaller). Check the address.",
        (RETRY, SETTINGS),
        kind="too_large",
    )


register(
    MalformedResponse,
    said(
        "The server's answer could not be read (HTTP {exc.status}, malformed data). "
        "Try again later.",
        (RETRY,),
        kind="malformed",
    ),
)


@explains(ApiError)
def _api_error(exc: ApiError, server: str) -> Explanation:
    text = f"{server} refused the request (HTTP {exc.status}"
    text += f": {exc.message})." if exc.message else ")."
    return Explanation(text + " Reload the data and try again.", (RETRY,), kind="api_error")


@explains(InfoRefused)
def _info_refused(exc: InfoRefused, server: str) -> Explanation:
    what = "introspect the access token (RFC 7662)" if exc.introspection else "give token info"
    text = f"{server} refused to {what}: HTTP {exc.status}"
    text += f" ({exc.reason[:200]})." if exc.reason else "."
    if exc.introspection:
        text += (
            " The page asked as a public client (its client id, no secret); this server "
            "lets only clients with their own credentials introspect, so token info is "
            "not available here. You are still signed in."
        )
    else:
        text += " You are still signed in; the other functions are not affected."
    return Explanation(text, (), "info", kind="info_refused")


register(
    HttpError,
    said(
        "Unexpected answer from the server (HTTP {exc.status}). Try again.",
        (RETRY,),
        kind="http",
    ),
)

# the session and the settings

register(
    NotOffered,
    said("The server of this session offers no {exc.what}.", (), "info", kind="not_offered"),
)


@explains(ScopeNotGranted)
def _scope_not_granted(exc: ScopeNotGranted, server: str) -> Explanation:
    return Explanation(
        "Not allowed by the granted scope"
        + (f" (needs {scope_text(exc.scope, exc.level)})." if exc.scope else ".")
        + " Add it in the settings and sign in again to use this.",
        (SETTINGS,),
        "info",
        kind="scope_not_granted",
    )


@explains(SessionEnded)
def _session_ended(exc: SessionEnded, server: str) -> Explanation:
    if exc.reason == "revoked":
        text = (
            f"Your session with {server} has ended (access was revoked or has expired). "
            "Everything stored for it was removed. Please sign in again."
        )
    else:
        text = "Your session has ended because the access token expired. Please sign in again."
    return Explanation(text, (SIGN_IN,), "warning", kind="session_ended")


@explains(ConfigError)
def _config_error(exc: ConfigError, server: str) -> Explanation:
    return Explanation(
        "The settings need attention: " + "; ".join(exc.problems) + ".",
        (SETTINGS,),
        kind="config",
    )


register(
    StorageRefused,
    said(
        "This browser refused to store data for this page (storage full or disabled). "
        "The app keeps working in memory, but a reload of the page will sign you out.",
        (),
        "warning",
        kind="storage_refused",
    ),
)
register(
    AttemptNotStored,
    said(
        "This browser refused to store the sign-in for the way back (storage full or "
        "disabled), so it was not started. Close other tabs of this site or allow "
        "storage for it, then try again.",
        (),
        "warning",
        kind="attempt_not_stored",
    ),
)
