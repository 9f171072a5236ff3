"""Teaching mode's content and its rules for secrets."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys

import pytest

from app.core import authorize, pkce, teaching
from app.core.flowlog import FlowLog
from app.core.settings import Settings
from app.core.storage import MemoryStorage, peek_attempt
from app.core.teaching import SecretRefused
from app.core.tokens import TokenSet

# RFC 7636 Appendix B.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
CODE = "3f1a9c0e5b7d2a4c6e8f0a1b3c5d"  # 28 hex characters, like ilert's


def b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def jwt(payload: dict, alg: str = "RS256") -> str:
    return f"{b64({'typ': 'JWT', 'alg': alg})}.{b64(payload)}.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


ACCESS = jwt({"il_s": "profile", "il_u": "alice", "il_t": "ACCESS", "exp": 1_700_003_600})
REFRESH = jwt({"il_u": "alice", "il_t": "OAUTH", "il_k": "k1"}, alg="HS256")


def rows_by_key(lesson: teaching.Lesson) -> dict[str, teaching.Row]:
    return {row.key: row for section in lesson.sections for row in section.rows}


# --- the gate ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["refresh_token", "access_token", "id_token", "client_secret", ""])
def test_tokens_are_never_revealed(kind: str) -> None:
    with pytest.raises(SecretRefused):
        teaching.reveal("anything", kind, spent=True)


@pytest.mark.parametrize("spent", [False, None, 1, "yes", "True"])
def test_a_secret_is_revealed_only_when_explicitly_spent(spent: object) -> None:
    with pytest.raises(SecretRefused):
        teaching.reveal(CODE, "code", spent=spent)  # type: ignore[arg-type]
    assert teaching.reveal(CODE, "code", spent=True) == CODE


def test_spent_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        teaching.reveal(CODE, "code", True)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (REFRESH, "code"),  # a refresh token passed off as a code
        (ACCESS, "state"),
        (f"Bearer {CODE}", "code"),
        ("not a verifier", "code_verifier"),
        ("x" * 600, "state"),
        ("", "code"),
        (None, "code"),
    ],
)
def test_token_like_or_invalid_values_are_refused(value: object, kind: str) -> None:
    with pytest.raises(SecretRefused):
        teaching.reveal(value, kind, spent=True)


# --- PKCE, checkable -----------------------------------------------------------------------------


def test_pkce_check_shows_each_stage_and_a_viewer_can_recompute_it() -> None:
    check = teaching.pkce_check(CHALLENGE, VERIFIER, spent=True)
    assert check.matches is True
    # The viewer's own arithmetic, with nothing from the app.
    digest = hashlib.sha256(check.verifier.encode("ascii")).digest()
    assert check.sha256_hex == digest.hex()
    assert check.sha256_b64url == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert check.sha256_b64url == check.challenge == CHALLENGE
    keys = [row.key for row in check.rows()]
    assert keys == ["code_challenge", "code_verifier", "sha256_hex", "sha256_b64url", "pkce_match"]
    assert check.rows()[-1].value == "yes"


def test_pkce_check_reports_a_mismatch_and_needs_spent() -> None:
    other = pkce.new_verifier()
    assert teaching.pkce_check(CHALLENGE, other, spent=True).matches is False
    with pytest.raises(SecretRefused):
        teaching.pkce_check(CHALLENGE, VERIFIER, spent=False)


def test_the_challenge_sent_is_read_back_from_the_redacted_log() -> None:
    """Across the redirect only the log survives; it keeps the (public) challenge."""
    store = MemoryStorage()
    settings = Settings(client_id="demo", ilert_host="http://localhost:4598")
    url = authorize.start(settings, store, "http://localhost:4597/")
    log = FlowLog()
    log.step("Sign-in started", phase="authorize", authorize_url=url)
    log.step("something later")
    attempt = peek_attempt(store)
    assert attempt is not None
    assert attempt.state not in str(log.as_dicts())  # the log itself keeps no state
    challenge = teaching.challenge_from_log(log.entries)
    assert challenge == pkce.challenge_s256(attempt.verifier)
    assert teaching.pkce_check(challenge, attempt.verifier, spent=True).matches
    assert teaching.challenge_from_log([]) is None
    log.step("forged", authorize_url="http://x/?code_challenge=<script>")
    assert teaching.challenge_from_log(log.entries) is None


# --- before the redirect -------------------------------------------------------------------------


def test_authorize_lesson_explains_each_parameter_and_hides_the_state() -> None:
    store = MemoryStorage()
    settings = Settings(client_id="demo", ilert_host="http://localhost:4598", scope="profile")
    url = authorize.start(settings, store, "http://localhost:4597/")
    state = peek_attempt(store).state
    lesson = teaching.authorize_lesson(url)
    rows = lesson.sections[0].rows
    assert [r.key for r in rows] == [
        "endpoint",
        "client_id",
        "response_type",
        "redirect_uri",
        "scope",
        "state",
        "code_challenge",
        "code_challenge_method",
    ]
    assert all(r.note and r.note != "not explained here" for r in rows)
    values = {r.key: r.value for r in rows}
    assert values["endpoint"] == "http://localhost:4598/api/developers/oauth2/authorize"
    assert values["redirect_uri"] == "http://localhost:4597/"
    assert values["state"] == teaching.HIDDEN_UNTIL_BACK
    assert values["code_challenge"] == pkce.challenge_s256(peek_attempt(store).verifier)
    assert state not in lesson.as_text()
    assert peek_attempt(store).verifier not in lesson.as_text()


def test_unknown_or_secret_parameters_in_an_authorize_url() -> None:
    lesson = teaching.authorize_lesson(f"https://h/a?foo=bar&code=zz&extra={ACCESS}")
    values = {r.key: (r.value, r.note) for r in lesson.sections[0].rows}
    assert values["foo"] == ("bar", "not explained here")
    assert values["code"][0] == teaching.HIDDEN_UNTIL_BACK
    assert ACCESS not in lesson.as_text()


# --- the callback --------------------------------------------------------------------------------


def test_callback_lesson_compares_the_states_once_checked_and_hides_the_code() -> None:
    params = {"code": CODE, "state": "st-123"}
    before = teaching.callback_lesson(params, "st-123", state_checked=False)
    assert "st-123" not in before.as_text() and CODE not in before.as_text()
    after = teaching.callback_lesson(params, "st-123", state_checked=True)
    rows = rows_by_key(after)
    assert rows["state"].value == rows["stored_state"].value == "st-123"
    assert rows["state_match"].value == "yes"
    assert rows["code"].value == teaching.HIDDEN_UNTIL_EXCHANGED
    assert CODE not in after.as_text()
    forged = teaching.callback_lesson(params, "st-999", state_checked=True)
    assert rows_by_key(forged)["state_match"].value == "no"
    assert (after.sections[0].check, forged.sections[0].check, before.sections[0].check) == (
        True,
        False,
        None,
    )
    assert "does not match" in forged.sections[0].note


def test_callback_lesson_with_an_error() -> None:
    params = {"error": "access_denied", "error_description": "The user said no", "state": "s"}
    rows = rows_by_key(teaching.callback_lesson(params, "s", state_checked=True))
    assert rows["error"].value == "access_denied"
    assert rows["error_description"].value == "The user said no"
    assert "code" not in rows


# --- after the exchange --------------------------------------------------------------------------


def token_set(refresh: str | None = REFRESH) -> dict:
    return TokenSet(
        ACCESS, 1_700_003_600.0, "profile", "Bearer", refresh, None, 1_700_000_000.0
    ).to_dict()


def test_exchange_lesson_shows_spent_secrets_and_never_a_token() -> None:
    lesson = teaching.exchange_lesson(
        code=CODE, verifier=VERIFIER, challenge=CHALLENGE, tokens=token_set(), spent=True
    )
    text = lesson.as_text()
    rows = rows_by_key(lesson)
    assert lesson.check is True
    assert [s.check for s in lesson.sections] == [None, True, None, None]
    assert rows["code"].value == CODE
    assert rows["code_verifier"].value == VERIFIER
    assert rows["code_challenge"].value == CHALLENGE
    assert rows["expires_in"].value == "3600"
    assert rows["access_token"].value == teaching.ACCESS_TOKEN_HIDDEN
    assert rows["refresh_token"].value == teaching.NEVER_SHOWN
    assert rows["claim:il_u"].value == "alice"
    assert rows["claim:il_t"].value == "ACCESS"
    for token in (ACCESS, REFRESH, *ACCESS.split("."), *REFRESH.split(".")):
        assert token not in text


def test_exchange_lesson_requires_spent_and_refuses_a_refresh_token_for_claims() -> None:
    with pytest.raises(SecretRefused):
        teaching.exchange_lesson(
            code=CODE, verifier=VERIFIER, challenge=CHALLENGE, tokens=token_set(), spent=False
        )
    swapped = token_set() | {"access_token": REFRESH}
    with pytest.raises(SecretRefused):
        teaching.exchange_lesson(
            code=CODE, verifier=VERIFIER, challenge=CHALLENGE, tokens=swapped, spent=True
        )
    with pytest.raises(SecretRefused):
        teaching.claims_section(REFRESH)


def test_exchange_lesson_without_refresh_token_challenge_or_tokens() -> None:
    rows = rows_by_key(
        teaching.exchange_lesson(
            code=CODE, verifier=VERIFIER, challenge=None, tokens=token_set(None), spent=True
        )
    )
    assert rows["refresh_token"].value.startswith("(none")
    assert "pkce_match" not in rows and rows["code_verifier"].value == VERIFIER
    refused = teaching.exchange_lesson(
        code=CODE, verifier=VERIFIER, challenge=CHALLENGE, tokens=None, spent=True
    )
    assert refused.check is True and "refused" in refused.title


def test_token_rows_from_a_raw_response_hide_secrets_by_name() -> None:
    rows = {
        r.key: r.value
        for r in teaching.token_rows(
            {
                "token_type": "Bearer",
                "access_token": "opaque-access-1",
                "expires_in": 3600,
                "id_token": "opaque-id-1",
                "extra": "fine",
            }
        )
    }
    assert rows["id_token"] == "(hidden)" and rows["extra"] == "fine"
    assert "opaque" not in json.dumps(rows)


def test_every_step_has_a_plain_lesson() -> None:
    from app.core import diagram

    assert set(teaching.PHASES) == set(diagram.PHASES)
    for phase in teaching.PHASES:
        lesson = teaching.lesson(phase)
        assert lesson.title and len(lesson.text) > 40
    with pytest.raises(ValueError):
        teaching.lesson("nope")


def test_importing_teaching_adds_only_itself_once_signing_in_has_started() -> None:
    code = (
        "import sys, app.core.flowlog, app.core.pkce, app.core.jwt_display, app.core.callback; "
        "before = set(sys.modules); import app.core.teaching; "
        "print(sorted(set(sys.modules) - before))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['app.core.teaching']"


def test_lessons_about_another_server_name_it() -> None:
    # Issue 20, item 3: teaching mode with a custom server does not say "ilert"; values
    # shown (what the server sent) are never rewritten.
    from app.core.teaching import lesson, named

    for phase in ("authorize", "callback", "exchange", "api", "refresh", "token_info", "revoke"):
        text = named(lesson(phase), "auth.example.org").as_text()
        assert "ilert" not in text, phase
    assert named(lesson("revoke"), "ilert") == lesson("revoke")
