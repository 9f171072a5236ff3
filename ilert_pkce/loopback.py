"""The one-shot HTTP server on the loopback interface that receives the sign-in's redirect.

RFC 8252 §7.3: a native app listens on a loopback IP literal; the browser is redirected to
``http://127.0.0.1:PORT/callback?code=…&state=…``. This server takes exactly one request to
the callback path (others get 404), hands its query to the caller, and answers the browser
with the small page the caller gives back once the sign-in is finished (or failed). It
listens only while ``login`` runs and is closed on every way out (Ctrl-C included), so the
port is free again at once.
"""

from __future__ import annotations

import asyncio
import errno
import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from app.core.errors import AppError, AuthorizationError

CALLBACK_PATH = "/callback"
MAX_HEAD = 16 * 1024  # bytes of request line + headers accepted
READ_TIMEOUT = 10.0  # seconds a connection may take to send its request
ANSWER_TIMEOUT = 120.0  # seconds the browser waits for the page (code exchange included)


class PortInUse(AppError):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"{host}:{port}")
        self.host, self.port = host, port


class ListenFailed(AppError):
    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(reason)
        self.host, self.port, self.reason = host, port, reason


class CallbackTimeout(AppError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"{seconds:g} s")
        self.seconds = seconds


@dataclass
class Callback:
    """One redirect received: its query, and how to answer the browser that sent it."""

    params: dict[str, str]
    answer: asyncio.Future  # set to (title, text, ok) by the caller
    problem: AuthorizationError | None = None  # a malformed answer (repeated parameters)

    def reply(self, title: str, text: str, ok: bool) -> None:
        if not self.answer.done():
            self.answer.set_result((title, text, ok))


def page(title: str, text: str, ok: bool) -> bytes:
    """A small self-contained page (no script, no outside resource), everything escaped."""
    colour = "#1a7f37" if ok else "#b42318"
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}}
h1{{font-size:1.4rem;color:{colour}}}</style></head>
<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>
<p>You can close this tab and return to the terminal.</p></body></html>
"""
    return body.encode("utf-8")


def _response(status: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\n"
        "Referrer-Policy: no-referrer\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def query_params(target: str) -> dict[str, str]:
    """The callback's query, each name once; a repeated name is an invalid answer."""
    query = parse_qs(urlsplit(target).query, keep_blank_values=True)
    repeated = sorted(k for k, v in query.items() if len(v) > 1)
    if repeated:
        raise AuthorizationError("invalid_request", f"repeated parameters: {', '.join(repeated)}")
    return {k: v[0] for k, v in query.items()}


class Listener:
    def __init__(self, path: str) -> None:
        self.path = path
        self.received: asyncio.Queue[Callback] = asyncio.Queue()
        self.taken = False
        self.current: Callback | None = None
        self.port = 0
        self.redirect_uri = ""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            method, target, _version = line.split(" ", 2)
            if method != "GET" or urlsplit(target).path != self.path:
                writer.write(_response("404 Not Found", page("Not found", "Nothing here.", False)))
            elif self.taken:
                text = "This sign-in has already received its answer."
                writer.write(_response("409 Conflict", page("Already answered", text, False)))
            else:
                self.taken = True  # one-shot: only the first redirect is the answer
                answer = asyncio.get_running_loop().create_future()
                try:
                    self.current = Callback(query_params(target), answer)
                except AuthorizationError as exc:
                    self.current = Callback({}, answer, exc)
                self.received.put_nowait(self.current)
                title, text, ok = await asyncio.wait_for(answer, ANSWER_TIMEOUT)
                status = "200 OK" if ok else "400 Bad Request"
                writer.write(_response(status, page(title, text, ok)))
            await writer.drain()
        except (
            TimeoutError,
            ValueError,
            ConnectionError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
        ):
            pass  # a broken or slow request: drop the connection
        finally:
            writer.close()

    async def next(self, timeout: float) -> Callback:
        """The first redirect to the callback path; CallbackTimeout after ``timeout`` s."""
        try:
            return await asyncio.wait_for(self.received.get(), timeout)
        except TimeoutError:
            raise CallbackTimeout(timeout) from None


@asynccontextmanager
async def listen(host: str, port: int, path: str = CALLBACK_PATH) -> AsyncIterator[Listener]:
    """Listen on ``host`` (a loopback IP literal) and ``port`` (0: any free port)."""
    listener = Listener(path)
    bind = host.strip("[]")
    try:
        server = await asyncio.start_server(listener._handle, bind, port, limit=MAX_HEAD)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(bind, port) from None
        raise ListenFailed(bind, port, exc.strerror or type(exc).__name__) from None
    listener.port = server.sockets[0].getsockname()[1]
    shown = f"[{bind}]" if ":" in bind else bind
    listener.redirect_uri = f"http://{shown}:{listener.port}{path}"
    try:
        yield listener
    finally:
        server.close()  # no new connection from here on: the port is free
        if listener.current is not None and not listener.current.answer.done():
            text = "The sign-in was stopped in the terminal; nothing was stored."
            listener.current.reply("Sign-in cancelled", text, False)
            await asyncio.sleep(0.05)  # let the browser get its page
