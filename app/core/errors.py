"""Every error the app can meet, as types; ``app.core.explain`` turns each into plain language.

The core raises these types; the page never shows ``str(exc)`` or a traceback, it shows
``explain(exc, server)``. Each type carries what its explanation needs (a status, a reason,
the issuer received), nothing worded for a person.
"""

from __future__ import annotations


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


class IgnoredCallback(CallbackError):
    """An ``error`` answer that does not belong to a sign-in of this tab.

    Not an error of the app: the page shows its explanation (a neutral note, never the
    link's own text) and goes on as if the page had been opened without it.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "no_state" or "unknown_state"


class IssuerMismatch(CallbackError):
    """RFC 9207: the answer names another issuer than the one the sign-in was sent to."""

    def __init__(self, received: str, expected: str) -> None:
        super().__init__("issuer mismatch")
        self.received = received
        self.expected = expected


class IssuerMissing(CallbackError):
    """RFC 9207 §2.4: no ``iss``, although the server says it puts one on every answer."""

    def __init__(self, expected: str) -> None:
        super().__init__("issuer missing")
        self.expected = expected


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


class NotOffered(AppError):
    """The server of this session has no such endpoint (no revocation, no token info)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


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


# --- storage --------------------------------------------------------------------------


class StorageRefused(AppError):
    """The browser refused to store ``key`` (full, disabled, blocked); ``reason`` says how."""

    def __init__(self, key: str, reason: str = "") -> None:
        super().__init__(f"{key}: {reason}" if reason else key)
        self.key = key
        self.reason = reason


class AttemptNotStored(AppError):
    """The browser refused to keep the sign-in attempt: going to the server would lose it."""
