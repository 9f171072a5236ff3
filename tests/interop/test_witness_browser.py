"""The witness in Chromium: login and consent pages work in a browser, and a page on another
origin (as the app is) can call the token, API, introspection and revoke endpoints (CORS)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.interop.witness import WitnessServer, pkce_pair, query_of, sign_in_page

pytestmark = pytest.mark.e2e

FETCH = """async ([url, form, headers]) => {
  const init = {method: form ? "POST" : "GET", headers: headers || {}};
  if (form) init.body = new URLSearchParams(form);
  const resp = await fetch(url, init);
  return {status: resp.status, text: await resp.text(),
          wwwAuthenticate: resp.headers.get("WWW-Authenticate")};
}"""


class _Blank(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!DOCTYPE html><title>client</title><p>client page</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def client_url() -> Iterator[str]:
    """A blank page standing in for the app, on http://localhost:PORT (127.0.0.1 only)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Blank)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}/callback/"
    server.shutdown()
    server.server_close()


def authorize(
    page, server: WitnessServer, client_id: str, redirect_uri: str, scope: str, state: str
) -> str:
    """Open the witness's authorize page with a fresh PKCE pair; the verifier."""
    verifier, challenge = pkce_pair()
    page.goto(
        server.authorize_request_url(
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=scope,
            state=state,
            code_challenge=challenge,
            code_challenge_method="S256",
        )
    )
    return verifier


def test_sign_in_refresh_profile_revoke_from_a_browser(
    page, oauth_server: WitnessServer, client_url: str
) -> None:
    client_id = oauth_server.register_client(client_url)
    verifier = authorize(
        page, oauth_server, client_id, client_url, "profile introspection", "browser-state"
    )
    sign_in_page(page, oauth_server)
    page.wait_for_url(f"{client_url}?**")
    query = query_of(page.url)
    assert query["state"] == "browser-state" and query["iss"] == oauth_server.issuer

    def call(url: str, form: dict | None = None, headers: dict | None = None) -> dict:
        return page.evaluate(FETCH, [url, form, headers])

    exchange = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "code": query["code"],
        "code_verifier": verifier,
    }
    missing = call(oauth_server.token_url, exchange)  # a readable refusal, not a CORS error
    assert missing["status"] == 400 and "Missing redirect URI." in missing["text"]
    answer = call(oauth_server.token_url, {**exchange, "redirect_uri": client_url})
    assert answer["status"] == 200, answer
    tokens = page.evaluate("t => JSON.parse(t)", answer["text"])
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}

    profile = call(oauth_server.profile_url, None, bearer)  # preflighted (Authorization)
    assert profile["status"] == 200 and oauth_server.username in profile["text"]
    denied = call(oauth_server.profile_url, None, {"Authorization": "Bearer nope"})
    assert denied["status"] == 401
    assert denied["wwwAuthenticate"].startswith('Bearer error="invalid_token"')  # exposed
    # Introspection (RFC 7662) as a public client: client_id in the form, no Authorization.
    as_client = {"token": tokens["access_token"], "client_id": client_id}
    info = call(oauth_server.introspection_url, as_client)
    assert info["status"] == 200 and '"active": true' in info["text"]
    refused = call(oauth_server.introspection_url, {"token": tokens["access_token"]}, bearer)
    assert refused["status"] == 400  # the token being introspected is no client credential

    refreshed = call(
        oauth_server.token_url,
        {
            "grant_type": "refresh_token",
            "client_id": client_id,
            "refresh_token": tokens["refresh_token"],
        },
    )
    assert refreshed["status"] == 200
    new_refresh = page.evaluate("t => JSON.parse(t).refresh_token", refreshed["text"])
    revoked = call(
        oauth_server.revoke_url,
        {"token": new_refresh, "token_type_hint": "refresh_token", "client_id": client_id},
    )
    assert revoked == {"status": 200, "text": "", "wwwAuthenticate": None}
    assert (
        oauth_server.token(
            grant_type="refresh_token", client_id=client_id, refresh_token=new_refresh
        ).status
        == 400
    )


def test_denied_consent_in_a_browser(page, oauth_server: WitnessServer, client_url: str) -> None:
    client_id = oauth_server.register_client(client_url)
    authorize(page, oauth_server, client_id, client_url, "profile", "st")
    sign_in_page(page, oauth_server, allow=False)
    page.wait_for_url(f"{client_url}?**")
    assert query_of(page.url) == {"error": "access_denied", "state": "st"}
