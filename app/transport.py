"""One HTTP function for CPython and the browser.

In CPython it is plain ``urllib.request``. In the browser ``pyodide_http.patch_all()``
replaces ``urlopen`` with a synchronous XMLHttpRequest, which (unlike CPython) returns
4xx/5xx as ordinary responses, ignores ``timeout``, and drops a body passed as
``urlopen(url, data=...)`` — so we always build a ``Request`` with the body and an
explicit Content-Type. Any failure without an HTTP response (offline, refused, CORS) is
one ``NetworkError``: ``URLError``/``OSError`` in CPython, a ``JsException`` in Pyodide
(recognised by class name so this module never imports pyodide).
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlencode

from app.errors import MalformedResponse, NetworkError

DEFAULT_TIMEOUT = 20.0


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # names lower-cased
    body: bytes = b""
    elapsed_ms: float = 0.0

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def is_json(self) -> bool:
        ct = self.content_type
        return ct == "application/json" or ct.endswith("+json")

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> object:
        """The body as JSON, or MalformedResponse (also for an empty body)."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise MalformedResponse(self.status, "the body is not valid JSON") from exc


def _is_js_exception(exc: BaseException) -> bool:
    return any(cls.__name__ in ("JsException", "JsError") for cls in type(exc).__mro__)


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    content_type: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Response:
    """Send one request; return any HTTP response (2xx–5xx); raise NetworkError otherwise."""
    hdrs = dict(headers or {})
    if body is not None:
        hdrs["Content-Type"] = content_type or "application/octet-stream"
    req = urllib.request.Request(url, data=body, headers=hdrs, method=method.upper())
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, resp_headers, data = resp.status, resp.headers.items(), resp.read()
    except urllib.error.HTTPError as err:  # CPython: 4xx/5xx arrive as exceptions
        status, resp_headers = err.code, (err.headers.items() if err.headers else [])
        try:
            data = err.read()
        except OSError:
            data = b""
        finally:
            err.close()
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise NetworkError(url, str(getattr(exc, "reason", exc))) from exc
    except Exception as exc:
        if _is_js_exception(exc):  # Pyodide: XHR failed (offline, CORS, refused)
            raise NetworkError(url, "the browser could not complete the request") from exc
        raise
    if status == 0:  # a sync XHR that never got an answer reports status 0
        raise NetworkError(url, "no response")
    elapsed = (time.perf_counter() - started) * 1000
    return Response(status, {k.lower(): v for k, v in resp_headers}, data, elapsed)


def form(data: dict[str, str]) -> bytes:
    return urlencode(data).encode("ascii")


def post_form(url: str, data: dict[str, str], headers: dict[str, str] | None = None) -> Response:
    hdrs = {"Accept": "application/json", **(headers or {})}
    return request(
        "POST", url, headers=hdrs, body=form(data), content_type="application/x-www-form-urlencoded"
    )
