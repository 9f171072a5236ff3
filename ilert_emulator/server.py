"""The Emulator: state, Python test API, WSGI dispatch and the background server.

One ``threading.RLock`` guards all state; a request holds it while it is handled (handlers
only touch memory, so this costs nothing). It is never held while the network is read: the
request body is read completely first (``bodies.preload``), and injected hangs wait outside.

Hosts: ``localhost``, ``127.0.0.1``, ``app.localhost`` and ``api.localhost`` are ilert's
generic hosts (``app.ilert.com``/``api.ilert.com``); ``TENANT.localhost`` is the tenant's host
and any other ``*.localhost`` label is refused (an error page for the browser pages, a 404
JSON body for the APIs).

The handler modules never see this class: request handlers get a ``context.RequestContext``
(built per request, under the lock) and the test controls (``admin``) the Emulator as a
``context.Controls``, so none of them imports this module (tests/emulator/test_emu_imports.py).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import replace
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import admin, api, authorize, cors, hosts, oauth, pages
from .bodies import BodyError, EmulatorRequest, preload
from .clock import Clock
from .context import RequestContext
from .faults import ENDPOINTS, Fault, Faults
from .handle import ServerHandle
from .ratelimit import DEFAULT_LIMIT, RateLimiter
from .responses import api_error, html_response, json_response, oauth_error
from .state import Modes, State
from .store import (
    DEFAULT_APPS,
    DEFAULT_DATA,
    Source,
    load_apps,
    load_tenant,
    loopback_twin,
    origin_of,
    read_json,
)
from .tokens import TokenService

DEMO_CLIENT_ID = "ilert-pkce-demo"
OAUTH_PREFIX = "/api/developers/oauth2/"
GENERIC_LABELS = ("app", "api")  # app.ilert.com and api.ilert.com


def tenant_label(host: str) -> str | None:
    """``demo.localhost:4598`` -> ``demo``; None for the generic hosts."""
    if host.startswith("["):  # IPv6 literal
        return None
    name = host.rsplit(":", 1)[0].lower().rstrip(".")
    if not name.endswith(".localhost"):
        return None
    label = name[: -len(".localhost")]
    return None if label in GENERIC_LABELS else label


class Emulator:
    """A local ilert: tenant data, apps, OAuth2 endpoints, REST API and test controls."""

    def __init__(
        self,
        data: Source = None,
        apps: Source = None,
        rate_limit: int = DEFAULT_LIMIT,
        test_controls: bool = False,
        strict_rotation: bool = False,
        require_redirect_uri: bool = False,
    ) -> None:
        self._default_modes = Modes(bool(strict_rotation), bool(require_redirect_uri))
        self.modes = replace(self._default_modes)
        self._data_source = read_json(data, DEFAULT_DATA)
        self._apps_source = read_json(apps, DEFAULT_APPS)
        self._rate_limit = int(rate_limit)
        self._app_urls: list[tuple[str, str]] = []  # (client_id, url) added by add_app_url
        self.test_controls = test_controls
        self.host_names: tuple[str, ...] = ()  # besides the loopback names (serve())
        self.lock = threading.RLock()
        self.clock = Clock()
        self.tokens = TokenService(self.clock)
        self.faults = Faults()
        self.rate_limiter = RateLimiter(self.clock, self._rate_limit)
        self.state = self._fresh_state()
        ids = list(self.state.apps)
        self.demo_client_id: str = DEMO_CLIENT_ID if DEMO_CLIENT_ID in ids else ids[0]

    def _fresh_state(self) -> State:
        apps = load_apps(self._apps_source)
        if not apps:
            raise ValueError("at least one app must be registered")
        for client_id, url in self._app_urls:
            apps[client_id].add_url(url)
        return State(load_tenant(self._data_source, self.clock.now()), apps)

    def _context(self) -> RequestContext:
        """What a request handler may touch (see ``context``); call with the lock held."""
        return RequestContext(self.state, self.clock, self.tokens, self.modes, self.rate_limiter)

    # -- Python test API -------------------------------------------------------------------
    def add_app_url(self, url: str, client_id: str | None = None, keep: bool = True) -> None:
        """Register ``url`` (and its localhost/127.0.0.1 twin) as a redirect URI and origin.

        ``keep``: kept across ``reset()``, as it describes where the app is really served
        (serve.py, ``--app-url``). The test-control endpoint registers with ``keep=False``:
        what a test adds, reset takes away again.
        """
        client_id = client_id or self.demo_client_id
        origin_of(url)  # validates
        urls = [url] + [t for t in [loopback_twin(url)] if t]
        with self.lock:
            if client_id not in self.state.apps:
                raise ValueError(f"unknown client_id {client_id!r}")
            for item in urls:
                if keep and (client_id, item) not in self._app_urls:
                    self._app_urls.append((client_id, item))
                self.state.apps[client_id].add_url(item)

    def revoke_grants(
        self, username: str, client_id: str | None = None, access_tokens: bool = False
    ) -> int:
        """Revoke a user's grants as ilert's UI does: refresh tokens die at once; with
        ``access_tokens`` live access tokens are rejected too. Returns how many were revoked."""
        with self.lock:
            return self.tokens.revoke_grants(username, client_id, access_tokens)

    def set_modes(
        self, strict_rotation: bool | None = None, require_redirect_uri: bool | None = None
    ) -> Modes:
        """Switch modes at run time (None leaves one as it is); ``reset()`` restores the
        modes the emulator was started with."""
        with self.lock:
            if strict_rotation is not None:
                self.modes.strict_rotation = bool(strict_rotation)
            if require_redirect_uri is not None:
                self.modes.require_redirect_uri = bool(require_redirect_uri)
            return replace(self.modes)

    def set_rate_limit(self, limit: int) -> None:
        self.rate_limiter.set_limit(limit)

    def set_data(self, data: dict[str, Any]) -> None:
        """Replace the tenant data (until ``reset()``)."""
        with self.lock:
            self.state.data = load_tenant(data, self.clock.now())

    def reset(self) -> None:
        """Back to the initial data, clock, tokens, faults, rate limit and modes."""
        self.faults.clear()
        with self.lock:
            self.modes = replace(self._default_modes)
            self.clock.reset()
            self.tokens.clear()
            self.rate_limiter.reset(self._rate_limit)
            self.state = self._fresh_state()

    def issue_code(
        self,
        client_id: str,
        redirect_uri: str,
        scope: str,
        code_challenge: str | None,
        username: str = "alice",
        state: str | None = None,
    ) -> str:
        """What Approve would produce, without the pages. ValueError for an invalid request."""
        args = MultiDict(
            {"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code"}
        )
        args["scope"] = scope
        if code_challenge is not None:
            args["code_challenge"] = code_challenge
            args["code_challenge_method"] = "S256"
        if state is not None:
            args["state"] = state
        with self.lock:
            try:
                auth = oauth.validate_authorize(self.state.apps, args)
            except (oauth.PageError, oauth.RedirectError) as exc:
                raise ValueError(str(exc)) from exc
            user = self.state.user(username)
            if user is None:
                raise ValueError(f"unknown user {username!r}")
            return oauth.issue_code(self._context(), auth, str(user["username"]))

    def serve(self, host: str = "127.0.0.1", port: int = 0, log: bool = False) -> ServerHandle:
        """Serve in a background thread; ``port=0`` picks a free port. OSError if busy."""
        handler = WSGIRequestHandler if log else _QuietHandler
        self.host_names = (*self.host_names, host)  # the name it was asked to listen on
        # Bind the socket ourselves: Werkzeug prints and calls sys.exit() when a port is busy,
        # and callers want a plain OSError (EADDRINUSE) instead.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(128)
            server = make_server(
                host, port, self, threaded=True, request_handler=handler, fd=sock.fileno()
            )  # Werkzeug keeps a duplicate of the descriptor
        # Don't wait for keep-alive connections (browsers hold them open) on close.
        server.block_on_close = False  # type: ignore[attr-defined]
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"ilert-emulator:{server.port}",
            daemon=True,
        )
        thread.start()
        return ServerHandle(server, thread, self)

    # -- WSGI ---------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = EmulatorRequest(environ)
        try:
            response = self.dispatch(request)
        except DropConnection:
            _drop(environ)
            # Werkzeug treats a ConnectionError as "the client went away": nothing is sent.
            raise ConnectionAbortedError("injected fault: connection dropped") from None
        return response(environ, start_response)

    def _our_host(self, request: Request) -> bool:
        """The Host header names this server (DNS rebinding: see ``hosts``)."""
        environ = request.environ
        try:
            port = int(environ.get("SERVER_PORT", "80"))
        except ValueError:
            return False
        names = (*self.host_names, str(environ.get("SERVER_NAME", "")))
        return hosts.host_allowed(environ.get("HTTP_HOST"), port, names, any_localhost=True)

    def dispatch(self, request: Request) -> Response:
        """The response to ``request``; raises DropConnection when a fault says so."""
        if not self._our_host(request):
            return Response(
                hosts.REFUSED_BODY, hosts.REFUSED_STATUS, content_type="text/plain; charset=utf-8"
            )
        path = request.path
        if path.startswith("/_emulator/") or path == "/_emulator":
            if not self.test_controls:
                return api_error(404, "Not found")
            return admin.handle(self, request)
        endpoint = _endpoint(path)
        with_cors = endpoint in ("token", "token_info", "revoke", "api")
        if with_cors and cors.is_preflight(request):
            with self.lock:
                allowed = self.state.allowed_origins()
            return cors.preflight(request, allowed)
        try:
            preload(request)  # the body arrives at the client's pace: before the lock
        except BodyError as exc:
            response = _body_error(endpoint, exc)
            if with_cors:
                with self.lock:
                    allowed = self.state.allowed_origins()
                cors.decorate(response, request, allowed)
            return response
        response = None
        fault = self.faults.take(endpoint) if endpoint in ENDPOINTS else None
        if fault is not None and not fault.after_work:
            self.faults.wait(fault.hang)  # outside the lock: other requests go on
            if fault.drop:
                raise DropConnection
            if fault.fails:
                response = _fault_response(endpoint, fault)
        with self.lock:
            if response is None:
                response = self._route(request, endpoint)
            allowed = self.state.allowed_origins()
        if fault is not None and fault.after_work:
            # The work is done (and kept); only its answer is lost.
            self.faults.wait(fault.hang)
            if fault.drop:
                raise DropConnection
            response = _fault_response(endpoint, fault)
        if with_cors:
            cors.decorate(response, request, allowed)
        return response

    def _route(self, request: Request, endpoint: str | None) -> Response:
        label = tenant_label(request.host)
        if label is not None and label != self.state.tenant["name"]:
            message = f"There is no ilert account {label!r} here."
            if endpoint in ("authorize", "pages", "index"):
                return html_response(pages.error_page("Unknown account", message), 404)
            return api_error(404, message)
        method = request.method
        if endpoint == "api":
            return api.handle(self._context(), request)
        if endpoint == "index" and method in ("GET", "HEAD"):
            return html_response(
                pages.index_page(
                    tenant=self.state.tenant["name"],
                    url=request.host_url.rstrip("/"),
                    apps=[(a.client_id, a.name) for a in self.state.apps.values()],
                )
            )
        handlers = {
            ("authorize", "GET"): authorize.authorize,
            ("token", "POST"): oauth.token,
            ("token_info", "POST"): oauth.token_info,
            ("revoke", "POST"): oauth.revoke,
        }
        pages_handlers = {
            ("login", "GET"): authorize.login_get,
            ("login", "POST"): authorize.login_post,
            ("consent", "GET"): authorize.consent_get,
            ("consent", "POST"): authorize.consent_post,
            ("logout", "POST"): authorize.logout_post,
        }
        if endpoint == "pages":
            name = request.path[len(OAUTH_PREFIX) :]
            handler = pages_handlers.get((name, method))
        else:
            handler = handlers.get((endpoint or "", method))
        if handler is not None:
            return handler(self._context(), request)
        if endpoint in ("token", "token_info", "revoke"):
            return oauth_error("invalid_request", f"{method} is not allowed here", 405)
        if endpoint in ("authorize", "pages"):
            return html_response(pages.error_page("Not allowed", f"{method} is not allowed."), 405)
        return api_error(404, "Not found")


def _endpoint(path: str) -> str | None:
    if path.startswith(OAUTH_PREFIX):
        name = path[len(OAUTH_PREFIX) :]
        if name in ("authorize", "token", "token_info", "revoke"):
            return name
        if name in ("login", "consent", "logout"):
            return "pages"
        return "api"  # other developer paths: API rules (401/404)
    if path == "/api" or path.startswith("/api/"):
        return "api"
    if path == "/":
        return "index"
    return None


def _body_error(endpoint: str | None, exc: BodyError) -> Response:
    if endpoint in ("token", "token_info", "revoke"):
        return oauth_error("invalid_request", exc.message, exc.status)
    if endpoint in ("authorize", "pages", "index"):
        return html_response(pages.error_page("Request refused", exc.message), exc.status)
    return api_error(exc.status, exc.message)


class DropConnection(Exception):
    """Raised by ``dispatch`` to close the connection without any HTTP answer."""


def _drop(environ: dict[str, Any]) -> None:
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # already gone
            sock.shutdown(socket.SHUT_RDWR)


def _fault_response(endpoint: str | None, fault: Fault) -> Response:
    status = fault.status if fault.status is not None else 500
    if fault.body is not None:
        content_type = fault.content_type or (
            "text/html; charset=utf-8"
            if fault.body.lstrip().startswith("<")
            else "application/json"
        )
        return Response(fault.body, status=status, content_type=content_type)
    if endpoint == "api":
        response = api_error(status, "Injected fault")
    elif endpoint == "authorize":
        response = html_response(pages.error_page("Server error", "Injected fault"), status)
    else:
        code = "server_error" if status >= 500 else "invalid_request"
        response = oauth_error(code, "Injected fault", status)
    if fault.content_type:
        response.headers["Content-Type"] = fault.content_type
    return response


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Tests make thousands of requests; don't log each one."""


__all__ = ["Emulator", "ServerHandle", "json_response"]
