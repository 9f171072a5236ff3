"""The browser transport: ``pyodide.http.pyfetch`` with a timeout, never blocking the page.

``fetch`` is asynchronous, so the page stays responsive while a call runs, and it can be
aborted: by ``AbortSignal.timeout`` (the timeout setting) and by cancelling the asyncio
task (pyfetch aborts the request when its task is cancelled). A failure without an answer is
told apart as far as the browser allows: a timeout (our signal fired), a CORS refusal (a
``no-cors`` probe of the same URL does get through, so the server is there but does not
allow this page), or a network failure.

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

from app.errors import CorsRefused, NetworkError, Timeout
from app.http import DEFAULT_TIMEOUT, HttpRequest, HttpResponse

PROBE_TIMEOUT_MS = 3000


class FetchTransport:
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
            data = await resp.bytes()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if bool(signal.aborted):
                raise Timeout(request.url, timeout) from None
            raise await _classify(request.url) from exc
        elapsed = (time.perf_counter() - started) * 1000
        headers = {str(k).lower(): str(v) for k, v in dict(resp.headers).items()}
        return HttpResponse(int(resp.status), headers, bytes(data), elapsed)


async def _classify(url: str) -> NetworkError:
    """Why a request handed to fetch got no answer (it may have reached the server)."""
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
        return NetworkError(url, "the server could not be reached")
    return CorsRefused(url, "the server does not allow this page (CORS)")
