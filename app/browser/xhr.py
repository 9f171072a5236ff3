"""Opt-in comparison transport: urllib via pyodide-http (a *synchronous* XMLHttpRequest).

Chosen in Settings only. It blocks the page while a call runs and cannot time out (a
window may not set a timeout on a synchronous XHR), which is why fetch is the default. The
pyodide-http wheel is fetched and unpacked the first time this transport is chosen, so no
page that does not use it pays for it.
"""

from __future__ import annotations

import io
import sys
import zipfile

WHEEL = "static/vendor/wheels/pyodide_http-0.2.2-py3-none-any.whl"
TARGET = "/tmp/pyodide-http"


async def load_transport() -> object:
    """The urllib transport, pyodide-http loaded and patched in (once)."""
    if "pyodide_http" not in sys.modules:
        from pyodide.http import pyfetch

        resp = await pyfetch(WHEEL)
        if not resp.ok:
            raise OSError(f"could not load {WHEEL} (HTTP {resp.status})")
        zipfile.ZipFile(io.BytesIO(await resp.bytes())).extractall(TARGET)
        if TARGET not in sys.path:
            sys.path.insert(0, TARGET)
    import pyodide_http

    pyodide_http.patch_all()
    from app.native.transport import UrllibTransport

    return PolicyAwareTransport(UrllibTransport(blocking=True))


class PolicyAwareTransport:
    """A failed XHR the page's own CSP blocked is said as such (as ``app.browser.fetch`` does)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner

    async def send(self, request: object, timeout: float) -> object:
        from app.core.errors import CspBlocked, NetworkError

        try:
            return await self.inner.send(request, timeout)
        except NetworkError as exc:
            from app.browser.fetch import blocked_by_page_policy

            if blocked_by_page_policy(request.url):
                raise CspBlocked(request.url) from exc
            raise
