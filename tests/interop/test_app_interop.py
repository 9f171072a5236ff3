"""The app itself in Chromium against the independent server (django-oauth-toolkit).

The app is served by serve.py with a config.json that names the witness (the page's CSP
only lets it connect to origins its config names), and configured as a custom server:
through the Settings panel with "Fill from issuer" (RFC 8414 metadata) in the first test,
from config.json in the others: sign in, profile, refresh twice
with rotation, introspection, revoke (the old refresh token then refused by the witness
itself), consent denied, wrong state, and a foreign ``iss`` refused (RFC 9207).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from app.boot.keys import ATTEMPT_KEY, SIGNIN_MODE_KEY, TOKENS_KEY
from tests.interop.witness import WitnessServer, sign_in_page
from tests.serving import ServeProcess, start_serve

pytestmark = pytest.mark.e2e

READY = "html[data-app-ready]"
IDLE = "html[data-app-ready]:not([data-busy])"
BOOT_MS = 60_000
CLIENT_ID = "interop-app"
SCOPE = "profile introspection"


def custom_config(server: WitnessServer) -> dict:
    """A config.json that makes the witness the app's server (every endpoint one by one)."""
    return {
        "client_id": CLIENT_ID,
        "server": "custom",
        "authorize_url": server.authorize_url,
        "token_url": server.token_url,
        "revoke_url": server.revoke_url,
        "info_url": server.introspection_url,
        "info_kind": "introspection",
        "api_base": server.api_base,
        "issuer": server.issuer,
        "redirect_uri": "",
        "scope": SCOPE,
    }


def serve_with(config: dict, tmp: Path) -> ServeProcess:
    path = tmp / "config.json"
    path.write_text(json.dumps(config))
    return start_serve("--no-emulator", "--config", str(path))


@pytest.fixture(scope="module")
def app_custom(
    oauth_server: WitnessServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServeProcess]:
    served = serve_with(custom_config(oauth_server), tmp_path_factory.mktemp("custom"))
    oauth_server.register_client(served.app_url, client_id=CLIENT_ID)
    yield served
    served.stop()


@pytest.fixture(scope="module")
def app_ilert_defaults(
    oauth_server: WitnessServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServeProcess]:
    """The page with ilert as its default; the witness only named in allowed_origins."""
    config = json.loads((Path(__file__).parents[2] / "config.json").read_text())
    config.update(
        ilert_host="https://app.ilert.com",
        api_base="https://api.ilert.com/api",
        client_id="",
        allowed_origins=[oauth_server.base_url],
    )
    served = serve_with(config, tmp_path_factory.mktemp("ilert"))
    yield served
    served.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page whose app signs in by full-page redirect (the tests follow one page)."""
    context = browser.new_context()
    context.add_init_script(
        f"if (!localStorage.getItem('{SIGNIN_MODE_KEY}'))"
        f" localStorage.setItem('{SIGNIN_MODE_KEY}', 'redirect');"
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def popup_page(browser: Browser) -> Iterator[Page]:
    """A page with the app's default sign-in: in a popup window."""
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def boot(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(READY, state="attached", timeout=BOOT_MS)
    page.wait_for_selector(IDLE, state="attached", timeout=BOOT_MS)


def idle(page: Page) -> None:
    page.wait_for_selector(IDLE, state="attached", timeout=BOOT_MS)


def tokens(page: Page) -> dict:
    return json.loads(page.evaluate("k => sessionStorage.getItem(k)", TOKENS_KEY) or "null")


def sign_in(
    page: Page, server: WitnessServer, served: ServeProcess, allow: bool = True, popup: bool = False
) -> None:
    button = page.get_by_role("button", name="Sign in with ilert")
    if popup:  # the witness's pages in the popup; the answer handed back to this page
        with page.expect_popup() as opened:
            button.click()
        window = opened.value
        sign_in_page(window, server, allow=allow)
        window.wait_for_event("close")
        idle(page)
        return
    button.click()
    sign_in_page(page, server, allow=allow)
    page.wait_for_url(f"{served.app_url}**")
    page.wait_for_selector(READY, state="attached", timeout=BOOT_MS)
    idle(page)


def notice(page: Page, kind: str, text: str = "") -> None:
    box = page.locator("#notice")
    expect(box).to_be_visible()
    expect(box).to_have_attribute("data-kind", kind)
    if text:
        expect(box).to_contain_text(text)


def test_settings_fill_from_issuer_then_full_session(
    popup_page: Page, oauth_server: WitnessServer, app_ilert_defaults: ServeProcess
) -> None:
    page, served = popup_page, app_ilert_defaults
    client_id = oauth_server.register_client(served.app_url)
    boot(page, served.app_url)
    expect(page.locator("#preset-active")).to_have_text("ilert")
    page.locator("#settings summary").click()
    page.get_by_label("Server", exact=True).select_option("custom")
    page.get_by_label("Client id").fill(client_id)
    page.get_by_label(re.compile("^Issuer")).fill(oauth_server.issuer)
    page.get_by_role("button", name="Fill from issuer").click()
    idle(page)
    expect(page.locator("#issuer-notes")).to_contain_text(".well-known/oauth-authorization-server")
    expect(page.get_by_label("Token endpoint", exact=True)).to_have_value(oauth_server.token_url)
    # Its metadata says every answer carries `iss`: recorded, so one without is refused.
    expect(page.get_by_label(re.compile("^Sign-in answers name the issuer"))).to_have_value(
        "required"
    )
    expect(page.get_by_label(re.compile("^Token info or introspection"))).to_have_value(
        oauth_server.introspection_url
    )
    page.get_by_label(re.compile("^API base")).fill(oauth_server.api_base)
    page.get_by_label(re.compile("^Scope")).fill(SCOPE)
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#status")).to_contain_text("Settings saved")
    expect(page.locator("#preset-active")).to_have_text("custom server")

    sign_in(page, oauth_server, served, popup=True)
    # Profile (ilert-shaped /users/current on the witness); ilert's other panels are hidden.
    expect(page.locator("#profile")).to_contain_text(oauth_server.username)
    expect(page.locator("#sources")).to_be_hidden()
    first = tokens(page)
    assert first["endpoints"]["token"] == oauth_server.token_url

    # Refresh twice: the witness rotates and refuses a used refresh token at once.
    seen = [first["refresh_token"]]
    for _ in range(2):
        page.get_by_role("button", name="Refresh now").click()
        idle(page)
        expect(page.locator("#status")).to_have_text("Access token refreshed.")
        seen.append(tokens(page)["refresh_token"])
    assert len(set(seen)) == 3

    # Introspection (RFC 7662) as a public client: client_id in the form, no Bearer.
    page.get_by_role("button", name="Introspect").click()
    idle(page)
    expect(page.locator("#token-info-out")).to_contain_text("active")
    expect(page.locator("#token-info-out")).to_contain_text("True")

    # Sign out revokes; the witness itself then refuses the refresh token.
    last = seen[-1]
    page.get_by_role("button", name="Sign out").click()
    idle(page)
    expect(page.locator("#status")).to_contain_text("refresh token was revoked")
    answer = oauth_server.token(grant_type="refresh_token", refresh_token=last, client_id=client_id)
    assert answer.status == 400 and "invalid_grant" in answer.body.decode()


def test_introspection_as_a_public_client_on_a_strict_server(
    page: Page, oauth_server: WitnessServer, app_custom: ServeProcess
) -> None:
    # The witness authenticates introspection callers as clients, as strict servers do: a
    # Bearer header there is a malformed request (400), a public client names itself with
    # client_id in the form (issue 20, item 1). No `introspection` scope needed for that.
    page.goto(app_custom.app_url)
    page.wait_for_selector(READY, state="attached", timeout=BOOT_MS)
    page.evaluate(
        "s => localStorage.setItem('ilert-pkce:settings', JSON.stringify({scope: s}))", "profile"
    )
    boot(page, app_custom.app_url)
    sign_in(page, oauth_server, app_custom)
    sent: list[dict] = []
    page.on(
        "request",
        lambda r: sent.append(r.headers) if r.url == oauth_server.introspection_url else None,
    )
    page.get_by_role("button", name="Introspect").click()
    idle(page)
    expect(page.locator("#token-info-out")).to_contain_text("active")
    expect(page.locator("#token-info-out")).to_contain_text("True")
    expect(page.locator("#notice")).to_be_hidden()
    assert sent and all("authorization" not in headers for headers in sent)


def test_consent_denied(page: Page, oauth_server: WitnessServer, app_custom: ServeProcess) -> None:
    boot(page, app_custom.app_url)
    sign_in(page, oauth_server, app_custom, allow=False)
    notice(page, "consent_denied")
    assert tokens(page) is None


def start_and_leave(page: Page, served: ServeProcess, server: WitnessServer) -> str:
    """Start a sign-in, stop at the witness; the state the app sent."""
    boot(page, served.app_url)
    page.get_by_role("button", name="Sign in with ilert").click()
    page.wait_for_url(f"{server.base_url}/**")
    location = page.url
    query = parse_qs(urlsplit(location).query)
    if "next" in query:  # the login page carries the authorize URL in ?next=
        query = parse_qs(urlsplit(query["next"][0]).query)
    return query["state"][0]


def test_wrong_state(page: Page, oauth_server: WitnessServer, app_custom: ServeProcess) -> None:
    start_and_leave(page, app_custom, oauth_server)
    token_calls: list[str] = []
    page.on("request", lambda r: token_calls.append(r.url) if "/token" in r.url else None)
    boot(page, f"{app_custom.app_url}?code=forged&state=not-ours")
    notice(page, "state_mismatch")
    assert token_calls == []


def test_foreign_iss_is_refused_before_any_exchange(
    page: Page, oauth_server: WitnessServer, app_custom: ServeProcess
) -> None:
    state = start_and_leave(page, app_custom, oauth_server)
    token_calls: list[str] = []
    page.on("request", lambda r: token_calls.append(r.url) if "/token" in r.url else None)
    evil = "https://evil.example"
    boot(page, f"{app_custom.app_url}?code=abc&state={quote(state)}&iss={quote(evil)}")
    notice(page, "issuer_mismatch", evil)
    expect(page.locator("#notice")).to_contain_text(oauth_server.issuer)
    assert token_calls == []
    assert page.evaluate("k => sessionStorage.getItem(k)", ATTEMPT_KEY) is None


def test_missing_iss_refused_when_the_metadata_promises_it(
    page: Page, oauth_server: WitnessServer, app_custom: ServeProcess
) -> None:
    # The witness's metadata says authorization_response_iss_parameter_supported, and "Fill
    # from issuer" records that: an answer without `iss` is then refused (RFC 9207 §2.4).
    meta = json.loads(urlopen_text(oauth_server.metadata_url))
    assert meta["authorization_response_iss_parameter_supported"] is True
    page.goto(app_custom.app_url)
    page.wait_for_selector(READY, state="attached", timeout=BOOT_MS)
    page.evaluate(
        "v => localStorage.setItem('ilert-pkce:settings', JSON.stringify({iss_parameter: v}))",
        "required",
    )
    state = start_and_leave(page, app_custom, oauth_server)
    token_calls: list[str] = []
    page.on("request", lambda r: token_calls.append(r.url) if "/token" in r.url else None)
    boot(page, f"{app_custom.app_url}?code=abc&state={quote(state)}")
    notice(page, "issuer_missing", oauth_server.issuer)
    assert token_calls == []
    assert page.evaluate("k => sessionStorage.getItem(k)", ATTEMPT_KEY) is None


def urlopen_text(url: str) -> str:
    from urllib.request import urlopen

    with urlopen(url, timeout=10) as answer:  # the witness on 127.0.0.1
        return answer.read().decode()
