"""The CPython transport: ``urllib.request`` run in a worker thread (``asyncio.to_thread``).

For the unit tests and tools. In the browser the page uses ``app.browser.fetch`` instead; the same
urllib code also serves the opt-in "urllib via pyodide-http" choice there (``blocking=True``:
Pyodide has no threads, so it runs inline and blocks the page, which is the point of the
comparison).
"""

from __future__ import annotations

import asyncio
import http.client
import time
import urllib.error
import urllib.request

from app.core.errors import NetworkError, ResponseTooLarge, Timeout
from app.core.http import DEFAULT_TIMEOUT, HttpRequest, HttpResponse


def send_blocking(request: HttpRequest, timeout: float = DEFAULT_TIMEOUT) -> HttpResponse:
    """One request with urllib; any HTTP status is a response, no answer is a NetworkError."""
    req = urllib.request.Request(
        request.url, data=request.body, headers=dict(request.headers), method=request.method
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, headers = resp.status, resp.headers.items()
            data = _read(resp, request)
    except urllib.error.HTTPError as err:  # CPython: 4xx/5xx arrive as exceptions
        status, headers = err.code, (err.headers.items() if err.headers else [])
        try:
            data = _read(err, request)
        except OSError:
            data = b""
        finally:
            err.close()
    except TimeoutError as exc:
        raise Timeout(request.url, timeout) from exc
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise Timeout(request.url, timeout) from exc
        # Refused: the request certainly never reached a server.
        sent = False if isinstance(reason, ConnectionRefusedError) else None
        raise NetworkError(request.url, str(reason), sent=sent) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise NetworkError(request.url, str(exc) or type(exc).__name__) from exc
    except Exception as exc:  # pyodide-http: a failed XMLHttpRequest surfaces as a JS error
        if type(exc).__name__ in ("JsException", "JsError"):
            raise NetworkError(request.url, "the browser could not complete the request") from exc
        raise
    if status == 0:  # a synchronous XHR that got no answer reports status 0
        raise NetworkError(request.url, "no response")
    elapsed = (time.perf_counter() - started) * 1000
    return HttpResponse(status, {k.lower(): v for k, v in headers}, data, elapsed)


def _read(resp: object, request: HttpRequest) -> bytes:
    """The body, or ResponseTooLarge past ``request.max_bytes`` (the rest is never read)."""
    if request.max_bytes is None:
        return resp.read()
    data = resp.read(request.max_bytes + 1)
    if len(data) > request.max_bytes:
        raise ResponseTooLarge(request.url, request.max_bytes, getattr(resp, "status", 200))
    return data


class UrllibTransport:
    """The async interface over urllib: in a thread (CPython) or inline (``blocking``)."""

    def __init__(self, blocking: bool = False) -> None:
        self.blocking = blocking

    async def send(self, request: HttpRequest, timeout: float = DEFAULT_TIMEOUT) -> HttpResponse:
        if self.blocking:
            return send_blocking(request, timeout)
        return await asyncio.to_thread(send_blocking, request, timeout)
