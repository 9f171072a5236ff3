"""Run the emulator alone: ``python -m ilert_emulator [--port 4598] ...``."""

from __future__ import annotations

import argparse
import errno
import sys
import threading

from .ratelimit import DEFAULT_LIMIT
from .server import Emulator

DEFAULT_PORT = 4598


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ilert_emulator",
        description="A local ilert: OAuth2 (authorization code + PKCE) and REST API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default %(default)s)")
    parser.add_argument(
        "--app-url",
        action="append",
        default=[],
        metavar="URL",
        help="register URL as a redirect URI (and its origin) for the demo app; repeatable",
    )
    parser.add_argument("--data", metavar="FILE", help="tenant data JSON (default: demo tenant)")
    parser.add_argument("--apps", metavar="FILE", help="app registrations JSON")
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help="API requests per minute and client (default %(default)s)",
    )
    parser.add_argument(
        "--test-controls", action="store_true", help="enable the /_emulator/ admin endpoints"
    )
    parser.add_argument(
        "--strict-rotation",
        action="store_true",
        help="revoke a refresh token as soon as it is used (default: as ilert documents, "
        "older refresh tokens stay valid, at most 10 per app and user)",
    )
    parser.add_argument(
        "--require-redirect-uri",
        action="store_true",
        help="refuse a code exchange without redirect_uri (default: optional, as in ilert's "
        "guide, but it must match when sent)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        emu = Emulator(
            data=args.data,
            apps=args.apps,
            rate_limit=args.rate_limit,
            test_controls=args.test_controls,
            strict_rotation=args.strict_rotation,
            require_redirect_uri=args.require_redirect_uri,
        )
        for url in args.app_url:
            emu.add_app_url(url)
    except (OSError, ValueError) as exc:
        print(f"ilert emulator: cannot start: {exc}", file=sys.stderr)
        return 2
    try:
        handle = emu.serve(host=args.host, port=args.port, log=not args.quiet)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(
                f"ilert emulator: port {args.port} on {args.host} is already in use "
                "(choose another with --port)",
                file=sys.stderr,
            )
        else:
            print(
                f"ilert emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
            )
        return 1
    tenant = emu.state.tenant["name"]
    print(f"ilert emulator running at {handle.url}  (tenant host {handle.tenant_url()})")
    print(f"demo app client_id: {emu.demo_client_id}")
    if args.test_controls:
        print(f"test controls enabled at {handle.url}/_emulator/")
    for flag, on in (
        ("--strict-rotation", args.strict_rotation),
        ("--require-redirect-uri", args.require_redirect_uri),
    ):
        if on:
            print(f"mode: {flag}")
    print(f"tenant: {tenant}. Press Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nilert emulator: stopping", file=sys.stderr)
    finally:
        handle.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
