"""The sign-in policy as a pure state machine: events in, decisions out.

States: ``signed_out → redirecting → exchanging → signed_in → ended``, plus ``refreshing``
(from ``signed_in``); ``redirecting`` also covers a popup sign-in under way. The page feeds
it events (a click, the redirect, an answer, a 401, a timer, an error, a closed sign-in
window) and only carries out the ``Decision`` it returns: what to send, whether to
show the signed-in or signed-out view, which notice, and what a Retry may run again.

Two rules live here and nowhere else:
- ``ends_session``: the one table of errors after which the session is over.
- A code exchange that got *any* answer (or whose request may have reached the server) is
  never retried: codes work once (RFC 6749 §4.1.2) and a strict server revokes the tokens
  issued for a code that comes back. Retry is offered only when the request certainly never
  left (``NetworkError.sent is False``), and the notice says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from app import errors

SIGNED_OUT = "signed_out"
REDIRECTING = "redirecting"
EXCHANGING = "exchanging"
SIGNED_IN = "signed_in"
REFRESHING = "refreshing"
ENDED = "ended"
STATES = (SIGNED_OUT, REDIRECTING, EXCHANGING, SIGNED_IN, REFRESHING, ENDED)

# Events (``Event.name``).
SIGN_IN = "sign_in"  # the user pressed "Sign in"
CALLBACK = "callback"  # the redirect came back and passed the checks: exchange the code
CALLBACK_FAILED = "callback_failed"  # the redirect was refused (error, state, too old ...)
EXCHANGED = "exchanged"  # the token endpoint gave tokens for the code
EXCHANGE_FAILED = "exchange_failed"
RESUMED = "resumed"  # a stored session was found on load
UNAUTHORIZED = "unauthorized"  # an API call got 401
TIMER = "timer"  # the refresh is due (or the token expired)
REFRESHED = "refreshed"
REFRESH_FAILED = "refresh_failed"
API_FAILED = "api_failed"  # a data call failed (panel error)
SIGN_OUT = "sign_out"
CANCELLED = "cancelled"  # the sign-in window was closed, or its wait timed out
EVENTS = (
    SIGN_IN,
    CALLBACK,
    CALLBACK_FAILED,
    EXCHANGED,
    EXCHANGE_FAILED,
    RESUMED,
    UNAUTHORIZED,
    TIMER,
    REFRESHED,
    REFRESH_FAILED,
    API_FAILED,
    SIGN_OUT,
    CANCELLED,
)

# What the page sends next (``Decision.send``).
SEND_AUTHORIZE = "authorize"
SEND_EXCHANGE = "exchange"
SEND_REFRESH = "refresh"
SEND_REVOKE = "revoke"
LOAD_DATA = "load_data"
# What a Retry may run again (``Decision.retry``).
RETRY_EXCHANGE = "exchange"
RETRY_REFRESH = "refresh"
RETRY_LOAD = "load_data"


@dataclass(frozen=True)
class Event:
    name: str
    error: BaseException | None = None
    can_refresh: bool = False  # the session holds a refresh token
    server: str = errors.ILERT  # the server's name in notices (config.server_name)


@dataclass(frozen=True)
class Decision:
    state: str
    send: str | None = None
    view: str | None = None  # "signed_in", "signed_out" or None (leave as is)
    notice: errors.Explanation | None = None
    retry: str | None = None  # what "Retry" may run again; None: no Retry button
    ignored: bool = False  # the event does not apply in this state

    @property
    def ends(self) -> bool:
        return self.state in (ENDED, SIGNED_OUT) and self.view == "signed_out"


def ends_session(exc: BaseException) -> bool:
    """The one table: after which errors is the session over (sign in again)?"""
    if isinstance(exc, errors.SessionEnded):
        return True
    if isinstance(exc, errors.OAuthError):
        return exc.grant == "refresh_token" and exc.code in (
            "invalid_grant",
            "invalid_client",
            "unauthorized_client",
        )
    return False


def exchange_retryable(exc: BaseException) -> bool:
    """Only a request that certainly never left may be sent again."""
    return isinstance(exc, errors.NetworkError) and exc.sent is False


def _notice(exc: BaseException | None, server: str) -> errors.Explanation | None:
    return None if exc is None else errors.explain(exc, server)


def step(state: str, event: Event) -> Decision:
    """The decision for ``event`` in ``state`` (pure; the page carries it out)."""
    name, exc = event.name, event.error
    if state not in STATES or name not in EVENTS:
        raise ValueError(f"unknown state or event: {state}, {name}")

    if name == SIGN_IN:
        if state in (SIGNED_OUT, ENDED):
            return Decision(REDIRECTING, send=SEND_AUTHORIZE)
        return Decision(state, ignored=True)  # double click, or already signed in
    if name == CALLBACK:
        if state in (SIGNED_OUT, ENDED, REDIRECTING):
            return Decision(EXCHANGING, send=SEND_EXCHANGE)
        return Decision(state, ignored=True)
    if name == CALLBACK_FAILED:
        if state in (SIGNED_IN, REFRESHING):  # an unusable redirect: stay signed in
            return Decision(state, notice=_notice(exc, event.server))
        if state == EXCHANGING:
            return Decision(state, ignored=True)
        return Decision(SIGNED_OUT, view="signed_out", notice=_notice(exc, event.server))
    if name == EXCHANGED:
        if state == EXCHANGING:
            return Decision(SIGNED_IN, send=LOAD_DATA, view="signed_in")
        return Decision(state, ignored=True)
    if name == EXCHANGE_FAILED:
        if state != EXCHANGING:
            return Decision(state, ignored=True)
        if exc is not None and exchange_retryable(exc):
            return Decision(
                SIGNED_OUT,
                view="signed_out",
                notice=_notice(exc, event.server),
                retry=RETRY_EXCHANGE,
            )
        if isinstance(exc, (errors.NetworkError, errors.ServerError, errors.RateLimited)):
            # an answer was lost or was an error: the code may be spent; never re-send it
            return Decision(
                SIGNED_OUT,
                view="signed_out",
                notice=_notice(errors.ExchangeUnanswered(exc), event.server),
            )
        return Decision(SIGNED_OUT, view="signed_out", notice=_notice(exc, event.server))
    if name == RESUMED:
        if state in (SIGNED_OUT, ENDED):
            return Decision(SIGNED_IN, send=LOAD_DATA, view="signed_in")
        return Decision(state, ignored=True)
    if name in (UNAUTHORIZED, TIMER):
        if state == SIGNED_IN:
            if event.can_refresh:
                return Decision(REFRESHING, send=SEND_REFRESH)
            return Decision(
                ENDED,
                view="signed_out",
                notice=_notice(errors.SessionEnded("expired"), event.server),
            )
        return Decision(state, ignored=True)  # refreshing: join the running refresh
    if name == REFRESHED:
        if state in (REFRESHING, SIGNED_IN):
            return Decision(SIGNED_IN)
        return Decision(state, ignored=True)
    if name in (REFRESH_FAILED, API_FAILED):
        if state not in (SIGNED_IN, REFRESHING):
            return Decision(state, ignored=True)
        if exc is not None and ends_session(exc):
            return Decision(ENDED, view="signed_out", notice=_notice(exc, event.server))
        if name == REFRESH_FAILED:
            return Decision(SIGNED_IN, notice=_notice(exc, event.server), retry=RETRY_REFRESH)
        return Decision(SIGNED_IN, notice=_notice(exc, event.server), retry=RETRY_LOAD)
    if name == CANCELLED:
        if state == REDIRECTING:
            return Decision(SIGNED_OUT, view="signed_out", notice=_notice(exc, event.server))
        return Decision(state, ignored=True)
    # SIGN_OUT
    if state in (SIGNED_IN, REFRESHING):
        return Decision(ENDED, send=SEND_REVOKE, view="signed_out")
    return Decision(state, ignored=True)
