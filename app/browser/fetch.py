"""The browser transport: ``pyodide.http.pyfetch`` with a timeout, never blocking the page.

``fetch`` is asynchronous, so the page stays responsive while a call runs, and it can be
aborted: by ``AbortSignal.timeout`` (the timeout setting) and by cancelling the asyncio
task (pyfetch aborts the request when its task is cancelled). A failure without an answer is
told apart as far as the browser allows: a timeout (our signal fired), a CORS refusal (a
``no-cors`` probe of the same URL does get through, so the server is there but does not
allow this page), or a network failure; and before all that, a request the page's own
Content-Security-Policy blocked (its ``<meta>`` policy read back, or a
``securitypolicyviolation`` event heard).

Whether a request left (``NetworkError.sent``) is decided from what this code did, never
guessed afterwards: only a request that was not handed to ``fetch`` at all (the browser
said it was offline *before*) certainly never left (``sent=False``). Once ``fetch`` has it,
a failure may come after the server got the request (a dropped connection, a timeout, a
withheld CORS answer to a simple POST), so ``sent`` stays None: a code exchange is then
not sent again.
"""

from __future__ import annotations

import asyncio
import time

import js
from pyodide.http import pyfetch

from app.core.errors import CorsRefused, CspBlocked, NetworkError, ResponseTooLarge, Timeout
from app.core.http import DEFAULT_TIMEOUT, HttpRequest, HttpResponse

PROBE_TIMEOUT_MS = 3000
_BLOCKED_KEPT = 20  # the last connect-src violations remembered (their origins)
_blocked: list[str] = []  # origins the page's CSP blocked, newest last
_listening: list[object] = []  # the violation listener's proxy, once installed


def _on_violation(event: object) -> None:
    directive = str(getattr(event, "effectiveDirective", "") or event.violatedDirective)
    if directive.startswith("connect-src"):
        _blocked.append(_origin(str(event.blockedURI)))
        del _blocked[:-_BLOCKED_KEPT]


def _listen_for_violations() -> None:
    """Hear the browser's ``securitypolicyviolation`` events (also a header policy's)."""
    if not _listening:
        from pyodide.ffi import create_proxy

        proxy = create_proxy(_on_violation)
        js.document.addEventListener("securitypolicyviolation", proxy)
        _listening.append(proxy)


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class FetchTransport:
    def __init__(self) -> None:
        _listen_for_violations()

    async def send(self, request: HttpRequest, timeout: float = DEFAULT_TIMEOUT) -> HttpResponse:
        signal = js.AbortSignal.timeout(max(1, int(timeout * 1000)))
        options: dict = {
            "method": request.method,
            "headers": dict(request.headers),
            "signal": signal,
            "credentials": "omit",  # bearer tokens only; no cookies to other hosts
            "cache": "no-store",
            "referrerPolicy": "no-referrer",
        }
        if request.body is not None:
            options["body"] = request.body.decode("utf-8")
        if not bool(js.navigator.onLine):  # not sent at all: this one provably never left
            raise NetworkError(request.url, "the browser is offline", sent=False)
        started = time.perf_counter()
        try:
            resp = await pyfetch(request.url, **options)
            if request.max_bytes is None:
                data = await resp.bytes()
            else:
                data = await _read_capped(resp, request)
        except (asyncio.CancelledError, ResponseTooLarge):
            raise
        except Exception as exc:
            if bool(signal.aborted):
                raise Timeout(request.url, timeout) from None
            raise await _classify(request.url) from exc
        elapsed = (time.perf_counter() - started) * 1000
        headers = {str(k).lower(): str(v) for k, v in dict(resp.headers).items()}
        return HttpResponse(int(resp.status), headers, bytes(data), elapsed)


async def _read_capped(resp: object, request: HttpRequest) -> bytes:
    """Read the body in chunks and stop (cancel the stream) once it passes the cap."""
    limit = request.max_bytes or 0
    too_large = ResponseTooLarge(request.url, limit, int(resp.status))
    declared = resp.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        await resp.js_response.body.cancel()
        raise too_large
    stream = resp.js_response.body
    if stream is None:
        return b""
    reader = stream.getReader()
    chunks: list[bytes] = []
    total = 0
    while True:
        part = await reader.read()
        if part.done:
            return b"".join(chunks)
        chunk = part.value.to_bytes()
        total += len(chunk)
        if total > limit:
            await reader.cancel()
            raise too_large
        chunks.append(chunk)


def blocked_by_page_policy(url: str) -> bool:
    """The page's CSP <meta> (scripts/csp.py) does not list the URL's origin in connect-src."""
    from app.core.page_policy import connect_allowed

    meta = js.document.querySelector('meta[http-equiv="Content-Security-Policy"]')
    if meta is None:
        return False
    return not connect_allowed(str(meta.getAttribute("content")), url, str(js.location.href))


async def _classify(url: str) -> NetworkError:
    """Why a request handed to fetch got no answer (it may have reached the server)."""
    if blocked_by_page_policy(url):
        return CspBlocked(url)
    if not bool(js.navigator.onLine):  # went offline meanwhile: maybe after sending
        return NetworkError(url, "the connection was lost (the browser went offline)")
    try:  # an opaque no-cors answer proves the server is reachable: then CORS refused ours
        await pyfetch(
            url,
            method="GET",
            mode="no-cors",
            credentials="omit",
            cache="no-store",
            signal=js.AbortSignal.timeout(PROBE_TIMEOUT_MS),
        )
    except asyncio.CancelledError:
        raise
    except Exception:
        await asyncio.sleep(0.05)  # let a violation event queued meanwhile be delivered
        if _origin(url) in _blocked:  # a policy the page cannot read (a header) blocked it
            return CspBlocked(url)
        return NetworkError(url, "the server could not be reached")
    return CorsRefused(url, "the server does not allow this page (CORS)")
