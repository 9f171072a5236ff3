"""What the page needs only once "Sign in" is usable: fetched then, mounted before the page is
built.

Two zips, each the second part of something the page boots with:
- the standard library's (scripts/stdlib_cut.py): Pyodide loads the first zip, what its boot,
  PyScript and ``app.main`` import at once; the second holds the rest (hashlib, datetime,
  email, the other codecs, ...);
- the app's (scripts/build_app_bundle.py): PyScript unpacks ``static/app.zip``, the modules
  ``app.main`` imports at once; ``static/app_later.zip`` holds the rest of ``app/`` and is
  unpacked beside it, so the app's modules import from files as before.

A first visit then waits for fewer bytes before the button works (on a 20 Mbit/s link the
two are about 0.25 s of transfer). ``app.main`` awaits ``mount()`` before it imports any other
app module, so nothing can import a module that is not there yet.

This module may import only what the first zips have: tests/unit/test_vendor_stdlib.py
checks it.
"""

from __future__ import annotations

import asyncio
import sys

# static/boot.js preloads the same URLs (once the wasm and the first stdlib zip are in); the
# manifest records the stdlib one (tests/unit/test_vendor_stdlib.py checks they agree).
STDLIB_URL = "static/vendor/pyodide-314.0.2/python_stdlib_later.zip"
STDLIB_MOUNT_PATH = "/lib/python314_later.zip"
APP_URL = "static/app_later.zip"
URLS = (STDLIB_URL, APP_URL)
ATTEMPTS = 3
RETRY_DELAYS = (1.0, 3.0)  # seconds before the second and third attempt
TIMEOUT_MS = 120_000  # a whole zip (0.5 MB at most), also on a slow link


class Unavailable(Exception):
    """A zip could not be fetched: the page cannot be built."""


_mounted: asyncio.Future | None = None


def mount() -> asyncio.Future:
    """Fetch and mount both zips, once (every caller shares the first call's task)."""
    global _mounted
    if _mounted is None:
        _mounted = asyncio.ensure_future(_fetch_and_mount())
    return _mounted


async def _fetch_and_mount() -> None:
    stdlib, app = await asyncio.gather(_fetch(STDLIB_URL), _fetch(APP_URL))
    import importlib
    import io
    import zipfile

    # Where PyScript unpacked static/app.zip (the working directory): app/ui/, app/core/api.py, ...
    zipfile.ZipFile(io.BytesIO(app)).extractall(".")
    with open(STDLIB_MOUNT_PATH, "wb") as f:
        f.write(stdlib)
    sys.path.append(STDLIB_MOUNT_PATH)  # top-level modules (hashlib, email, ...)
    sys.meta_path.append(SubmoduleFinder(STDLIB_MOUNT_PATH))
    importlib.invalidate_caches()  # the folder app/ has new files
    _forget_missing_codecs()


class SubmoduleFinder:
    """Finds the submodules of packages that are split over two zips (`urllib.error` for
    `urllib`, `encodings.cp1252` for `encodings`, ...).

    Python looks for a submodule only in its package's ``__path__``, which names the first
    zip; this finder, last on ``sys.meta_path``, looks in the same folder of the second.
    """

    def __init__(self, archive: str) -> None:
        self.archive = archive
        self.importers: dict[str, object] = {}

    def find_spec(self, fullname: str, path: object = None, target: object = None):
        package, _, _ = fullname.rpartition(".")
        if not package:
            return None
        folder = f"{self.archive}/{package.replace('.', '/')}"
        if folder not in self.importers:
            import zipimport

            self.importers[folder] = zipimport.zipimporter(folder)
        return self.importers[folder].find_spec(fullname)

    def invalidate_caches(self) -> None:
        self.importers.clear()


async def _fetch(url: str) -> bytes:
    import js  # here, not at the top: the finder above is tested in CPython

    problem = ""
    for attempt in range(ATTEMPTS):
        if attempt:
            await asyncio.sleep(RETRY_DELAYS[attempt - 1])
        try:
            response = await js.fetch(
                url, js.Object.fromEntries([["signal", js.AbortSignal.timeout(TIMEOUT_MS)]])
            )
        except Exception:  # a network failure (JsException) or our timeout
            problem = "the network failed while downloading it"
            continue
        status = int(response.status)
        if status >= 500:
            problem = f"the server answered {status}"
            continue
        if status != 200:  # a 404 will not change on a retry
            raise Unavailable(
                f"a file the app needs is missing from the server ({url}, status {status})."
            )
        try:
            data = (await response.arrayBuffer()).to_bytes()
        except Exception:
            problem = "the download broke off"
            continue
        if data[:4] != b"PK\x03\x04":
            raise Unavailable(f"a file the app needs is damaged on the server ({url}).")
        return data
    raise Unavailable(f"part of the app's Python code did not download ({url}: {problem}).")


def _forget_missing_codecs() -> None:
    """A codec looked up before the mount, and not in the first zip, was cached as missing by
    the `encodings` search function: forget that, so a later lookup finds it here."""
    import encodings

    cache = getattr(encodings, "_cache", {})
    for name in [name for name, module in cache.items() if module is None]:
        del cache[name]
