"""RFC 8414 discovery over a transport (shared by the page's "Fill from issuer" and the
terminal client): the addresses in order, what each gave, and the document checked."""

from __future__ import annotations

import json

import pytest

from app.core.discovery import MetadataNotFound, discover
from app.core.errors import NetworkError
from app.core.http import HttpRequest, HttpResponse
from app.core.settings import Settings
from app.core.urls import SettingsError
from tests import asyncrun

ISSUER = "https://id.example/tenant"
META = {
    "issuer": ISSUER,
    "authorization_endpoint": "https://id.example/authorize",
    "token_endpoint": "https://id.example/token",
    "code_challenge_methods_supported": ["S256"],
}


class Answers:
    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    async def send(self, request: HttpRequest, timeout: float = 15) -> HttpResponse:
        self.asked.append(request.url)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return HttpResponse(status, {"content-type": "application/json"}, json.dumps(body).encode())


def run(transport: Answers):
    settings = Settings(client_id="c", server="custom", issuer=ISSUER)
    return asyncrun.run(discover(settings, transport, 5))


def test_second_address_found():
    transport = Answers((404, {}), (200, META))
    found, url = run(transport)
    assert transport.asked == [
        "https://id.example/.well-known/oauth-authorization-server/tenant",
        "https://id.example/tenant/.well-known/openid-configuration",
    ]
    assert url == transport.asked[1]
    assert found.settings.token_url == "https://id.example/token"
    assert found.settings.client_id == "c"


def test_nothing_found_says_what_each_gave():
    with pytest.raises(MetadataNotFound) as caught:
        run(Answers(NetworkError("x"), (500, {})))
    assert "no answer (NetworkError)" in caught.value.tried[0]
    assert caught.value.tried[1].endswith("HTTP 500")


def test_a_document_for_another_issuer_is_refused():
    with pytest.raises(SettingsError, match="identical"):
        run(Answers((200, {**META, "issuer": "https://evil.example"})))
