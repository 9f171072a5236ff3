"""What of the app's pure core runs on MicroPython: a report, not a test.

Runs unchanged on MicroPython (in Chromium through PyScript's `mpy`, bench/micropython/page.html;
under Node, bench/micropython/node_run.mjs) and on CPython (the control: there everything
passes). `run()` returns a JSON-able dict:
- "imports": each module of the core (and the stdlib modules it needs), imported on its own,
  -> "ok" or the first error ("ImportError: no module named 'secrets'");
- "imports_past_future": the app's modules again with a stub `__future__` on the path (it
  only has to exist for `from __future__ import annotations`), which every one of them
  imports first: the next blocker of each (MicroPython only; CPython has the real one);
- "features": the language and stdlib features the core relies on, each a snippet with the
  result CPython gives -> "ok", "wrong: <result>" (runs, but gives another answer) or the error;
- "flow": one sign-in with the app's own code: the authorize URL (authorize.start),
  the callback check (callback.handle) and the token response (protocol.token_set), each
  "ok: ..." or its error.

Written in the subset both interpreters take (no dataclasses, f-string quirks or unpacking
displays), with no import at module level but sys and json.
"""

# The table of features reads best one per line, and MicroPython has no contextlib.
# ruff: noqa: E501, SIM105

import json
import sys

# The core the issue names, and what those modules import from app/ (for the flow too).
CORE = (
    "app.core.pkce",
    "app.core.protocol",
    "app.core.flow",
    "app.core.scopes",
    "app.core.servers",
    "app.core.flowlog",
)
CLOSURE = (
    "app.boot.keys",
    "app.core.backoff",
    "app.core.http",
    "app.core.errors",
    "app.core.explain",
    "app.boot.address",
    "app.core.urls",
    "app.core.settings",
    "app.core.storage",
    "app.core.authorize",
    "app.core.callback",
)
# Standard-library modules that these modules import (module level or inside functions).
STDLIB = (
    "__future__",
    "dataclasses",
    "typing",
    "enum",
    "secrets",
    "urllib.parse",
    "re",
    "hashlib",
    "hmac",
    "base64",
    "json",
    "asyncio",
    "contextlib",
    "collections.abc",
    "ipaddress",
    "random",
    "time",
)

# label -> (snippet that sets r, the result CPython gives). Each is something the core does.
FEATURES = (
    ("class annotations (dataclass fields)", "class A:\n    x: int\nr = 'x' in A.__annotations__", True),
    ("re {m,n} repetition (pkce verifier)", "import re\nr = bool(re.match('^a{2,3}$', 'aa'))", True),
    ("re {5,} (flowlog's JWT redaction)", "import re\nr = bool(re.search('eyJ[A-Za-z0-9_-]{5,}[.]', 'Bearer eyJhbGciOi.'))", True),
    ("re (?i) inline flag (flowlog's Bearer redaction)", "import re\nr = bool(re.match('(?i)bearer', 'Bearer'))", True),
    ("re named group", "import re\nr = re.match('(?P<a>x)', 'x').group('a')", "x"),
    ("re lookahead", "import re\nr = bool(re.match('x(?=y)', 'xy'))", True),
    ("re.IGNORECASE", "import re\nr = bool(re.match('x', 'X', re.IGNORECASE))", True),
    ("re.fullmatch", "import re\nr = bool(re.fullmatch('a+', 'aa'))", True),
    ("hashlib.sha256().digest", "import hashlib\nr = hashlib.sha256(b'abc').digest()[:2]", b"\xbax"),
    ("hashlib.sha256().hexdigest", "import hashlib\nr = hashlib.sha256(b'').hexdigest()[:4]", "e3b0"),
    ("base64.urlsafe_b64encode", "import base64\nr = base64.urlsafe_b64encode(b'\\xfb\\xff')", b"-_8="),
    ("base64.urlsafe_b64decode", "import base64\nr = base64.urlsafe_b64decode(b'-_8=')", b"\xfb\xff"),
    ("hmac.compare_digest", "import hmac\nr = hmac.compare_digest(b'a', b'a')", True),
    ("os.urandom", "import os\nr = len(os.urandom(8))", 8),
    ("json.dumps sort_keys", "import json\nr = json.dumps({'b': 1, 'a': 2}, sort_keys=True)", '{"a": 2, "b": 1}'),
    ("tuple display with *x", "a = (1, 2)\nr = eval('(0, *a)', {'a': a})", (0, 1, 2)),
    ("dict display with **x", "a = {'x': 1}\nr = eval('{**a}', {'a': a})", {"x": 1}),
    ("exception chaining (from)", "try:\n    raise ValueError('b') from KeyError('a')\nexcept ValueError as e:\n    r = type(e.__cause__).__name__", "KeyError"),
    ("str.removeprefix", "r = 'abc'.removeprefix('a')", "bc"),
    ("str.isascii", "r = 'é'.isascii()", False),
    ("str.encode('ascii') refuses non-ASCII", "try:\n    'é'.encode('ascii')\n    r = 'encoded'\nexcept UnicodeError:\n    r = 'refused'", "refused"),
    ("zip(strict=True)", "r = list(zip('a', 'b', strict=True))", [("a", "b")]),
    ("time.monotonic", "import time\nr = time.monotonic() > 0", True),
    ("asyncio.wait_for, gather, Event, Lock", "import asyncio\nr = all((asyncio.wait_for, asyncio.gather, asyncio.Event, asyncio.Lock))", True),
)  # fmt: skip

DEFAULTS = {
    "client_id": "ilert-pkce-demo",
    "ilert_host": "http://localhost:4598",
    "api_base": "http://localhost:4598/api",
    "scope": "profile source:w alert:w schedule offline_access",
}
PAGE_URL = "http://127.0.0.1:4597/"


def error_text(exc: BaseException) -> str:
    text = type(exc).__name__ + ": " + str(exc)
    return text.rstrip(": ")


def forget_app() -> None:
    """Drop app.* from sys.modules, so that each import reports its own first failure."""
    for name in list(sys.modules):
        if name == "app" or name.startswith("app."):
            del sys.modules[name]


def try_import(name: str) -> str:
    try:
        __import__(name)
        return "ok"
    except BaseException as exc:  # SyntaxError and ImportError alike: a report line
        return error_text(exc)
    finally:
        forget_app()


def try_feature(source: str, expected: object) -> str:
    scope = {}
    try:
        exec(source, scope)
    except BaseException as exc:
        return error_text(exc)
    result = scope.get("r")
    return "ok" if result == expected else "wrong: " + repr(result)


def run_flow() -> dict:
    """authorize URL -> callback check -> token response, with the app's own modules."""
    out = {}
    try:
        from app.core import authorize, storage
        from app.core import settings as settings_model

        store = storage.MemoryStorage()
        url = authorize.start(settings_model.merge(DEFAULTS, None), store, PAGE_URL)
        query = url.split("?", 1)[1]
        params = dict(pair.split("=", 1) for pair in query.split("&"))
        out["authorize"] = "ok: " + url.split("?", 1)[0] + " " + ",".join(sorted(params))
    except BaseException as exc:
        out["authorize"] = error_text(exc)
        return out
    try:
        from app.core import callback

        result = callback.handle({"code": "the-code", "state": params["state"]}, store)
        out["callback"] = "ok: code " + result.code + ", verifier " + str(len(result.verifier))
    except BaseException as exc:
        out["callback"] = error_text(exc)
        return out
    try:
        from app.core import protocol
        from app.core.http import HttpResponse

        body = {"access_token": "at", "token_type": "Bearer", "expires_in": 60, "scope": "profile"}
        answer = HttpResponse(200, {"content-type": "application/json"}, json.dumps(body).encode())
        tokens = protocol.token_set(answer, 1000.0)
        out["token_response"] = "ok: expires_at " + str(tokens.expires_at) + ", " + tokens.scope
    except BaseException as exc:
        out["token_response"] = error_text(exc)
    return out


# In the browser only (page.html): what the app's DOM layer uses, and what it would use instead.
BROWSER = (
    ("pyodide.ffi.create_proxy (the app's DOM layer)", "from pyodide.ffi import create_proxy\nr = 1", 1),
    ("pyodide.http.pyfetch (app/browser/fetch.py)", "from pyodide.http import pyfetch\nr = 1", 1),
    ("pyscript.ffi.create_proxy, to_js", "from pyscript.ffi import create_proxy, to_js\nr = 1", 1),
    ("pyscript.fetch", "from pyscript import fetch\nr = 1", 1),
    ("js.crypto.getRandomValues (a CSPRNG for secrets)", "import js\nr = bool(js.crypto.getRandomValues)", True),
    ("js.AbortSignal.timeout (app/browser/fetch.py)", "import js\nr = bool(js.AbortSignal.timeout)", True),
)  # fmt: skip


def browser_checks() -> dict:
    return {label: try_feature(source, expected) for label, source, expected in BROWSER}


STUB_DIR = "/mpy_probe_stubs"


def stub_future() -> bool:
    """Put a stub `__future__` on sys.path when there is none; whether it did."""
    try:
        __import__("__future__")
        return False
    except ImportError:
        pass
    import os

    try:
        os.mkdir(STUB_DIR)
    except OSError:  # already there
        pass
    with open(STUB_DIR + "/__future__.py", "w") as f:
        f.write("annotations = None\n")
    sys.path.insert(0, STUB_DIR)
    return True


def run() -> dict:
    # The caller's own app modules come back afterwards (a pytest session must keep its class
    # identities); in between each import starts from nothing.
    before = dict((k, v) for k, v in sys.modules.items() if k == "app" or k.startswith("app."))
    try:
        return probe()
    finally:
        forget_app()
        sys.modules.update(before)


def probe() -> dict:
    impl = sys.implementation
    report = {
        "implementation": impl.name + " " + ".".join(str(n) for n in impl.version[:3]),
        "imports": {},
        "imports_past_future": {},
        "features": {},
        "flow": {},
    }
    for name in CORE + CLOSURE + STDLIB:
        report["imports"][name] = try_import(name)
    if stub_future():
        for name in CORE + CLOSURE:
            report["imports_past_future"][name] = try_import(name)
    for label, source, expected in FEATURES:
        report["features"][label] = try_feature(source, expected)
    report["flow"] = run_flow()
    return report


if __name__ == "__main__":
    print(json.dumps(run()))
