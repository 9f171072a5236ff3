"""serve.py's compression: the vendored runtime's precompressed siblings, brotli first."""

from __future__ import annotations

import gzip
import http.client
from collections.abc import Iterator
from urllib.parse import urlsplit

import brotli
import pytest

import serve
from tests.serving import ROOT, ServeProcess, start_serve

WASM = "/static/vendor/pyodide-314.0.2/pyodide.asm.wasm"
STDLIB = "/static/vendor/pyodide-314.0.2/python_stdlib.zip"


@pytest.fixture(scope="module")
def app() -> Iterator[ServeProcess]:
    server = start_serve("--no-emulator")
    yield server
    server.stop()


def get(server: ServeProcess, path: str, accept: str | None, method: str = "GET"):
    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(server.app_url).port, timeout=30)
    conn.request(method, path, headers={"Accept-Encoding": accept} if accept else {})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp, body


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("br;q=0, gzip", "gzip"),
        ("gzip;q=0.5, br;q=0.1", "br"),
        ("identity", None),
        (None, None),
        ("*", "br"),
        ("*, br;q=0", "gzip"),
    ],
)
def test_precompressed_sibling_by_accept_encoding(app, accept, encoding) -> None:
    original = (ROOT / WASM.lstrip("/")).read_bytes()
    resp, body = get(app, WASM, accept)
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "application/wasm"
    assert resp.getheader("Content-Encoding") == encoding
    assert resp.getheader("Vary") == "Accept-Encoding"
    assert int(resp.getheader("Content-Length")) == len(body)
    if encoding == "br":
        assert body == (ROOT / (WASM.lstrip("/") + ".br")).read_bytes()
        assert brotli.decompress(body) == original
    elif encoding == "gzip":
        assert gzip.decompress(body) == original
    else:
        assert body == original


def test_stored_stdlib_zip_travels_compressed(app) -> None:
    resp, body = get(app, STDLIB, "gzip, br")
    assert resp.getheader("Content-Type") == "application/zip"
    assert resp.getheader("Content-Encoding") == "br"
    assert len(body) < (ROOT / STDLIB.lstrip("/")).stat().st_size / 2


def test_head_reports_the_encoded_length(app) -> None:
    resp, body = get(app, WASM, "br", method="HEAD")
    assert body == b""
    assert (
        int(resp.getheader("Content-Length")) == (ROOT / (WASM.lstrip("/") + ".br")).stat().st_size
    )


def test_text_without_sibling_is_compressed_on_the_fly(app) -> None:
    resp, body = get(app, "/index.html", "br, gzip")
    assert resp.getheader("Content-Encoding") == "br"
    assert b"Sign in with ilert" in brotli.decompress(body)
    resp, body = get(app, "/index.html", "gzip")
    assert resp.getheader("Content-Encoding") == "gzip"
    assert b"Sign in with ilert" in gzip.decompress(body)


def test_accepted_encodings_parser() -> None:
    assert serve.accepted_encodings("gzip, deflate, br") == {"gzip", "deflate", "br"}
    assert serve.accepted_encodings("br;q=0,gzip;q=1.0") == {"gzip"}
    assert serve.accepted_encodings("BR ; q=0.2") == {"br"}
    assert serve.accepted_encodings("gzip;q=bad") == set()
    assert serve.accepted_encodings("") == set()
