"""Run the witness: ``python -m tests.interop.server --port 0 [options]``.

Creates a fresh sqlite database (in --data-dir, or a temporary folder deleted at the end) with
the demo user and the demo public application, prints ``Witness: <base URL>`` and serves
(Werkzeug, threaded) until SIGTERM or Ctrl-C. Listens on 127.0.0.1 only by default.

Secrets come from the environment, not the command line: WITNESS_CONTROL_TOKEN (guards the
test-only /_witness/ endpoint), WITNESS_RS_SECRET (the introspecting resource server's secret),
WITNESS_USER_PASSWORD (the demo user's password).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--data-dir", help="an existing folder for the database (default: a temporary one)"
    )
    parser.add_argument(
        "--public-host", default="127.0.0.1", help="host name in the issuer and endpoint URLs"
    )
    parser.add_argument("--client-id", default="interop-spa")
    parser.add_argument("--redirect-uri", action="append", default=[])
    parser.add_argument("--origin", action="append", default=[], help="CORS origin (repeat)")
    parser.add_argument("--username", default="alice")
    parser.add_argument(
        "--iss-parameter",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="RFC 9207 `iss` on the authorization response (default on)",
    )
    parser.add_argument(
        "--oidc", action=argparse.BooleanOptionalAction, default=True, help="OIDC discovery"
    )
    return parser.parse_args(argv)


def _rsa_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


class LazyApp:
    """The WSGI callable handed to Werkzeug before Django is set up (the port comes first:
    the issuer URL contains it)."""

    handler = None

    def __call__(self, environ: dict, start_response: object) -> object:
        return self.handler(environ, start_response)


def seed(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model

    from tests.interop.server.views import save_app

    user_model = get_user_model()
    user_model.objects.create_user(
        args.username,
        email=f"{args.username}@example.org",
        password=os.environ.get("WITNESS_USER_PASSWORD", "interop-password"),
        first_name=args.username.capitalize(),
        last_name="Witness",
    )
    save_app(
        client_id=args.client_id,
        redirect_uris=args.redirect_uri,
        origins=args.origin,
        name="Interop SPA",
    )
    rs_secret = os.environ.get("WITNESS_RS_SECRET")
    if rs_secret:
        save_app(
            client_id="interop-resource-server",
            redirect_uris=[],
            origins=[],
            name="Interop resource server",
            client_type="confidential",
            client_secret=rs_secret,
        )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    from werkzeug.serving import make_server

    lazy = LazyApp()
    server = make_server(args.host, args.port, lazy, threaded=True)
    port = server.socket.getsockname()[1]
    base_url = f"http://{args.public_host}:{port}"
    with contextlib.ExitStack() as stack:
        data_dir = args.data_dir or stack.enter_context(
            tempfile.TemporaryDirectory(prefix="interop-witness-")
        )
        os.environ.update(
            DJANGO_SETTINGS_MODULE="tests.interop.server.settings",
            WITNESS_ISSUER=base_url,
            WITNESS_DATA_DIR=data_dir,
            WITNESS_CORS_ORIGINS=json.dumps(args.origin),
            WITNESS_ISS_PARAMETER="1" if args.iss_parameter else "0",
        )
        if args.oidc:
            os.environ["WITNESS_OIDC_KEY"] = _rsa_key_pem()
        import django
        from django.core.management import call_command
        from django.core.wsgi import get_wsgi_application

        django.setup()
        call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
        seed(args)
        lazy.handler = get_wsgi_application()
        print(f"Witness: {base_url}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return 0


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    sys.exit(main())
