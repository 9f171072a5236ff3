"""Native apps' loopback redirects (RFC 8252 §7.3): any port on a registered loopback IP
literal, exact matching for everything else (localhost included, as ilert compares)."""

from __future__ import annotations

import pytest
from emu_http import Browser, authorize_url, get

CLI = "ilert-cli-demo"  # registers http://127.0.0.1/callback, http://[::1]/callback, ...


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:51234/callback",
        "http://127.0.0.1:8765/callback",
        "http://[::1]:40001/callback",
        "http://127.0.0.1/callback",
        "http://localhost:4597/callback",
    ],
)
def test_loopback_ip_any_port_is_accepted(emulator, uri):
    browser = Browser()
    login = browser.open(authorize_url(emulator, client_id=CLI, redirect_uri=uri))
    consent = browser.click(login, "Continue as Alice Meier")
    done = browser.click(consent, "Approve")
    assert done.status == 302
    assert done.location.startswith(uri + "?")
    assert done.location_query()["state"] == "st-123"


@pytest.mark.parametrize(
    "uri",
    [
        "http://localhost:4596/callback",  # localhost: exact only (RFC 8252 §8.3)
        "http://127.0.0.1:51234/other",  # the path must match
        "http://127.0.0.1:51234/callback?x=1",
        "https://127.0.0.1:51234/callback",
        "http://127.0.0.2:51234/callback",
        "http://[::1]:40001/callback/",
    ],
)
def test_other_uris_match_exactly(emulator, uri):
    reply = get(authorize_url(emulator, client_id=CLI, redirect_uri=uri))
    assert reply.status == 400
    assert reply.location is None
    assert "not registered" in reply.text


def test_web_app_gets_no_loopback_rule(emulator):
    """The page's app registers http://127.0.0.1:4597/ exactly: another port is refused."""
    reply = get(authorize_url(emulator, redirect_uri="http://127.0.0.1:4599/"))
    assert reply.status == 400
