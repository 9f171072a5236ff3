"""Serve the app, and the local ilert emulator it is preconfigured for.

    python serve.py                   # app on http://localhost:4597/, emulator on :4598
    python serve.py --no-emulator     # only the static app (config.json as it is on disk)

The app is a folder of static files; this server adds what a good static host adds: correct
MIME types (the browser refuses WebAssembly served as anything but application/wasm),
immutable caching for the versioned runtime under static/vendor/, no-cache for the page and
its Python (revalidated by ETag: an unchanged file costs a 304), compression (the vendored
runtime's precompressed `.br`/`.gz` siblings when the browser accepts them, brotli first;
other text compressed on the fly) and security headers on every answer, errors included,
with the page's Content-Security-Policy computed for the config.json it serves
(scripts/csp.py). Only the app's own files are served, never the rest of the repository.
"""

from __future__ import annotations

import argparse
import email.utils
import errno
import gzip
import hashlib
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ilert_emulator import hosts  # pure: needs none of the emulator's packages
from scripts import build_app_bundle, csp

try:  # optional: without it, text is compressed with gzip only (siblings are still served)
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

ROOT = Path(__file__).resolve().parent
DEFAULT_PORT = 4597
DEFAULT_EMULATOR_PORT = 4598

# What the static host publishes: the page, its configuration, its Python and static assets.
PUBLIC_FILES = {"index.html", "pyscript.toml", "config.json"}
PUBLIC_DIRS = ("app/", "static/")

MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".toml": "application/toml; charset=utf-8",
    ".py": "text/x-python; charset=utf-8",
    ".wasm": "application/wasm",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
COMPRESSIBLE = {".html", ".js", ".mjs", ".css", ".json", ".toml", ".py", ".wasm", ".svg", ".txt"}
# The app's two bundles (scripts/build_app_bundle.py), built from app/ on the fly.
APP_BUNDLES = {"/static/app.zip": "boot", "/static/app_later.zip": "later"}
# Precompressed siblings, in order of preference, and the Content-Encoding each one has.
SIBLINGS = (("br", ".br"), ("gzip", ".gz"))
IMMUTABLE = "public, max-age=31536000, immutable"
# Headers every response of the app carries (see the README's deployment section), plus the
# Content-Security-Policy (see AppHandler.content_security_policy).
SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
# A GET or HEAD body is read and dropped up to this size, else refused (413) and the
# connection closed: unread, it would be taken for the next request on a kept-alive connection.
MAX_IGNORED_BODY = 64 * 1024


def public_path(url_path: str, root: Path = ROOT) -> Path | None:
    """Map a URL path to a file the app publishes, or None (never outside the allow-list)."""
    rel = unquote(url_path).lstrip("/") or "index.html"
    if rel.endswith("/"):
        rel += "index.html"
    parts = rel.split("/")
    if any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        return None
    if rel not in PUBLIC_FILES and not rel.startswith(PUBLIC_DIRS):
        return None
    path = root / rel
    return path if path.is_file() else None


def cache_control(rel: str) -> str:
    # Files under static/vendor/ live in version-named folders, so their URL changes on upgrade.
    return IMMUTABLE if rel.startswith("static/vendor/") else "no-cache"


def etag_of(path: Path) -> str:
    """A weak validator from size and mtime (weak: the same for the gzip and plain bodies)."""
    stat = path.stat()
    return f'W/"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


def accepted_encodings(header: str) -> set[str]:
    """The content codings an Accept-Encoding header allows (q=0 means refused)."""
    accepted: set[str] = set()
    refused: set[str] = set()
    for part in header.split(","):
        token, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        (accepted if q > 0 else refused).add(token.strip().lower())
    if "*" in accepted:
        accepted |= {"br", "gzip"} - refused
    return accepted - refused - {""}


def compress(data: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=5)  # fast; the big files have .br siblings
    return gzip.compress(data, compresslevel=6, mtime=0)


class CompressCache:
    """Compress each file once per (mtime, size, encoding), for files without siblings."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple[Path, str], tuple[tuple[int, int], bytes]] = {}

    def get(self, path: Path, data: bytes, encoding: str) -> bytes:
        stat = path.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            hit = self._cache.get((path, encoding))
        if hit and hit[0] == key:
            return hit[1]
        packed = compress(data, encoding)
        with self._lock:
            self._cache[(path, encoding)] = (key, packed)
        return packed


class AppHandler(BaseHTTPRequestHandler):
    # Keep-alive: the page's ~20 requests reuse a few connections instead of one each.
    protocol_version = "HTTP/1.1"
    server_version = "ilert-pkce-serve"
    sys_version = ""
    # A client that stops sending mid-request ties up only its own thread, and not forever.
    timeout = 30
    # Set per server by make_app_server().
    root: Path = ROOT
    config_json: bytes | None = None
    # CSP host sources besides config.json's origins (serve.py: the emulator's tenant hosts).
    extra_connect: tuple[str, ...] = ()
    # The --host name it listens on, answered besides the loopback names (set per server).
    host_names: tuple[str, ...] = ()
    # Off only for pages that are not the app (the benchmark's bare pages).
    send_csp = True
    compress_cache = CompressCache()
    verbose = False

    def do_GET(self) -> None:
        if self._our_host() and self._read_body():
            self._respond(send_body=True)

    def do_HEAD(self) -> None:
        if self._our_host() and self._read_body():
            self._respond(send_body=False)

    def _our_host(self) -> bool:
        """Answer only to the names this server serves (DNS rebinding: ilert_emulator.hosts).

        False when a plain 421 was sent instead (the connection is then closed).
        """
        address, port = self.server.server_address[:2]
        names = (*self.host_names, str(address))
        if hosts.host_allowed(self.headers.get("Host"), port, names):
            return True
        self.close_connection = True  # the request body, if any, is not read
        body = hosts.REFUSED_BODY
        self._send(hosts.REFUSED_STATUS, body, ".txt", "no-store", None, self.command != "HEAD")
        return False

    def _read_body(self) -> bool:
        """Read and drop a request body (GET and HEAD have no use for one), or refuse it.

        False when an error was sent instead (the connection is then closed).
        """
        if self.headers.get("Transfer-Encoding"):
            self.send_error(411, "A request body is not accepted here")
            return False
        length = self.headers.get("Content-Length")
        if length is None:
            return True
        if not length.strip().isdigit():
            self.send_error(400, "Bad Content-Length")
            return False
        size = int(length)
        if size > MAX_IGNORED_BODY:
            self.send_error(413, "Request body too large")
            return False
        while size > 0:
            try:
                chunk = self.rfile.read(min(size, 65536))
            except OSError:  # the socket timeout: the client stopped sending
                chunk = b""
            if not chunk:
                self.close_connection = True
                return False
            size -= len(chunk)
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        # Any error may leave part of a request unread: never read on from this connection.
        self.close_connection = True
        super().send_error(code, message, explain)

    def end_headers(self) -> None:
        # Every answer, 414 and 501 included (http.server sends those itself).
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        if self.send_csp:
            self.send_header("Content-Security-Policy", self.content_security_policy(header=True))
        super().end_headers()

    def served_config(self) -> dict:
        if self.config_json is not None:
            return json.loads(self.config_json)
        try:
            return json.loads((self.root / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def content_security_policy(self, header: bool) -> str:
        """The page's policy for the config served (scripts/csp.py), from its index.html."""
        try:
            page = (self.root / "index.html").read_text(encoding="utf-8")
        except OSError:
            page = ""
        return csp.policy(page, self.served_config(), self.extra_connect, header=header)

    def _respond(self, send_body: bool) -> None:
        url_path = urlsplit(self.path).path
        if url_path == "/config.json" and self.config_json is not None:
            self._send(200, self.config_json, ".json", "no-cache", None, send_body)
            return
        part = APP_BUNDLES.get(url_path)
        if part and (self.root / "app").is_dir():
            # While developing, the bundles are always app/ as it is now (and equal the
            # committed ones whenever those are up to date, which a test checks).
            body = build_app_bundle.build(self.root / "app", part)
            self._send(200, body, ".zip", "no-cache", None, send_body)
            return
        path = public_path(url_path, self.root)
        if path is None:
            self._send(404, b"Not found\n", ".txt", "no-cache", None, send_body)
            return
        rel = path.relative_to(self.root).as_posix()
        if rel == "index.html" and self.send_csp:
            # The page with its CSP <meta> for the config served here (the emulator's ports).
            page = path.read_text(encoding="utf-8")
            body = csp.with_meta(page, self.content_security_policy(header=False)).encode()
            tag = hashlib.sha256(body).hexdigest()[:16]
            if f'"{tag}"' in self.headers.get("If-None-Match", ""):
                self._send(304, b"", ".html", "no-cache", None, send_body=False, etag=f'"{tag}"')
                return
            self._send(200, body, ".html", "no-cache", None, send_body, etag=f'"{tag}"')
            return
        if etag_of(path) in self.headers.get("If-None-Match", ""):
            # Revalidation of a no-cache file (the page, its Python) that did not change.
            self._send(304, b"", path.suffix, cache_control(rel), path, send_body=False)
            return
        self._send(200, path.read_bytes(), path.suffix, cache_control(rel), path, send_body)

    def _send(
        self,
        status: int,
        body: bytes,
        suffix: str,
        cache: str,
        path: Path | None,
        send_body: bool,
        etag: str | None = None,
    ) -> None:
        encoding = None
        accepted = accepted_encodings(self.headers.get("Accept-Encoding", ""))
        siblings = [
            (enc, path.with_name(path.name + ext))
            for enc, ext in SIBLINGS
            if path is not None and path.with_name(path.name + ext).is_file()
        ]
        if status == 200:
            for enc, sibling in siblings:
                if enc in accepted:
                    body, encoding = sibling.read_bytes(), enc
                    break
            else:
                if suffix in COMPRESSIBLE and len(body) > 1024:
                    encoding = next(
                        (e for e in ("br", "gzip") if e in accepted and (e != "br" or brotli)),
                        None,
                    )
                    if encoding:
                        cached = self.compress_cache.get if path else None
                        body = cached(path, body, encoding) if cached else compress(body, encoding)
        self.send_response(status)
        self.send_header("Content-Type", MIME_TYPES.get(suffix, "application/octet-stream"))
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        if suffix in COMPRESSIBLE or siblings:
            self.send_header("Vary", "Accept-Encoding")
        if path is not None:
            self.send_header(
                "Last-Modified", email.utils.formatdate(path.stat().st_mtime, usegmt=True)
            )
            self.send_header("ETag", etag_of(path))
        elif etag:
            self.send_header("ETag", etag)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        if self.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")


class AppServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        """A browser that drops a connection (a cancelled load) is routine, not a traceback."""
        if isinstance(sys.exception(), ConnectionError):
            return
        super().handle_error(request, client_address)


def make_app_server(
    host: str,
    port: int,
    config: dict | None,
    verbose: bool,
    root: Path = ROOT,
    extra_connect: tuple[str, ...] = (),
    send_csp: bool = True,
) -> AppServer:
    handler = type(
        "BoundAppHandler",
        (AppHandler,),
        {
            "root": root,
            "config_json": json.dumps(config, indent=2).encode() if config else None,
            "extra_connect": extra_connect,
            "send_csp": send_csp,
            "verbose": verbose,
            "host_names": (host,),
        },
    )
    return AppServer((host, port), handler)


def emulator_config(app_url: str, emulator_url: str, client_id: str) -> dict:
    """The defaults the page reads from /config.json when it runs against the emulator."""
    base = json.loads((ROOT / "config.json").read_text(encoding="utf-8"))
    base.update(
        client_id=client_id,
        ilert_host=emulator_url,
        api_base=f"{emulator_url}/api",
    )
    return base


def emulator_connect_sources(emulator_url: str) -> tuple[str, ...]:
    """CSP sources for the emulator besides its origin: its tenant hosts (`demo.localhost`)."""
    parts = urlsplit(emulator_url)
    return (f"{parts.scheme}://*.{parts.hostname}:{parts.port}",)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Serve the ilert PKCE single-page app and the local ilert emulator.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port of the app (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--emulator-port",
        type=int,
        default=DEFAULT_EMULATOR_PORT,
        help=f"port of the local ilert emulator (default {DEFAULT_EMULATOR_PORT}; 0: a free one)",
    )
    parser.add_argument(
        "--no-emulator",
        action="store_true",
        help="serve only the app; it then uses config.json as it is on disk (e.g. real ilert)",
    )
    parser.add_argument(
        "--emulator-data",
        metavar="FILE",
        help="tenant data for the emulator (JSON; default: the built-in demo tenant)",
    )
    parser.add_argument(
        "--emulator-apps",
        metavar="FILE",
        help="app registrations for the emulator (JSON; default: the demo app)",
    )
    parser.add_argument(
        "--emulator-rate-limit",
        type=int,
        metavar="N",
        help="API requests per client address a minute before the emulator says 429 (default 700)",
    )
    parser.add_argument(
        "--emulator-test-controls",
        action="store_true",
        help="enable the emulator's /_emulator/ endpoints (clock, faults); for tests only",
    )
    parser.add_argument(
        "--emulator-strict-rotation",
        action="store_true",
        help="the emulator revokes a refresh token as soon as it is used (default: as ilert)",
    )
    parser.add_argument(
        "--emulator-require-redirect-uri",
        action="store_true",
        help="the emulator refuses a code exchange without redirect_uri (default: as ilert)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="serve FILE as the app's config.json (and derive the page's CSP from it), e.g. "
        "to point the app at another OAuth server; default: the emulator's, or config.json on disk",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser.parse_args(argv)


def read_config(path: str) -> dict | None:
    """The JSON object in ``path``; None (after saying why) when unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"serve.py: cannot read the config file {path}: {exc}", file=sys.stderr)
        return None
    if not isinstance(data, dict):
        print(f"serve.py: the config file {path} must hold a JSON object", file=sys.stderr)
        return None
    return data


def port_in_use(what: str, host: str, port: int, flag: str) -> int:
    print(
        f"serve.py: cannot start the {what}: port {port} on {host} is already in use "
        f"(another serve.py?). Stop that program or pick another port with {flag} N.",
        file=sys.stderr,
    )
    return 1


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    own_config = None
    if args.config:
        own_config = read_config(args.config)
        if own_config is None:
            return 1
    try:
        app_server = make_app_server(args.host, args.port, own_config, args.verbose)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return port_in_use("app", args.host, args.port, "--port")
        raise
    app_port = app_server.server_address[1]
    app_url = f"http://localhost:{app_port}/"

    emulator_handle = None
    if not args.no_emulator:
        try:
            from ilert_emulator import Emulator
        except ImportError as exc:
            app_server.server_close()
            print(
                f"serve.py: the emulator needs packages that are not installed ({exc.name}). "
                "Run: python -m pip install -e .   (or start with --no-emulator)",
                file=sys.stderr,
            )
            return 1
        kwargs: dict = {"test_controls": args.emulator_test_controls}
        kwargs["strict_rotation"] = args.emulator_strict_rotation
        kwargs["require_redirect_uri"] = args.emulator_require_redirect_uri
        if args.emulator_data:
            kwargs["data"] = args.emulator_data
        if args.emulator_apps:
            kwargs["apps"] = args.emulator_apps
        if args.emulator_rate_limit is not None:
            kwargs["rate_limit"] = args.emulator_rate_limit
        emu = Emulator(**kwargs)
        emu.add_app_url(app_url)
        try:
            emulator_handle = emu.serve(host=args.host, port=args.emulator_port)
        except OSError as exc:
            app_server.server_close()
            if exc.errno == errno.EADDRINUSE:
                return port_in_use("emulator", args.host, args.emulator_port, "--emulator-port")
            raise
        config = own_config or emulator_config(app_url, emulator_handle.url, emu.demo_client_id)
        app_server.RequestHandlerClass.config_json = json.dumps(config, indent=2).encode()
        app_server.RequestHandlerClass.extra_connect = emulator_connect_sources(emulator_handle.url)

    try:  # from here on, Ctrl-C or SIGTERM (even right after "App:" is printed) stops cleanly
        print(f"App:      {app_url}", flush=True)
        if emulator_handle is not None:
            print(
                f"Emulator: {emulator_handle.url}/  (local ilert; client id {emu.demo_client_id}, "
                "demo users: alice, juergen, ...)",
                flush=True,
            )
        print("Open the app URL in a browser. Press Ctrl-C to stop.", flush=True)
        app_server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopped.", flush=True)
    finally:
        app_server.server_close()
        if emulator_handle is not None:
            emulator_handle.stop()
    return 0


if __name__ == "__main__":
    # SIGTERM (a test fixture, a service manager) stops as quietly as Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # stopped while still starting: nothing to clean up but sockets
        sys.exit(0)
