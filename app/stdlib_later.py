"""The second part of the standard library: fetched once "Sign in" is usable, mounted before
the page is built.

The vendored stdlib is cut in two (scripts/stdlib_cut.py): Pyodide loads the first zip, what
its boot, PyScript and ``app.main`` import at once; this module fetches the rest (hashlib,
datetime, email, the other codecs, ...), writes it beside the first zip and puts it on
``sys.path``. A first visit then waits for fewer bytes before the button works: on a
20 Mbit/s link the second zip is about 0.2 s of transfer. ``app.main`` awaits ``mount()``
before it imports any other app module, so nothing can import a module that is not there yet.

It may import only what the first zip has (and ``js``): see ``uses_only_the_first_zip`` in
tests/unit/test_vendor_stdlib.py.
"""

from __future__ import annotations

import asyncio
import sys

# static/boot.js preloads the same URL (after the first zip arrived); the manifest records
# both names (tests/unit/test_vendor_stdlib.py checks they agree).
URL = "static/vendor/pyodide-314.0.2/python_stdlib_later.zip"
MOUNT_PATH = "/lib/python314_later.zip"
ATTEMPTS = 3
RETRY_DELAYS = (1.0, 3.0)  # seconds before the second and third attempt
TIMEOUT_MS = 120_000  # the whole zip (about 0.6 MB), also on a slow link


class Unavailable(Exception):
    """The second zip could not be fetched: the page cannot be built."""


_mounted: asyncio.Future | None = None


def mount() -> asyncio.Future:
    """Fetch and mount the second zip, once (every caller shares the first call's task)."""
    global _mounted
    if _mounted is None:
        _mounted = asyncio.ensure_future(_fetch_and_mount())
    return _mounted


async def _fetch_and_mount() -> None:
    if MOUNT_PATH in sys.path:
        return
    data = await _fetch()
    with open(MOUNT_PATH, "wb") as f:
        f.write(data)
    sys.path.append(MOUNT_PATH)  # top-level modules (hashlib, email, ...)
    sys.meta_path.append(SubmoduleFinder(MOUNT_PATH))
    _forget_missing_codecs()


class SubmoduleFinder:
    """Finds the submodules of packages that the two zips share (`urllib.error` for
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


async def _fetch() -> bytes:
    import js  # here, not at the top: the finder below is tested in CPython

    problem = ""
    for attempt in range(ATTEMPTS):
        if attempt:
            await asyncio.sleep(RETRY_DELAYS[attempt - 1])
        try:
            response = await js.fetch(
                URL, js.Object.fromEntries([["signal", js.AbortSignal.timeout(TIMEOUT_MS)]])
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
                f"a file the app needs is missing from the server ({URL}, status {status})."
            )
        try:
            data = (await response.arrayBuffer()).to_bytes()
        except Exception:
            problem = "the download broke off"
            continue
        if data[:4] != b"PK\x03\x04":
            raise Unavailable(f"a file the app needs is damaged on the server ({URL}).")
        return data
    raise Unavailable(f"part of the Python standard library did not download ({problem}).")


def _forget_missing_codecs() -> None:
    """A codec looked up before the mount, and not in the first zip, was cached as missing by
    the `encodings` search function: forget that, so a later lookup finds it here."""
    import encodings

    cache = getattr(encodings, "_cache", {})
    for name in [name for name, module in cache.items() if module is None]:
        del cache[name]
