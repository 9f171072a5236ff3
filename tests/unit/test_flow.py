"""The session state machine, over every state × event (pure; no browser, no network)."""

from __future__ import annotations

import itertools

import pytest

from app.core import errors, explain, flow
from app.core.flow import Event

REFRESH_DEAD = errors.OAuthError(401, "invalid_grant", "revoked", "refresh_token")
CLIENT_DEAD = errors.OAuthError(401, "invalid_client", "who?", "refresh_token")
CODE_USED = errors.OAuthError(401, "invalid_grant", "used", "authorization_code")
REFUSED = errors.NetworkError("u", "refused", sent=False)
DROPPED = errors.NetworkError("u", "connection reset")
TIMEOUT = errors.Timeout("u", 15)
FIVE = errors.ServerError(502, 10)
API_404 = errors.ApiError(404, "gone")

# Expected (state after, what to send, view) for every state × event that is not ignored.
S = flow
EXPECTED = {
    (S.SIGNED_OUT, S.SIGN_IN): (S.REDIRECTING, S.SEND_AUTHORIZE, None),
    (S.ENDED, S.SIGN_IN): (S.REDIRECTING, S.SEND_AUTHORIZE, None),
    (S.SIGNED_OUT, S.CALLBACK): (S.EXCHANGING, S.SEND_EXCHANGE, None),
    (S.REDIRECTING, S.CALLBACK): (S.EXCHANGING, S.SEND_EXCHANGE, None),
    (S.ENDED, S.CALLBACK): (S.EXCHANGING, S.SEND_EXCHANGE, None),
    (S.SIGNED_OUT, S.CALLBACK_FAILED): (S.SIGNED_OUT, None, "signed_out"),
    (S.REDIRECTING, S.CALLBACK_FAILED): (S.SIGNED_OUT, None, "signed_out"),
    (S.ENDED, S.CALLBACK_FAILED): (S.SIGNED_OUT, None, "signed_out"),
    (S.SIGNED_IN, S.CALLBACK_FAILED): (S.SIGNED_IN, None, None),
    (S.REFRESHING, S.CALLBACK_FAILED): (S.REFRESHING, None, None),
    (S.EXCHANGING, S.EXCHANGED): (S.SIGNED_IN, S.LOAD_DATA, "signed_in"),
    (S.EXCHANGING, S.EXCHANGE_FAILED): (S.SIGNED_OUT, None, "signed_out"),
    (S.SIGNED_OUT, S.RESUMED): (S.SIGNED_IN, S.LOAD_DATA, "signed_in"),
    (S.ENDED, S.RESUMED): (S.SIGNED_IN, S.LOAD_DATA, "signed_in"),
    (S.SIGNED_IN, S.REFRESH): (S.REFRESHING, S.SEND_REFRESH, None),
    (S.SIGNED_IN, S.TIMER): (S.REFRESHING, S.SEND_REFRESH, None),
    (S.REFRESHING, S.REFRESHED): (S.SIGNED_IN, None, None),
    (S.SIGNED_IN, S.REFRESHED): (S.SIGNED_IN, None, None),
    (S.SIGNED_IN, S.REFRESH_FAILED): (S.SIGNED_IN, None, None),
    (S.REFRESHING, S.REFRESH_FAILED): (S.SIGNED_IN, None, None),
    (S.SIGNED_IN, S.API_FAILED): (S.SIGNED_IN, None, None),
    (S.REFRESHING, S.API_FAILED): (S.SIGNED_IN, None, None),
    (S.SIGNED_IN, S.SIGN_OUT): (S.ENDED, S.SEND_REVOKE, "signed_out"),
    (S.REFRESHING, S.SIGN_OUT): (S.ENDED, S.SEND_REVOKE, "signed_out"),
    (S.SIGNED_IN, S.ENDED_ELSEWHERE): (S.ENDED, None, "signed_out"),
    (S.REFRESHING, S.ENDED_ELSEWHERE): (S.ENDED, None, "signed_out"),
    (S.REDIRECTING, S.CANCELLED): (S.SIGNED_OUT, None, "signed_out"),
}
ERROR_EVENTS = {
    S.CALLBACK_FAILED,
    S.EXCHANGE_FAILED,
    S.REFRESH_FAILED,
    S.API_FAILED,
    S.CANCELLED,
}


@pytest.mark.parametrize(("state", "name"), list(itertools.product(flow.STATES, flow.EVENTS)))
def test_every_state_and_event(state: str, name: str) -> None:
    error = API_404 if name in ERROR_EVENTS else None
    decision = flow.step(state, Event(name, error, can_refresh=True))
    expected = EXPECTED.get((state, name))
    if expected is None:
        assert decision.ignored and decision.state == state and decision.send is None
        assert decision.view is None and decision.notice is None
    else:
        assert not decision.ignored
        assert (decision.state, decision.send, decision.view) == expected
        assert (decision.notice is not None) == (name in ERROR_EVENTS)


@pytest.mark.parametrize(
    ("error", "ends"),
    [
        (REFRESH_DEAD, True),
        (CLIENT_DEAD, True),
        (errors.OAuthError(400, "unauthorized_client", "", "refresh_token"), True),
        (errors.SessionEnded("revoked"), True),
        (errors.OAuthError(400, "invalid_scope", "", "refresh_token"), True),
        (errors.OAuthError(400, "invalid_request", "", "refresh_token"), True),
        (errors.InvalidTokenResponse(200, "expires_in is inf"), True),
        (FIVE, False),
        (TIMEOUT, False),
        (REFUSED, False),
        (API_404, False),
        (errors.RoleForbidden(), False),
        (errors.RateLimited(10), False),
    ],
)
def test_one_table_decides_which_errors_end_the_session(error, ends) -> None:
    assert flow.ends_session(error) is ends
    for event in (S.REFRESH_FAILED, S.API_FAILED):
        decision = flow.step(S.SIGNED_IN, Event(event, error))
        assert (decision.state == S.ENDED) is ends
        assert (decision.view == "signed_out") is ends
        assert (decision.retry is None) is ends


def test_invalid_client_on_refresh_signs_out_with_sign_in_and_settings() -> None:
    decision = flow.step(S.REFRESHING, Event(S.REFRESH_FAILED, CLIENT_DEAD))
    assert decision.state == S.ENDED and decision.view == "signed_out"
    assert decision.notice.actions == (explain.SIGN_IN, explain.SETTINGS)
    assert "settings" in decision.notice.message


@pytest.mark.parametrize("error", [CODE_USED, FIVE, TIMEOUT, DROPPED, errors.RateLimited(10)])
def test_an_answered_or_maybe_answered_exchange_is_never_retried(error) -> None:
    decision = flow.step(S.EXCHANGING, Event(S.EXCHANGE_FAILED, error))
    assert decision.retry is None and decision.send is None
    assert explain.RETRY not in decision.notice.actions
    assert explain.SIGN_IN in decision.notice.actions


def test_an_exchange_that_never_left_may_be_retried_and_says_so() -> None:
    decision = flow.step(S.EXCHANGING, Event(S.EXCHANGE_FAILED, REFUSED))
    assert decision.retry == flow.RETRY_EXCHANGE
    assert explain.RETRY in decision.notice.actions


def test_lost_exchange_answer_says_the_code_is_not_sent_again() -> None:
    notice = flow.step(S.EXCHANGING, Event(S.EXCHANGE_FAILED, TIMEOUT)).notice
    assert notice.kind == "exchange_unanswered" and "not sent again" in notice.message


def test_expiry_without_refresh_token_ends() -> None:
    decision = flow.step(S.SIGNED_IN, Event(S.TIMER, can_refresh=False))
    assert decision.state == S.ENDED and decision.notice.kind == "session_ended"


def test_unknown_state_or_event_is_a_bug() -> None:
    with pytest.raises(ValueError):
        flow.step("nowhere", Event(S.SIGN_IN))
    with pytest.raises(ValueError):
        flow.step(S.SIGNED_IN, Event("dance"))


# Errors each event can carry, as the page meets them.
CATALOG = {
    S.CALLBACK_FAILED: [
        errors.StateMismatch(),
        errors.StateMissing(),
        errors.MissingVerifier(),
        errors.CallbackReplayed(),
        errors.AttemptExpired(),
        errors.ConsentDenied(""),
        errors.AuthorizationError("invalid_scope", ""),
        errors.ConfigError(["bad"]),
    ],
    S.EXCHANGE_FAILED: [
        CODE_USED,
        REFUSED,
        DROPPED,
        TIMEOUT,
        FIVE,
        errors.RateLimited(10),
        errors.MalformedResponse(200, "not an object"),
        errors.NonJsonResponse(200, "a page"),
        errors.InvalidTokenResponse(200, "no access_token"),
        errors.OAuthError(400, "invalid_request", "", "authorization_code"),
    ],
    S.REFRESH_FAILED: [
        REFRESH_DEAD,
        CLIENT_DEAD,
        errors.OAuthError(400, "invalid_request", "", "refresh_token"),
        errors.OAuthError(400, "invalid_scope", "", "refresh_token"),
        errors.OAuthError(400, "something_else", "", "refresh_token"),
        errors.InvalidTokenResponse(200, "expires_in is inf"),
        errors.MalformedResponse(200, "not an object"),
        errors.NonJsonResponse(502, "a page"),
        TIMEOUT,
        DROPPED,
        FIVE,
        errors.RateLimited(10),
        errors.SessionEnded("expired"),
    ],
    S.API_FAILED: [
        API_404,
        errors.RoleForbidden(),
        errors.ScopeNotGranted("source"),
        errors.SessionEnded("revoked"),
        REFRESH_DEAD,
        errors.OAuthError(400, "invalid_request", "", "refresh_token"),
        TIMEOUT,
        FIVE,
        errors.MalformedResponse(200, "x"),
        ValueError("a bug"),
    ],
    S.CANCELLED: [errors.SignInCancelled("closed"), errors.SignInCancelled("timeout")],
}


@pytest.mark.parametrize(
    ("state", "name", "error"),
    [(s, n, e) for s in flow.STATES for n, errs in CATALOG.items() for e in errs],
)
def test_every_way_forward_offered_works(state: str, name: str, error: BaseException) -> None:
    """A notice offers only what the page can do in the state it leaves the page in:
    "Sign in again" only when signed out (sign_in is ignored while signed in), and "Try
    again" only with something to run again."""
    decision = flow.step(state, Event(name, error, can_refresh=True))
    if decision.ignored or decision.notice is None:
        return
    if explain.SIGN_IN in decision.notice.actions:
        assert decision.state in (S.SIGNED_OUT, S.ENDED)
        assert flow.step(decision.state, Event(S.SIGN_IN)).send == S.SEND_AUTHORIZE
    if explain.RETRY in decision.notice.actions:
        assert decision.retry is not None


def test_an_ending_decision_tells_the_page_to_forget_the_session() -> None:
    for name, error in ((S.REFRESH_FAILED, REFRESH_DEAD), (S.API_FAILED, errors.SessionEnded())):
        assert flow.step(S.SIGNED_IN, Event(name, error)).end_session
    assert flow.step(S.SIGNED_IN, Event(S.TIMER, can_refresh=False)).end_session
    assert flow.step(S.SIGNED_IN, Event(S.SIGN_OUT)).end_session
    assert not flow.step(S.SIGNED_IN, Event(S.API_FAILED, API_404)).end_session


def test_the_table_is_the_machine() -> None:
    """Every row names a known state and event; every decision names a known state."""
    for state, name in flow.TRANSITIONS:
        assert state in flow.STATES and name in flow.EVENTS
        assert flow.step(state, Event(name, API_404, can_refresh=True)).state in flow.STATES
    assert set(EXPECTED) == set(flow.TRANSITIONS)


def test_every_event_is_emitted_and_every_send_carried_out_by_the_page() -> None:
    """The page (app/ui) emits each event and acts on each kind of decision."""
    from pathlib import Path

    folder = Path(flow.__file__).parents[1] / "ui"
    ui = "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.py"))
    kinds = ("SEND_", "RETRY_", "LOAD_")
    events = [
        k
        for k, v in vars(flow).items()
        if k.isupper() and isinstance(v, str) and v in flow.EVENTS and not k.startswith(kinds)
    ]
    assert len(events) == len(flow.EVENTS)
    for event in events:
        assert f"flow.{event}" in ui, f"the page never emits {event}"
    for send in ("SEND_AUTHORIZE", "SEND_EXCHANGE", "SEND_REFRESH", "SEND_REVOKE", "LOAD_DATA"):
        assert f"flow.{send}" in ui, f"the page never acts on {send}"
    for retry in ("RETRY_EXCHANGE", "RETRY_REFRESH", "RETRY_LOAD"):
        assert getattr(flow, retry)  # named, and offered by the table (tests above)
