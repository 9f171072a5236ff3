"""The authorize endpoint and its HTML pages, driven over HTTP like a browser would."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

import pytest
from emu_http import SCOPE, Browser, authorize_url, get, parse_page, post

from ilert_emulator import Emulator
from ilert_emulator.testing import pkce_pair


def sign_in(browser: Browser, url: str, user: str = "Alice Meier"):
    page = browser.open(url)
    assert page.status == 200, page.text
    return browser.click(page, f"Continue as {user}")


def test_full_flow_with_approve(emulator):
    verifier, challenge = pkce_pair()
    browser = Browser()
    login = browser.open(authorize_url(emulator, code_challenge=challenge))
    assert login.status == 200
    assert login.header("Content-Type").startswith("text/html")
    consent = browser.click(login, "Continue as Alice Meier")
    assert consent.status == 200
    done = browser.click(consent, "Approve")
    assert done.status == 302
    assert done.location.startswith(emulator.redirect_uri + "?")
    query = done.location_query()
    assert re.fullmatch(r"[0-9a-f]{28}", query["code"])
    assert query["state"] == "st-123"
    reply = post(
        emulator.token_url,
        {
            "grant_type": "authorization_code",
            "client_id": emulator.client_id,
            "code": query["code"],
            "code_verifier": verifier,
        },
    )
    assert reply.status == 200
    assert reply.json()["scope"] == SCOPE


def test_login_page_is_accessible(emulator):
    page = parse_page(Browser().open(authorize_url(emulator)).text)
    buttons = page.button_texts()
    for name in ("Alice Meier", "Jürgen Groß", "Priya Natarajan", "Tom Becker"):
        assert f"Continue as {name}" in buttons
    assert "Sign in" in buttons
    typed = next(f for f in page.forms if "Sign in" in [b.text for b in f.buttons])
    assert typed.labels == {"username": "Username"}
    assert typed.input_ids == {"username": "username"}
    assert page.headings[0] == "Sign in to ilert"


def test_typed_username_and_unknown_user(emulator):
    browser = Browser()
    login = browser.open(authorize_url(emulator))
    again = browser.click(login, "Sign in", username="mallory")
    assert again.status == 200
    assert "no user 'mallory'" in parse_page(again.text).text
    consent = browser.click(again, "Sign in", username="juergen")
    assert "Signed in as Jürgen Groß" in parse_page(consent.text).text


def test_consent_lists_every_scope_in_words(emulator):
    browser = Browser()
    consent = sign_in(browser, authorize_url(emulator, scope="profile source:w alert:d schedule"))
    page = parse_page(consent.text)
    assert "ilert PKCE demo (PyScript)" in page.headings[0]
    items = page.list_items
    assert len(items) == 4
    assert items[0].startswith("Read your user profile")
    assert items[1].startswith("Read and change alert sources")
    assert items[2].startswith("Read, change and delete alerts")
    assert items[3].startswith("Read schedules and who is on call")
    assert {"Approve", "Deny"} <= set(page.button_texts())


def test_consent_lists_offline_access(emulator):
    consent = sign_in(Browser(), authorize_url(emulator, scope="profile offline_access"))
    assert any("refresh tokens" in item for item in parse_page(consent.text).list_items)


def test_deny_redirects_with_access_denied(emulator):
    browser = Browser()
    done = browser.click(sign_in(browser, authorize_url(emulator, state="a b&c=d/é")), "Deny")
    assert done.status == 302
    query = done.location_query()
    assert query["error"] == "access_denied"
    assert query["error_description"]
    assert query["state"] == "a b&c=d/é"
    assert "code" not in query


def test_state_is_omitted_when_not_sent(emulator):
    browser = Browser()
    done = browser.click(sign_in(browser, authorize_url(emulator, state=None)), "Approve")
    assert set(done.location_query()) == {"code"}


def test_logged_in_session_skips_login(emulator):
    browser = Browser()
    browser.click(sign_in(browser, authorize_url(emulator)), "Approve")
    second = browser.open(authorize_url(emulator, state="two"))
    page = parse_page(second.text)
    assert "Approve" in page.button_texts()
    assert browser.click(second, "Approve").location_query()["state"] == "two"


def test_use_another_account(emulator):
    browser = Browser()
    consent = sign_in(browser, authorize_url(emulator))
    login = browser.click(consent, "Not you? Use another account")
    assert "Continue as Alice Meier" in parse_page(login.text).button_texts()
    consent = browser.click(login, "Continue as Priya Natarajan")
    code = browser.click(consent, "Approve").location_query()["code"]
    assert emulator.state.codes[code].username == "priya"


def test_decision_is_single_use(emulator):
    browser = Browser()
    consent = sign_in(browser, authorize_url(emulator))
    assert browser.click(consent, "Approve").status == 302
    assert browser.click(consent, "Approve").status == 400


def test_csrf_token_is_checked(emulator):
    browser = Browser()
    consent = sign_in(browser, authorize_url(emulator))
    assert browser.click(consent, "Approve", csrf="forged").status == 403


def test_consent_needs_the_session_that_signed_in(emulator):
    browser = Browser()
    consent = sign_in(browser, authorize_url(emulator))
    intruder = Browser()
    intruder.url = browser.url
    assert intruder.click(consent, "Approve").status == 403


def test_pending_request_expires(emulator):
    browser = Browser()
    login = browser.open(authorize_url(emulator))
    emulator.clock.advance(601)
    reply = browser.click(login, "Continue as Alice Meier")
    assert reply.status == 400
    assert "expired" in reply.text


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"client_id": "unknown-app"}, "No app is registered"),
        ({"client_id": None}, "no client_id"),
        ({"redirect_uri": "http://localhost:4597/evil"}, "not registered"),
        ({"redirect_uri": "http://evil.example/"}, "not registered"),
        ({"redirect_uri": None}, "no redirect_uri"),
    ],
)
def test_unknown_client_or_redirect_gets_an_error_page(emulator, overrides, expected):
    reply = get(authorize_url(emulator, **overrides))
    assert reply.status == 400
    assert reply.location is None
    assert reply.header("Content-Type").startswith("text/html")
    assert expected in parse_page(reply.text).text


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"scope": "profile bogus"}, "invalid_scope"),
        ({"scope": "source:x"}, "invalid_scope"),
        ({"scope": "offline_access:w"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
    ],
)
def test_other_errors_redirect_with_error_and_state(emulator, overrides, error):
    reply = get(authorize_url(emulator, **overrides))
    assert reply.status == 302
    assert reply.location.startswith(emulator.redirect_uri + "?")
    query = reply.location_query()
    assert query["error"] == error
    assert query["error_description"]
    assert query["state"] == "st-123"


def test_suffix_forms_are_granted_as_requested(emulator):
    browser = Browser()
    url = authorize_url(emulator, scope="source:r alert source:w")
    consent = sign_in(browser, url)
    assert parse_page(consent.text).list_items[0].startswith("Read and change alert sources")
    code = browser.click(consent, "Approve").location_query()["code"]
    assert emulator.state.codes[code].scope == "source:w alert"


def test_tenant_host_works_and_keeps_its_own_session(emulator):
    browser = Browser()
    base = emulator.tenant_url
    consent = sign_in(browser, authorize_url(emulator, base=base))
    assert "demo" in parse_page(consent.text).text
    assert browser.click(consent, "Approve").status == 302
    assert "demo.localhost" in browser.cookies
    assert "localhost" not in browser.cookies
    # The same browser on the tenant host is already signed in...
    assert "Approve" in parse_page(browser.open(authorize_url(emulator, base=base)).text).text
    # ...but not on the generic host.
    assert "Sign in" in parse_page(browser.open(authorize_url(emulator)).text).button_texts()


def test_unknown_tenant_is_refused(emulator):
    url = authorize_url(emulator, base=f"http://nope.localhost:{emulator.port}")
    reply = get(url)
    assert reply.status == 404
    assert reply.location is None
    assert "nope" in parse_page(reply.text).text


def test_pages_escape_hostile_content(emulator):
    data = emulator.emu._data_source
    hostile = dict(data, users=[dict(data["users"][0], firstName="<script>alert(1)</script>")])
    emulator.set_data(hostile)
    text = Browser().open(authorize_url(emulator, state="<b>x</b>")).text
    assert "<script>alert(1)" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_hostile_app_name_is_escaped():
    apps = {
        "apps": [
            {
                "client_id": "x",
                "name": '<img src=x onerror="alert(1)">',
                "redirect_uris": ["http://localhost:1/"],
                "origins": ["http://localhost:1"],
            }
        ]
    }
    emu = Emulator(apps=apps)
    with emu.serve() as handle:
        _, challenge = pkce_pair()
        query = urlencode(
            {
                "client_id": "x",
                "response_type": "code",
                "redirect_uri": "http://localhost:1/",
                "scope": "profile",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        reply = get(f"{handle.url}/api/developers/oauth2/authorize?{query}")
    assert reply.status == 200
    assert "<img" not in reply.text
    assert "&lt;img src=x" in reply.text


def test_pages_send_protective_headers(emulator):
    reply = get(authorize_url(emulator))
    assert "frame-ancestors 'none'" in reply.header("Content-Security-Policy")
    assert reply.header("Cache-Control") == "no-store"


def test_issue_code_validates(emulator):
    _, challenge = pkce_pair()
    with pytest.raises(ValueError):
        emulator.issue_code(emulator.client_id, "http://evil.example/", "profile", challenge)
    with pytest.raises(ValueError):
        emulator.issue_code(emulator.client_id, emulator.redirect_uri, "nope", challenge)
    with pytest.raises(ValueError):
        emulator.issue_code(emulator.client_id, emulator.redirect_uri, "profile", None)
    with pytest.raises(ValueError):
        emulator.issue_code(
            emulator.client_id, emulator.redirect_uri, "profile", challenge, username="zz"
        )


def test_redirect_uri_with_query_keeps_it(emulator):
    emulator.add_app_url("http://localhost:4597/cb?x=1")
    reply = get(authorize_url(emulator, redirect_uri="http://localhost:4597/cb?x=1", scope="no"))
    parts = urlsplit(reply.location)
    assert parts.query.startswith("x=1&error=invalid_scope")
