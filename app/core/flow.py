"""The sign-in policy as a pure state machine: events in, decisions out.

States: ``signed_out → redirecting → exchanging → signed_in → ended``, plus ``refreshing``
(from ``signed_in``); ``redirecting`` also covers a popup sign-in under way. The page feeds
it events (a click, the redirect, an answer, a timer, an error, a closed sign-in window,
another tab's sign-out) and changes its state only by carrying out the ``Decision`` it
returns: what to send, whether to show the signed-in or signed-out view, whether the
session is over (forget its tokens), which notice, and what a Retry may run again.

``TRANSITIONS`` is the whole machine, one row per (state, event) that does something (the
way h11's ``_state.py`` writes HTTP/1.1's); a pair not in it is ignored.

Three rules live here and nowhere else:
- ``ends_session``: the one table of errors after which the session is over (the session's
  own refresh uses it too).
- A notice offers only what works in the state it leaves the page in: no "Sign in again"
  while signed in (a sign-in starts only when signed out), no Retry without a retry.
- A code exchange that got *any* answer (or whose request may have reached the server) is
  never retried: codes work once (RFC 6749 §4.1.2) and a strict server revokes the tokens
  issued for a code that comes back. Retry is offered only when the request certainly never
  left (``NetworkError.sent is False``), and the notice says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from app.core import errors, explain

SIGNED_OUT = "signed_out"
REDIRECTING = "redirecting"
EXCHANGING = "exchanging"
SIGNED_IN = "signed_in"
REFRESHING = "refreshing"
ENDED = "ended"
STATES = (SIGNED_OUT, REDIRECTING, EXCHANGING, SIGNED_IN, REFRESHING, ENDED)

# Events (``Event.name``); each is emitted by the page (tests/unit/test_flow.py checks).
SIGN_IN = "sign_in"  # the user pressed "Sign in"
CALLBACK = "callback"  # the redirect came back and passed the checks: exchange the code
CALLBACK_FAILED = "callback_failed"  # the redirect was refused (error, state, too old ...)
EXCHANGED = "exchanged"  # the token endpoint gave tokens for the code
EXCHANGE_FAILED = "exchange_failed"
RESUMED = "resumed"  # a stored session was found on load
REFRESH = "refresh"  # the user (or a Retry) asked for a refresh
TIMER = "timer"  # the refresh is due (or the token expired)
REFRESHED = "refreshed"
REFRESH_FAILED = "refresh_failed"
API_FAILED = "api_failed"  # a data call failed (panel error)
SIGN_OUT = "sign_out"
ENDED_ELSEWHERE = "ended_elsewhere"  # another tab of this session signed out
# The sign-in under way stopped: its window was closed or gave no answer in time, it could
# not start, or the page came back from the server by the back button (bfcache).
CANCELLED = "cancelled"
EVENTS = (
    SIGN_IN,
    CALLBACK,
    CALLBACK_FAILED,
    EXCHANGED,
    EXCHANGE_FAILED,
    RESUMED,
    REFRESH,
    TIMER,
    REFRESHED,
    REFRESH_FAILED,
    API_FAILED,
    SIGN_OUT,
    ENDED_ELSEWHERE,
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
    server: str = explain.ILERT  # the server's name in notices (urls.server_name)


@dataclass(frozen=True)
class Decision:
    state: str
    send: str | None = None
    view: str | None = None  # "signed_in", "signed_out" or None (leave as is)
    notice: explain.Explanation | None = None
    retry: str | None = None  # what "Retry" may run again; None: no Retry button
    ignored: bool = False  # the event does not apply in this state
    end_session: bool = False  # forget the session: its tokens and all stored for it


def ends_session(exc: BaseException) -> bool:
    """The one table: after which errors is the session over (sign in again)?

    A refresh the server refused with any OAuth error is refused for good (RFC 6749 §5.2:
    the same request gets the same answer), and a refresh answer that is not a usable token
    set may have rotated the refresh token away: either way only a new sign-in helps.
    """
    if isinstance(exc, (errors.SessionEnded, errors.InvalidTokenResponse)):
        return True
    if isinstance(exc, errors.OAuthError):
        return exc.grant == "refresh_token"
    return False


def exchange_retryable(exc: BaseException) -> bool:
    """Only a request that certainly never left may be sent again."""
    return isinstance(exc, errors.NetworkError) and exc.sent is False


def _notice(
    exc: BaseException | None, server: str, signed_in: bool = False
) -> explain.Explanation | None:
    """What to tell, naming ``server``; while the page stays signed in, never "Sign in
    again" (it would do nothing: a sign-in starts only when signed out)."""
    if exc is None:
        return None
    notice = explain.explain(exc, server)
    if signed_in and explain.SIGN_IN in notice.actions:
        notice = replace(notice, actions=tuple(a for a in notice.actions if a != explain.SIGN_IN))
    return notice


# --- the transitions ------------------------------------------------------------------
# (state, event) → the decision, or a rule that makes it from the event; a pair not in
# the table is ignored (the state stays, nothing is sent or shown).

Rule = Callable[[str, Event], Decision]


def _callback_failed(state: str, event: Event) -> Decision:
    if state in (SIGNED_IN, REFRESHING):  # an unusable redirect: stay signed in
        return Decision(state, notice=_notice(event.error, event.server, signed_in=True))
    return Decision(SIGNED_OUT, view="signed_out", notice=_notice(event.error, event.server))


def _exchange_failed(state: str, event: Event) -> Decision:
    exc = event.error
    if exc is not None and exchange_retryable(exc):
        return Decision(
            SIGNED_OUT, view="signed_out", notice=_notice(exc, event.server), retry=RETRY_EXCHANGE
        )
    if exc is not None and not isinstance(exc, (errors.OAuthError, errors.InvalidTokenResponse)):
        # no answer, or one that cannot be read: the code may be spent; never re-send it
        exc = errors.ExchangeUnanswered(exc)
    return Decision(SIGNED_OUT, view="signed_out", notice=_notice(exc, event.server))


def _due(state: str, event: Event) -> Decision:
    if event.can_refresh:
        return Decision(REFRESHING, send=SEND_REFRESH)
    return _ended(errors.SessionEnded("expired"), event.server)


def _ended(exc: BaseException | None, server: str) -> Decision:
    return Decision(ENDED, view="signed_out", notice=_notice(exc, server), end_session=True)


def _failed(retry: str) -> Rule:
    def rule(state: str, event: Event) -> Decision:
        exc = event.error
        if exc is not None and ends_session(exc):
            return _ended(exc, event.server)
        return Decision(SIGNED_IN, notice=_notice(exc, event.server, signed_in=True), retry=retry)

    return rule


_AUTHORIZE = Decision(REDIRECTING, send=SEND_AUTHORIZE)
_EXCHANGE = Decision(EXCHANGING, send=SEND_EXCHANGE)
_LOAD = Decision(SIGNED_IN, send=LOAD_DATA, view="signed_in")
_SIGN_OUT = Decision(ENDED, send=SEND_REVOKE, view="signed_out", end_session=True)
_ENDED_ELSEWHERE = Decision(ENDED, view="signed_out", end_session=True)  # revoked there
_refresh_failed = _failed(RETRY_REFRESH)
_api_failed = _failed(RETRY_LOAD)

TRANSITIONS: dict[tuple[str, str], Decision | Rule] = {
    (SIGNED_OUT, SIGN_IN): _AUTHORIZE,
    (ENDED, SIGN_IN): _AUTHORIZE,
    (SIGNED_OUT, CALLBACK): _EXCHANGE,
    (REDIRECTING, CALLBACK): _EXCHANGE,
    (ENDED, CALLBACK): _EXCHANGE,
    (SIGNED_OUT, CALLBACK_FAILED): _callback_failed,
    (REDIRECTING, CALLBACK_FAILED): _callback_failed,
    (ENDED, CALLBACK_FAILED): _callback_failed,
    (SIGNED_IN, CALLBACK_FAILED): _callback_failed,
    (REFRESHING, CALLBACK_FAILED): _callback_failed,
    (EXCHANGING, EXCHANGED): _LOAD,
    (EXCHANGING, EXCHANGE_FAILED): _exchange_failed,
    (SIGNED_OUT, RESUMED): _LOAD,
    (ENDED, RESUMED): _LOAD,
    (SIGNED_IN, REFRESH): Decision(REFRESHING, send=SEND_REFRESH),
    (SIGNED_IN, TIMER): _due,  # refreshing: the running refresh is joined
    (REFRESHING, REFRESHED): Decision(SIGNED_IN),
    (SIGNED_IN, REFRESHED): Decision(SIGNED_IN),
    (SIGNED_IN, REFRESH_FAILED): _refresh_failed,
    (REFRESHING, REFRESH_FAILED): _refresh_failed,
    (SIGNED_IN, API_FAILED): _api_failed,
    (REFRESHING, API_FAILED): _api_failed,
    (SIGNED_IN, SIGN_OUT): _SIGN_OUT,
    (REFRESHING, SIGN_OUT): _SIGN_OUT,
    (SIGNED_IN, ENDED_ELSEWHERE): _ENDED_ELSEWHERE,
    (REFRESHING, ENDED_ELSEWHERE): _ENDED_ELSEWHERE,
    (REDIRECTING, CANCELLED): lambda state, event: Decision(
        SIGNED_OUT, view="signed_out", notice=_notice(event.error, event.server)
    ),
}


def step(state: str, event: Event) -> Decision:
    """The decision for ``event`` in ``state`` (pure; the page carries it out)."""
    if state not in STATES or event.name not in EVENTS:
        raise ValueError(f"unknown state or event: {state}, {event.name}")
    entry = TRANSITIONS.get((state, event.name))
    if entry is None:
        return Decision(state, ignored=True)
    return entry if isinstance(entry, Decision) else entry(state, event)
