"""Every error the app can meet, and the one place that turns it into plain language.

The core raises these types; the page never shows ``str(exc)`` or a traceback, it shows
``explain(exc, server)``: a sentence for a person plus a way forward (sign in again, retry,
...), worded after the server in use (``config.server_name``: "ilert" for ilert's layout,
the issuer's host for another server).
"""

from __future__ import annotations

from dataclasses import dataclass

ILERT = "ilert"  # the server's name when nobody says otherwise (the app's default server)

# Ways forward the page knows how to offer (buttons).
SIGN_IN = "sign_in"
RETRY = "retry"
SETTINGS = "settings"


class AppError(Exception):
    """Base class: everything the app raises on purpose."""


# --- the authorization redirect -------------------------------------------------------


class CallbackError(AppError):
    """The redirect back from ilert cannot be used."""


class SignInCancelled(CallbackError):
    """The popup sign-in window was closed (or its wait timed out) before ilert answered."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "closed" or "timeout"


class ConsentDenied(CallbackError):
    def __init__(self, description: str = "") -> None:
        super().__init__("access_denied")
        self.description = description


class AuthorizationError(CallbackError):
    """ilert redirected back with ``error`` (other than a denied consent)."""

    def __init__(self, error: str, description: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.description = description


class StateMissing(CallbackError):
    pass


class StateMismatch(CallbackError):
    pass


class MissingVerifier(CallbackError):
    """No sign-in attempt stored in this tab: opened in another tab, or storage was cleared."""


class CallbackReplayed(CallbackError):
    """This redirect was handled before (back button, reload of an old URL)."""


class AttemptExpired(CallbackError):
    """The stored sign-in attempt is older than the page accepts (10 minutes)."""


# --- HTTP -----------------------------------------------------------------------------


class NetworkError(AppError):
    """No HTTP response at all: offline, DNS, refused, or blocked by CORS.

    ``sent`` is False only when the request certainly never reached a server (refused,
    browser offline); None when nobody can tell (a dropped connection may have done work).
    """

    kind = "network"

    def __init__(self, url: str = "", reason: str = "", sent: bool | None = None) -> None:
        super().__init__(reason or "network error")
        self.url = url
        self.reason = reason
        self.sent = sent


class Timeout(NetworkError):
    """No answer within the timeout; the request was aborted."""

    kind = "timeout"

    def __init__(self, url: str = "", seconds: float = 0.0) -> None:
        super().__init__(url, f"no answer within {seconds:g} s")
        self.seconds = seconds


class CorsRefused(NetworkError):
    """The server answered but the browser withheld the answer (no CORS permission)."""

    kind = "cors"


class CspBlocked(NetworkError):
    """The page's own Content-Security-Policy (``connect-src``) blocked the request: it was
    never sent. Not the server's fault: the site's configuration does not name its origin."""

    kind = "csp"

    def __init__(self, url: str = "") -> None:
        super().__init__(url, "blocked by the page's Content-Security-Policy", sent=False)


class HttpError(AppError):
    """An HTTP response the app cannot use."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(f"HTTP {status}: {message}" if message else f"HTTP {status}")
        self.status = status
        self.message = message


class RateLimited(HttpError):
    """429: ilert sends no Retry-After, so ``retry_after`` comes from our back-off policy."""

    def __init__(self, retry_after: float, status: int = 429) -> None:
        super().__init__(status, "rate limited")
        self.retry_after = retry_after


class ServerError(HttpError):
    def __init__(self, status: int, retry_after: float, message: str = "") -> None:
        super().__init__(status, message)
        self.retry_after = retry_after


class ResponseTooLarge(HttpError):
    """The answer is larger than the request allows (``HttpRequest.max_bytes``): not read."""

    def __init__(self, url: str, limit: int, status: int = 200) -> None:
        super().__init__(status, f"larger than {limit} bytes")
        self.url = url
        self.limit = limit


class MalformedResponse(HttpError):
    """Declared JSON but is not valid JSON, or JSON of the wrong shape."""


class NonJsonResponse(HttpError):
    """An error page (HTML, text) where JSON was expected, e.g. from a proxy."""


class OAuthError(HttpError):
    """An OAuth error from the token endpoints, in ilert's or RFC 6749's shape."""

    def __init__(self, status: int, code: str, description: str = "", grant: str = "") -> None:
        super().__init__(status, f"{code}: {description}" if description else code)
        self.code = code
        self.description = description
        self.grant = grant  # "authorization_code", "refresh_token" or "" (token_info, revoke)


class ApiError(HttpError):
    """An ilert REST API error body ``{"status", "message", "code"}`` (404 and friends)."""

    def __init__(self, status: int, message: str = "", code: str = "") -> None:
        super().__init__(status, message)
        self.code = code


class InvalidTokenResponse(HttpError):
    """A 2xx token response that breaks RFC 6749 §5.1 (no token, bad expires_in, not Bearer)."""


class RoleForbidden(HttpError):
    """403 although the granted scope covers the call: the user's ilert role does not allow it."""

    def __init__(self, status: int = 403, message: str = "") -> None:
        super().__init__(status, message)


class InfoRefused(HttpError):
    """The token info / introspection endpoint answered, but refused (401, 403, an OAuth error).

    Not a network failure and not the end of the session: RFC 7662 lets a server demand
    its own credentials for introspection, which a public client does not have.
    """

    def __init__(self, status: int, reason: str = "", introspection: bool = False) -> None:
        super().__init__(status, reason)
        self.reason = reason
        self.introspection = introspection

    def explanation_for(self, server: str) -> Explanation:
        what = "introspect the access token (RFC 7662)" if self.introspection else "give token info"
        text = f"{server} refused to {what}: HTTP {self.status}"
        text += f" ({self.reason[:200]})." if self.reason else "."
        if self.introspection:
            text += (
                " The page asked as a public client (its client id, no secret); this server "
                "lets only clients with their own credentials introspect, so token info is "
                "not available here. You are still signed in."
            )
        else:
            text += " You are still signed in; the other functions are not affected."
        return Explanation(text, (), "info", kind="info_refused")


class NotOffered(AppError):
    """The server of this session has no such endpoint (no revocation, no token info)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what

    def explanation(self) -> Explanation:
        return Explanation(
            f"The server of this session offers no {self.what}.", (), "info", kind="not_offered"
        )


class ScopeNotGranted(AppError):
    """The granted scope does not cover this call. Shown as information, not as an error."""

    def __init__(self, scope: str, level: str = "r") -> None:
        super().__init__(f"{scope}:{level}")
        self.scope = scope
        self.level = level


class SessionEnded(AppError):
    """No usable token any more: expired without a refresh token, or the refresh failed."""

    def __init__(self, reason: str = "expired") -> None:
        super().__init__(reason)
        self.reason = reason  # "expired", "revoked", "signed_out"


class ExchangeUnanswered(AppError):
    """The code exchange got no usable answer; the code may be spent, so it is never re-sent."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class ConfigError(AppError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# --- plain language ----------------------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    message: str
    actions: tuple[str, ...] = ()
    severity: str = "error"  # "error", "warning" or "info"
    retry_after: float | None = None
    kind: str = "error"  # a stable name for tests and the flow log


def explain(exc: BaseException, server: str = ILERT) -> Explanation:
    """A message for a person and a way forward, for any exception (unknown ones included).

    ``server`` names the server in the message ("ilert", "auth.example.org").
    """
    named = getattr(exc, "explanation_for", None)
    if callable(named):  # errors that explain themselves naming the server (issuer, info)
        return named(server)
    hook = getattr(exc, "explanation", None)
    if callable(hook):  # errors that explain themselves (ignored callback, storage)
        return hook()
    if isinstance(exc, SignInCancelled):
        if exc.reason == "timeout":
            text = "The sign-in window got no answer in time, so the sign-in was cancelled."
        else:
            text = "The sign-in window was closed, so the sign-in was cancelled."
        return Explanation(
            text + " Press Sign in to try again.", (SIGN_IN,), "info", kind="sign_in_cancelled"
        )
    if isinstance(exc, ConsentDenied):
        return Explanation(
            f"You declined access at {server}, so the app is not signed in. "
            "Sign in again and choose Approve if you want to continue.",
            (SIGN_IN,),
            "warning",
            kind="consent_denied",
        )
    if isinstance(exc, AuthorizationError):
        text = f"{server} did not sign you in ({exc.error})"
        if exc.description:
            text += f": {exc.description}"
        return Explanation(
            text + ". Check the settings (client id, redirect URI, scopes) and sign in again.",
            (SIGN_IN, SETTINGS),
            kind="authorization_error",
        )
    if isinstance(exc, StateMissing):
        return Explanation(
            f"The answer from {server} was incomplete (no state), so it was ignored for your "
            "safety. Please sign in again.",
            (SIGN_IN,),
            kind="state_missing",
        )
    if isinstance(exc, StateMismatch):
        return Explanation(
            f"The answer from {server} does not belong to the sign-in started here (state "
            "mismatch), so it was ignored for your safety. Please sign in again.",
            (SIGN_IN,),
            kind="state_mismatch",
        )
    if isinstance(exc, MissingVerifier):
        return Explanation(
            "This sign-in was started in another tab or window (or this tab's storage was "
            "cleared), so it cannot be finished here. Sign in again from this tab.",
            (SIGN_IN,),
            kind="missing_verifier",
        )
    if isinstance(exc, CallbackReplayed):
        return Explanation(
            "This sign-in link was already used (for example via the back button). "
            "Each one works only once. Sign in again if you need to.",
            (SIGN_IN,),
            "warning",
            kind="callback_replayed",
        )
    if isinstance(exc, AttemptExpired):
        return Explanation(
            "That sign-in took too long (more than 10 minutes), so it was discarded for your "
            "safety. Please start again.",
            (SIGN_IN,),
            "warning",
            kind="attempt_expired",
        )
    if isinstance(exc, ExchangeUnanswered):
        return Explanation(
            "Could not finish the sign-in: " + _unreached(exc.cause, server) + " The sign-in code "
            "works only once and may already have been used, so it is not sent again. "
            "Please sign in again.",
            (SIGN_IN, SETTINGS),
            kind="exchange_unanswered",
        )
    if isinstance(exc, CspBlocked):
        return _explain_csp(exc)
    if isinstance(exc, Timeout):
        return Explanation(
            f"Could not reach {server}: no answer within {exc.seconds:g} seconds, so the request "
            "was stopped. Check your connection, then try again.",
            (RETRY, SETTINGS),
            kind="timeout",
        )
    if isinstance(exc, CorsRefused):
        return Explanation(
            f"Could not reach {server}: the server does not allow this page to call it (CORS). "
            "Check the addresses in the settings.",
            (RETRY, SETTINGS),
            kind="cors",
        )
    if isinstance(exc, NetworkError):
        return Explanation(
            f"Could not reach {server}: the network is down, the server is not running, or it "
            "does not allow this page (CORS). Check your connection and the settings, "
            "then try again.",
            (RETRY, SETTINGS),
            kind="network",
        )
    if isinstance(exc, RateLimited):
        return Explanation(
            f"{server} says there were too many requests. Waiting {exc.retry_after:.0f} seconds "
            "before trying again; you can also retry by hand later.",
            (RETRY,),
            "warning",
            retry_after=exc.retry_after,
            kind="rate_limited",
        )
    if isinstance(exc, ServerError):
        return Explanation(
            f"{server} had a problem on its side (HTTP {exc.status}). Trying again in "
            f"{exc.retry_after:.0f} seconds; you can also retry by hand.",
            (RETRY,),
            retry_after=exc.retry_after,
            kind="server_error",
        )
    if isinstance(exc, OAuthError):
        return _explain_oauth(exc, server)
    if isinstance(exc, InvalidTokenResponse):
        return Explanation(
            f"The server answered the token request, but the answer is not usable: "
            f"{exc.message}. Check the token endpoint in the settings, then sign in again.",
            (SIGN_IN, SETTINGS),
            kind="invalid_token_response",
        )
    if isinstance(exc, RoleForbidden):
        return Explanation(
            f"Your role at {server} does not allow this (the granted scope does cover it; "
            f"{server} refused with HTTP 403"
            + (f": {exc.message})." if exc.message else ").")
            + f" Ask an admin of {server} for a role with this permission.",
            (),
            "info",
            kind="role_forbidden",
        )
    if isinstance(exc, NonJsonResponse):
        return Explanation(
            f"The server answered with an error page instead of data (HTTP {exc.status}). "
            "Check the API base and host in the settings, or try again later.",
            (RETRY, SETTINGS),
            kind="non_json",
        )
    if isinstance(exc, ResponseTooLarge):
        return Explanation(
            f"The answer from {exc.url} is larger than {exc.limit // 1024} kB, so it was not "
            "read (an answer of this kind is much smaller). Check the address.",
            (RETRY, SETTINGS),
            kind="too_large",
        )
    if isinstance(exc, MalformedResponse):
        return Explanation(
            f"The server's answer could not be read (HTTP {exc.status}, malformed data). "
            "Try again later.",
            (RETRY,),
            kind="malformed",
        )
    if isinstance(exc, ScopeNotGranted):
        return Explanation(
            "Not allowed by the granted scope"
            + (f" (needs {scope_text(exc.scope, exc.level)})." if exc.scope else ".")
            + " Add it in the settings and sign in again to use this.",
            (SETTINGS,),
            "info",
            kind="scope_not_granted",
        )
    if isinstance(exc, SessionEnded):
        if exc.reason == "revoked":
            text = (
                f"Your session with {server} has ended (access was revoked or has expired). "
                "Everything stored for it was removed. Please sign in again."
            )
        else:
            text = "Your session has ended because the access token expired. Please sign in again."
        return Explanation(text, (SIGN_IN,), "warning", kind="session_ended")
    if isinstance(exc, ApiError):
        text = f"{server} refused the request (HTTP {exc.status}"
        text += f": {exc.message})." if exc.message else ")."
        return Explanation(text + " Reload the data and try again.", (RETRY,), kind="api_error")
    if isinstance(exc, ConfigError):
        return Explanation(
            "The settings need attention: " + "; ".join(exc.problems) + ".",
            (SETTINGS,),
            kind="config",
        )
    if isinstance(exc, HttpError):
        return Explanation(
            f"Unexpected answer from the server (HTTP {exc.status}). Try again.",
            (RETRY,),
            kind="http",
        )
    return Explanation(
        "Something unexpected went wrong in the app. Details are in the flow log; "
        "try again, or reload the page.",
        (RETRY,),
        kind="unexpected",
    )


def scope_text(name: str, level: str = "r") -> str:
    """``source`` for read, ``source:w`` otherwise (scopes.Grant writes every scope out)."""
    from app.core.scopes import Grant

    return str(Grant(name, level))


def _explain_csp(exc: CspBlocked) -> Explanation:
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


def _unreached(exc: BaseException, server: str) -> str:
    if isinstance(exc, CspBlocked):
        return "this page's security policy (CSP) blocked the request, so it was not sent."
    if isinstance(exc, Timeout):
        return f"{server} did not answer within {exc.seconds:g} seconds."
    if isinstance(exc, NetworkError):
        return f"{server} could not be reached or the connection broke."
    if isinstance(exc, HttpError):
        return f"{server} answered with an error (HTTP {exc.status})."
    return "something went wrong."


def _explain_oauth(exc: OAuthError, server: str) -> Explanation:
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
