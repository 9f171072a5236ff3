"""The page core's urllib transport (``app.native.transport.send_blocking``) in a daemon thread.

``asyncio.to_thread`` (``app.native.transport.UrllibTransport``) runs requests in the default
executor, whose threads Python waits for on exit: Ctrl-C during a request to a server that
does not answer would hang for up to the 30 s timeout. A daemon thread is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

from app.core.http import DEFAULT_TIMEOUT, HttpRequest, HttpResponse
from app.native.transport import send_blocking


def _settle(future: asyncio.Future, result: object, error: BaseException | None) -> None:
    if future.done():  # cancelled meanwhile (Ctrl-C)
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class DaemonTransport:
    async def send(self, request: HttpRequest, timeout: float = DEFAULT_TIMEOUT) -> HttpResponse:
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()

        def work() -> None:
            result, error = None, None
            try:
                result = send_blocking(request, timeout)
            except BaseException as exc:
                error = exc
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                loop.call_soon_threadsafe(_settle, future, result, error)

        threading.Thread(target=work, name="ilert-pkce-http", daemon=True).start()
        return await future
