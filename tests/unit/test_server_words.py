"""Messages worded after the server in use (issue 20, items 2, 3, 6, 13)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from app.core import errors, explain, flow, servers, urls
from app.core.http import HttpRequest
from app.core.settings import Settings
from app.native.transport import send_blocking

CUSTOM = Settings(
    client_id="c",
    server="custom",
    authorize_url="https://login.example.org/oauth/authorize",
    token_url="https://login.example.org/oauth/token",
    info_url="https://login.example.org/oauth/introspect",
    info_kind="introspection",
    api_base="",
    issuer="https://auth.example.org",
    scope="profile",
)


def test_server_name_ilert_for_ilerts_layout_else_the_issuers_host() -> None:
    assert urls.server_name(Settings(client_id="c").endpoints()) == "ilert"
    assert urls.server_name(Settings(client_id="c", tenant="acme").endpoints()) == "ilert"
    emulator = servers.apply_preset(Settings(client_id="c"), servers.EMULATOR)
    assert urls.server_name(emulator.endpoints()) == "ilert"
    assert urls.server_name(CUSTOM.endpoints()) == "auth.example.org"
    no_issuer = Settings(**{**CUSTOM.to_dict(), "issuer": ""})
    assert urls.server_name(no_issuer.endpoints()) == "login.example.org"
    local = Settings(**{**CUSTOM.to_dict(), "issuer": "http://127.0.0.1:8000"})
    assert urls.server_name(local.endpoints()) == "127.0.0.1:8000"


EVERY_ERROR = [
    errors.ConsentDenied(),
    errors.AuthorizationError("invalid_request", "x"),
    errors.StateMissing(),
    errors.StateMismatch(),
    errors.ExchangeUnanswered(errors.NetworkError("u")),
    errors.ExchangeUnanswered(errors.Timeout("u", 5)),
    errors.ExchangeUnanswered(errors.ServerError(502, 10)),
    errors.Timeout("u", 5),
    errors.CorsRefused("u"),
    errors.NetworkError("u"),
    errors.CspBlocked("https://login.example.org/oauth/token"),
    errors.RateLimited(20),
    errors.ServerError(503, 10),
    errors.OAuthError(400, "invalid_grant", grant="authorization_code"),
    errors.OAuthError(400, "invalid_grant", grant="refresh_token"),
    errors.OAuthError(400, "invalid_scope"),
    errors.OAuthError(401, "invalid_client"),
    errors.RoleForbidden(403, "no"),
    errors.SessionEnded("revoked"),
    errors.ApiError(404, "gone"),
    errors.InfoRefused(403, "", introspection=True),
    errors.InfoRefused(401, ""),
    errors.ResponseTooLarge("https://auth.example.org/.well-known/x", 262144),
    errors.IssuerMismatch("https://evil.example", "https://auth.example.org"),
    errors.IssuerMismatch("https://evil.example", ""),
    errors.IssuerMissing("https://auth.example.org"),
]


@pytest.mark.parametrize("exc", EVERY_ERROR, ids=lambda e: type(e).__name__)
def test_no_message_names_ilert_or_another_product_for_another_server(exc: Exception) -> None:
    message = explain.explain(exc, "auth.example.org").message
    assert "ilert" not in message.lower() and "django" not in message.lower()


@pytest.mark.parametrize(
    "exc",
    [e for e in EVERY_ERROR if "server" in explain.explain(e, "SERVER-NAME").message.lower()],
    ids=lambda e: type(e).__name__,
)
def test_messages_about_the_server_name_it(exc: Exception) -> None:
    # ilert's words for ilert (as before), the server's name for another one.
    assert "SERVER-NAME" in explain.explain(exc, "SERVER-NAME").message or isinstance(
        exc, (errors.CspBlocked, errors.ResponseTooLarge)
    )


def test_ilert_keeps_its_words() -> None:
    assert explain.explain(errors.NetworkError("u")).message.startswith("Could not reach ilert")
    assert "at ilert" in explain.explain(errors.ConsentDenied()).message


def test_the_state_machine_words_its_notices_after_the_server() -> None:
    event = flow.Event(flow.API_FAILED, errors.NetworkError("u"), server="auth.example.org")
    decision = flow.step(flow.SIGNED_IN, event)
    assert decision.notice is not None
    assert "Could not reach auth.example.org" in decision.notice.message
    plain = flow.step(flow.SIGNED_IN, flow.Event(flow.API_FAILED, errors.NetworkError("u")))
    assert plain.notice is not None and "Could not reach ilert" in plain.notice.message


def test_csp_block_is_not_said_as_unreachable() -> None:
    ex = explain.explain(errors.CspBlocked("https://login.example.org:8443/oauth/token"))
    assert ex.kind == "csp" and "reach" not in ex.message
    assert "https://login.example.org:8443" in ex.message and "allowed_origins" in ex.message
    assert "scripts/csp.py" in ex.message
    assert flow.exchange_retryable(errors.CspBlocked("u"))  # it never left: Retry is safe


# --- "Fill from issuer": the size cap and a failed fill ----------------------------------


class _Big(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        size = int(self.path.strip("/") or "0")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if size % 2:  # odd sizes: no Content-Length, the body just streams
            self.send_header("Connection", "close")
            self.end_headers()
        else:
            self.send_header("Content-Length", str(size))
            self.end_headers()
        chunk = b" " * 65536
        sent = 0
        try:
            while sent < size:
                part = chunk[: size - sent]
                self.wfile.write(part)
                sent += len(part)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def big_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Big)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("size", [30 * 1024 * 1024, 30 * 1024 * 1024 + 1])
def test_a_capped_request_stops_reading_past_the_cap(big_server: str, size: int) -> None:
    cap = servers.METADATA_MAX_BYTES
    with pytest.raises(errors.ResponseTooLarge) as info:
        send_blocking(HttpRequest("GET", f"{big_server}/{size}", max_bytes=cap))
    assert info.value.limit == cap
    assert "larger than 256 kB" in explain.explain(info.value).message
    small = send_blocking(HttpRequest("GET", f"{big_server}/{cap}", max_bytes=cap))
    assert small.status == 200 and len(small.body) == cap


def test_a_failed_fill_puts_back_what_was_there_before_the_first_fill() -> None:
    typed = Settings(**{**CUSTOM.to_dict(), "revoke_url": "https://login.example.org/revoke"})
    meta = {
        "issuer": "https://other.example",
        "authorization_endpoint": "https://other.example/a",
        "token_endpoint": "https://other.example/t",
        "introspection_endpoint": "https://other.example/i",
        "authorization_response_iss_parameter_supported": True,
    }
    filled = servers.from_metadata("https://other.example", meta, typed).settings
    # Then the user types another issuer, whose fill fails: the form is not left with
    # other.example's endpoints next to it.
    current = Settings(**{**filled.to_dict(), "issuer": "https://third.example", "scope": "x"})
    back = servers.unfilled(current, typed)
    for name in servers.FILLED_FIELDS:
        assert getattr(back, name) == getattr(typed, name), name
    assert back.issuer == "https://third.example" and back.scope == "x"  # as typed now
    assert back.iss_parameter == ""
