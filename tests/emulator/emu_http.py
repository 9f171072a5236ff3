"""Tiny HTTP helpers for the emulator tests: raw requests, a cookie-keeping browser, forms.

Every request goes to 127.0.0.1 on the URL's port; the URL's host (``localhost``,
``demo.localhost``) is sent as the Host header, so tenant hosts need no name resolution.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

SCOPE = "profile source:w alert offline_access"  # what authorize_url asks for


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")

    def location_query(self) -> dict[str, str]:
        """The redirect's query as a flat dict (each key once)."""
        assert self.location, f"no redirect (status {self.status})"
        query = parse_qs(urlsplit(self.location).query, keep_blank_values=True)
        return {k: v[0] for k, v in query.items()}


def request(
    method: str,
    url: str,
    *,
    form: dict[str, str] | None = None,
    json_body: Any = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> Reply:
    parts = urlsplit(url)
    all_headers = {"Host": parts.netloc}
    if form is not None:
        body = urlencode(form).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif json_body is not None:
        body = json.dumps(json_body).encode()
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def get(url: str, **kwargs: Any) -> Reply:
    return request("GET", url, **kwargs)


def post(url: str, form: dict[str, str] | None = None, **kwargs: Any) -> Reply:
    return request("POST", url, form=form if form is not None else {}, **kwargs)


def api(url: str, token: str | None, method: str = "GET", **kwargs: Any) -> Reply:
    headers = dict(kwargs.pop("headers", {}) or {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return request(method, url, headers=headers, **kwargs)


# -- HTML forms ------------------------------------------------------------------------------


@dataclass
class Button:
    text: str
    name: str | None
    value: str | None


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # hidden and text inputs
    buttons: list[Button] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # input id -> label text
    input_ids: dict[str, str] = field(default_factory=dict)  # input id -> name


class PageParser(HTMLParser):
    """Collects forms, headings, list items and the visible text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.list_items: list[str] = []
        self.headings: list[str] = []
        self.text_parts: list[str] = []
        self._button: Button | None = None
        self._label_for: str | None = None
        self._label_text = ""
        self._capture: str | None = None  # "li" or "h"
        self._buffer = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif tag == "input" and self.forms:
            name = a.get("name")
            if name:
                self.forms[-1].fields[name] = a.get("value", "")
                if a.get("id"):
                    self.forms[-1].input_ids[a["id"]] = name
        elif tag == "button":
            self._button = Button("", a.get("name"), a.get("value"))
        elif tag == "label":
            self._label_for, self._label_text = a.get("for"), ""
        elif tag in ("li", "h1", "h2"):
            self._capture, self._buffer = ("li" if tag == "li" else "h"), ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None:
            self._button.text = " ".join(self._button.text.split())
            if self.forms:
                self.forms[-1].buttons.append(self._button)
            self._button = None
        elif tag == "label" and self._label_for and self.forms:
            self.forms[-1].labels[self._label_for] = self._label_text.strip()
            self._label_for = None
        elif tag in ("li", "h1", "h2") and self._capture:
            target = self.list_items if self._capture == "li" else self.headings
            target.append(" ".join(self._buffer.split()))
            self._capture = None

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)
        if self._button is not None:
            self._button.text += data
        if self._label_for is not None:
            self._label_text += data
        if self._capture:
            self._buffer += data

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def button(self, text: str) -> tuple[Form, Button]:
        for form in self.forms:
            for button in form.buttons:
                if button.text == text:
                    return form, button
        raise AssertionError(f"no button {text!r}; buttons: {self.button_texts()}")

    def button_texts(self) -> list[str]:
        return [b.text for f in self.forms for b in f.buttons]


def authorize_url(emulator: Any, base: str | None = None, **overrides: str | None) -> str:
    """The emulator's authorize URL for a fresh S256 challenge; an override of None drops it."""
    from ilert_emulator.testing import pkce_pair

    _, challenge = pkce_pair()
    params: dict[str, str | None] = {
        "client_id": emulator.client_id,
        "response_type": "code",
        "redirect_uri": emulator.redirect_uri,
        "scope": SCOPE,
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{base or emulator.url}/api/developers/oauth2/authorize?{query}"


def parse_page(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    parser.close()
    return parser


class Browser:
    """Keeps cookies per host and submits forms, like a (very) small browser."""

    def __init__(self) -> None:
        self.cookies: dict[str, dict[str, str]] = {}
        self.url = ""

    def _headers(self, url: str) -> dict[str, str]:
        jar = self.cookies.get(urlsplit(url).hostname or "", {})
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}

    def _store(self, url: str, reply: Reply) -> None:
        jar = self.cookies.setdefault(urlsplit(url).hostname or "", {})
        for header in reply.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "expires=thu, 01 jan 1970" in header.lower() or "max-age=0" in header.lower():
                jar.pop(name, None)
            else:
                jar[name] = value

    def open(self, url: str, form: dict[str, str] | None = None) -> Reply:
        """GET (or POST ``form``), following 303s inside the emulator; stops at a 302."""
        method = "POST" if form is not None else "GET"
        while True:
            reply = request(method, url, form=form, headers=self._headers(url))
            self._store(url, reply)
            self.url = url
            if reply.status == 303 and reply.location:
                url, method, form = urljoin(url, reply.location), "GET", None
                continue
            return reply

    def click(self, reply: Reply, text: str, **inputs: str) -> Reply:
        """Submit the form holding the button labelled ``text`` (with extra ``inputs``)."""
        page = parse_page(reply.text)
        form, button = page.button(text)
        data = dict(form.fields)
        data.update(inputs)
        if button.name:
            data[button.name] = button.value or ""
        return self.open(urljoin(self.url, form.action), data)
