"""The page's Content-Security-Policy, derived from index.html and config.json.

    python3 scripts/csp.py           # rewrite the CSP <meta> tag in index.html
    python3 scripts/csp.py --check   # exit 1 when it is stale (config.json or the <style> changed)

The policy travels with the page in a <meta> tag, so every static host applies it. It is the
strictest the page works under (found by trying, tests/e2e/test_csp.py):

- script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval': only our own files; 'wasm-unsafe-eval'
  because Pyodide compiles its WebAssembly, 'unsafe-eval' only because PyScript's core calls
  Function() (no inline script at all);
- style-src 'self' plus the hash of the shell's one inline <style> (computed here);
- connect-src 'self' plus the origins config.json names (ilert_host, the tenant host, api_base,
  any other field holding an http(s) URL such as an explicit token endpoint) and its
  `allowed_origins` (CONTRACTS item 3): the code, the verifier and the tokens can go nowhere
  else, whatever the stored settings say;
- default-src 'none', img-src 'self', object-src 'none', base-uri 'none', form-action 'none'.

`frame-ancestors 'none'` only works as a header (browsers ignore it in <meta>): serve.py sends
the same policy plus that as a header, computed for the config.json it serves. The sign-in
itself is a top-level navigation, which no CSP directive restricts.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html as html_lib
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
INDEX = ROOT / "index.html"
CONFIG = ROOT / "config.json"

META_RE = re.compile(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">')
STYLE_RE = re.compile(r"<style>(.*?)</style>", re.S)
CHARSET_META = '<meta charset="utf-8">'


def origin(url: str) -> str | None:
    """scheme://host[:port] of an http(s) URL (no userinfo, lower-case), else None."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def tenant_origin(ilert_host: str, tenant: str) -> str | None:
    """The authorize host with a tenant (as app.core.settings.Settings.authorize_host makes it)."""
    base = origin(ilert_host)
    if not tenant or not base:
        return None
    parts = urlsplit(base)
    name = parts.hostname or ""
    name = name[len("app.") :] if name.startswith("app.") else name
    return f"{parts.scheme}://{tenant}.{name}" + (f":{parts.port}" if parts.port else "")


def connect_origins(config: dict, extra: Iterable[str] = ()) -> list[str]:
    """The origins the page may send requests to, besides its own (CONTRACTS item 3)."""
    ilert_host = config.get("ilert_host", "")
    ilert_host = ilert_host if isinstance(ilert_host, str) else ""
    tenant = config.get("tenant", "")
    allowed = config.get("allowed_origins", [])
    candidates = [
        origin(ilert_host),
        tenant_origin(ilert_host, tenant if isinstance(tenant, str) else ""),
        # Every other address field (api_base, explicit endpoint URLs such as token_url, ...):
        # whatever their names, config.json's URLs are the hosts its owner vouches for.
        *(origin(v) for k, v in config.items() if isinstance(v, str) and k != "ilert_host"),
        *(origin(o) for o in (allowed if isinstance(allowed, list) else []) if isinstance(o, str)),
        *extra,  # already origins or CSP host sources (serve.py: the emulator's *.localhost)
    ]
    out: list[str] = []
    for candidate in candidates:
        if candidate and candidate not in out:
            out.append(candidate)
    return out


def style_hashes(page: str) -> list[str]:
    """CSP hash sources of the page's inline <style> elements."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
        for m in STYLE_RE.findall(page)
    ]


def policy(page: str, config: dict, extra_connect: Iterable[str] = (), header: bool = False) -> str:
    """The policy for `page` served with `config`; header=True adds what only a header can say."""
    directives = [
        "default-src 'none'",
        "script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'",
        " ".join(["style-src 'self'", *style_hashes(page)]),
        "img-src 'self'",
        " ".join(["connect-src 'self'", *connect_origins(config, extra_connect)]),
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
    if header:
        directives.append("frame-ancestors 'none'")
    return "; ".join(directives)


def with_meta(page: str, value: str) -> str:
    """`page` with its CSP <meta> set to `value` (added right after the charset when missing:
    a policy in <meta> covers only what follows it)."""
    content = html_lib.escape(value, quote=False).replace('"', "&quot;")
    tag = f'<meta http-equiv="Content-Security-Policy" content="{content}">'
    if META_RE.search(page):
        return META_RE.sub(lambda _: tag, page, count=1)
    return page.replace(CHARSET_META, f"{CHARSET_META}\n  {tag}", 1)


def expected_index(index: Path = INDEX, config: Path = CONFIG) -> str:
    page = index.read_text(encoding="utf-8")
    return with_meta(page, policy(page, json.loads(config.read_text(encoding="utf-8"))))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify, do not write")
    args = parser.parse_args()
    fresh = expected_index()
    if args.check:
        if INDEX.read_text(encoding="utf-8") == fresh:
            print("index.html's Content-Security-Policy is up to date")
            return 0
        print("index.html's Content-Security-Policy is stale: run python3 scripts/csp.py")
        return 1
    INDEX.write_text(fresh, encoding="utf-8")
    print("wrote the Content-Security-Policy <meta> of index.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
