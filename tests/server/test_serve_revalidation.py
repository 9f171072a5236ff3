"""serve.py answers revalidation of an unchanged no-cache file with a body-less 304."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server.test_serve import get
from tests.serving import ServeProcess, start_serve


@pytest.fixture(scope="module")
def app() -> Iterator[ServeProcess]:
    server = start_serve("--no-emulator")
    yield server
    server.stop()


@pytest.mark.parametrize("path", ["/", "/pyscript.toml", "/app/main.py"])
def test_unchanged_file_revalidates_with_304(app: ServeProcess, path: str) -> None:
    first = get(app, path, **{"Accept-Encoding": "gzip"})
    etag = first.getheader("ETag")
    assert first.status == 200 and etag
    again = get(app, path, **{"If-None-Match": etag, "Accept-Encoding": "gzip"})
    assert again.status == 304
    assert again.body == b""
    assert again.getheader("ETag") == etag
    assert again.getheader("Cache-Control") == "no-cache"
    stale = get(app, path, **{"If-None-Match": 'W/"0-0"'})
    assert stale.status == 200 and stale.body
