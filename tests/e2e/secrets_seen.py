"""Collect the real secrets of a sign-in as the browser sent them (Playwright's network view).

The tests search the page for these values: the authorization code and state (from the
callback URL and the authorize request), the PKCE verifier (from the code exchange's form
body) and the tokens (from the token endpoint's answers).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, Request, Response

TOKEN_PATH = "/api/developers/oauth2/token"
AUTHORIZE_PATH = "/api/developers/oauth2/authorize"


@dataclass
class SecretsSeen:
    codes: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    verifiers: list[str] = field(default_factory=list)
    challenges: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    _responses: list[Response] = field(default_factory=list)

    def on_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.path.endswith(AUTHORIZE_PATH) and "state" in query:
            self.states.append(query["state"])
            self.challenges.append(query.get("code_challenge", ""))
        elif "code" in query and "state" in query:  # the redirect back to the page
            self.codes.append(query["code"])
            self.states.append(query["state"])
        if request.method == "POST" and parts.path.endswith(TOKEN_PATH):
            form = {k: v[-1] for k, v in parse_qs(request.post_data or "").items()}
            if "code_verifier" in form:
                self.verifiers.append(form["code_verifier"])
                self.codes.append(form.get("code", ""))

    def on_response(self, response: Response) -> None:
        if urlsplit(response.url).path.endswith(TOKEN_PATH) and response.request.method == "POST":
            self._responses.append(response)

    def read_token_responses(self) -> None:
        """Read the token answers seen so far (bodies are read outside the event handler)."""
        for response in self._responses:
            try:
                data = json.loads(response.text())
            except Exception:
                continue
            for key in ("access_token", "refresh_token"):
                if isinstance(data.get(key), str):
                    self.tokens.append(data[key])
        self._responses.clear()

    def all(self) -> dict[str, list[str]]:
        self.read_token_responses()
        found = {
            "code": self.codes,
            "state": self.states,
            "verifier": self.verifiers,
            "token": self.tokens,
        }
        return {k: sorted({v for v in vs if v}) for k, vs in found.items()}


def watch(page: Page) -> SecretsSeen:
    seen = SecretsSeen()
    page.on("request", seen.on_request)
    page.on("response", seen.on_response)
    return seen


def unwatch(page: Page, seen: SecretsSeen) -> None:
    page.remove_listener("request", seen.on_request)
    page.remove_listener("response", seen.on_response)


def everything_visible(page: Page, skip_key: str = "") -> str:
    """The document's markup (text and attributes) and the tab's storage, as one text.

    ``skip_key``: a storage key left out (the tokens' own key: a reload keeps the session).
    """
    return page.evaluate(
        """skip => document.documentElement.outerHTML + JSON.stringify([
             Object.entries(sessionStorage).filter(([k]) => k !== skip),
             Object.entries(localStorage).filter(([k]) => k !== skip)])""",
        skip_key,
    )
