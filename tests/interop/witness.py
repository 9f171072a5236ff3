"""Start and drive the interop witness: django-oauth-toolkit on ilert's paths, in a subprocess.

``start_witness()`` runs ``python -m tests.interop.server`` on 127.0.0.1 and a free port and
returns a ``WitnessServer``; ``HttpUser`` signs in and answers the consent page over plain HTTP
(cookies kept, redirects followed by hand so the final redirect to the client is returned, not
followed). See README.md in this folder.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import select
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path

from tests.serving import stop_process

ROOT = Path(__file__).resolve().parents[2]
OAUTH_PATH = "/api/developers/oauth2"
START_TIMEOUT_S = 60


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def request(
    url: str,
    *,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
    opener: urllib.request.OpenerDirector | None = None,
) -> HttpResult:
    """One HTTP request, no redirect followed; any status is returned, not raised."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    opener = opener or urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=15) as resp:
            status, raw_headers, content = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        status, raw_headers, content = err.code, err.headers, err.read()
    return HttpResult(status, {k.lower(): v for k, v in raw_headers.items()}, content)


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) per RFC 7636, written here so the witness's tests do not
    depend on the app's own PKCE code."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class WitnessServer:
    """A running witness. URLs have no trailing slash."""

    proc: subprocess.Popen
    base_url: str  # http://127.0.0.1:PORT; also the issuer
    client_id: str  # the demo public PKCE client
    redirect_uris: list[str]
    username: str
    password: str
    rs_client_id: str  # a confidential client that may call the introspection endpoint
    rs_client_secret: str
    control_token: str = field(repr=False)
    log_path: Path = field(repr=False)

    @property
    def issuer(self) -> str:
        return self.base_url

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}{OAUTH_PATH}/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}{OAUTH_PATH}/token"

    @property
    def revoke_url(self) -> str:
        return f"{self.base_url}{OAUTH_PATH}/revoke"

    @property
    def introspection_url(self) -> str:
        return f"{self.base_url}{OAUTH_PATH}/introspect"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api"

    @property
    def profile_url(self) -> str:
        return f"{self.base_url}/api/users/current"

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/.well-known/oauth-authorization-server"

    @property
    def openid_configuration_url(self) -> str:
        return f"{self.base_url}/.well-known/openid-configuration"

    @property
    def login_url(self) -> str:
        return f"{self.base_url}/accounts/login/"

    @property
    def endpoints(self) -> dict[str, str]:
        """Everything a client configuration names, by role (for an app's custom-server
        settings): authorize, token, revoke, introspection, api_base, issuer."""
        return {
            "authorize": self.authorize_url,
            "token": self.token_url,
            "revoke": self.revoke_url,
            "introspection": self.introspection_url,
            "api_base": self.api_base,
            "issuer": self.issuer,
        }

    def register_client(
        self,
        redirect_uris: str | list[str],
        origins: str | list[str] | None = None,
        client_id: str | None = None,
        skip_authorization: bool = False,
        require_redirect_uri: bool = True,
    ) -> str:
        """Create (or replace) a public PKCE client for an app; returns its client_id.

        ``origins`` (CORS) default to the redirect URIs' origins. ``client_id`` defaults to a
        new random one; pass ``self.client_id`` to re-point the demo client.
        ``require_redirect_uri``: see ``registered_uris``.
        """
        uris = [redirect_uris] if isinstance(redirect_uris, str) else list(redirect_uris)
        uris = registered_uris(uris, require_redirect_uri)
        if origins is None:
            origins = sorted({origin_of(u) for u in uris})
        elif isinstance(origins, str):
            origins = [origins]
        client_id = client_id or f"interop-{secrets.token_hex(4)}"
        payload = {
            "client_id": client_id,
            "redirect_uris": uris,
            "origins": list(origins),
            "skip_authorization": skip_authorization,
        }
        req = urllib.request.Request(
            f"{self.base_url}/_witness/clients",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "X-Witness-Control": self.control_token},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=15) as resp:
            return json.loads(resp.read())["client_id"]

    def authorize_request_url(self, **params: str) -> str:
        """The authorize URL with ``params`` (client_id defaults to the demo client)."""
        params.setdefault("client_id", self.client_id)
        params.setdefault("response_type", "code")
        return f"{self.authorize_url}?{urllib.parse.urlencode(params)}"

    def token(self, **fields: str) -> HttpResult:
        return request(self.token_url, data=fields, headers={"Accept": "application/json"})

    def revoke(self, **fields: str) -> HttpResult:
        return request(self.revoke_url, data=fields)

    def introspect(self, token: str) -> dict:
        """RFC 7662 introspection as the confidential resource server (HTTP Basic)."""
        basic = base64.b64encode(f"{self.rs_client_id}:{self.rs_client_secret}".encode()).decode()
        result = request(
            self.introspection_url,
            data={"token": token},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert result.status == 200, (result.status, result.body)
        return result.json()  # type: ignore[return-value]

    def log(self) -> str:
        """What the server wrote to stderr so far (request log, errors)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        stop_process(self.proc)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        shutil.rmtree(self.log_path.parent, ignore_errors=True)  # the database and the log


SECOND_REDIRECT_PATH = "/interop-witness-second-redirect-uri"


def registered_uris(uris: list[str], require_redirect_uri: bool) -> list[str]:
    """The redirect URIs to register for a client.

    DOT (oauthlib) applies RFC 6749 §4.1.3 through its default redirect URI: a token request
    without ``redirect_uri`` is accepted when the client has exactly one registered URI, and
    refused (400 invalid_request "Missing redirect URI.") when it has several. With
    ``require_redirect_uri`` a second, never used URI on the same origin is registered, so
    the exchange must carry the authorize request's ``redirect_uri``.
    """
    if require_redirect_uri and len(uris) == 1:
        return [*uris, origin_of(uris[0]) + SECOND_REDIRECT_PATH]
    return uris


def origin_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def start_witness(
    *,
    redirect_uris: list[str] | tuple[str, ...] = (),
    origins: list[str] | tuple[str, ...] = (),
    client_id: str = "interop-spa",
    username: str = "alice",
    require_redirect_uri: bool = True,
    iss_parameter: bool = True,
    oidc: bool = True,
    public_host: str = "127.0.0.1",
) -> WitnessServer:
    """Start the witness on 127.0.0.1 and a free port; returns once it answers.

    ``redirect_uris``/``origins`` register the demo public client ``client_id`` (origins
    default to the redirect URIs' origins); ``require_redirect_uri``: see ``registered_uris``;
    ``iss_parameter``: RFC 9207 ``iss`` on authorization responses; ``oidc``: serve
    ``/.well-known/openid-configuration``; ``public_host``: host name in the issuer and URLs.
    """
    password = secrets.token_urlsafe(12)
    control_token = secrets.token_urlsafe(24)
    rs_secret = secrets.token_urlsafe(24)
    data_dir = Path(tempfile.mkdtemp(prefix="interop-witness-"))
    log_path = data_dir / "stderr.log"
    cmd = [
        sys.executable,
        "-m",
        "tests.interop.server",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        "--public-host",
        public_host,
        "--client-id",
        client_id,
        "--username",
        username,
        "--iss-parameter" if iss_parameter else "--no-iss-parameter",
        "--oidc" if oidc else "--no-oidc",
    ]
    for uri in registered_uris(list(redirect_uris), require_redirect_uri):
        cmd += ["--redirect-uri", uri]
    for origin in origins or sorted({origin_of(u) for u in redirect_uris}):
        cmd += ["--origin", origin]
    env = {
        **os.environ,
        "WITNESS_CONTROL_TOKEN": control_token,
        "WITNESS_RS_SECRET": rs_secret,
        "WITNESS_USER_PASSWORD": password,
    }
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True
        )
    assert proc.stdout is not None
    # "Witness: URL" comes once the database is ready and the socket listens.
    ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT_S)
    line = proc.stdout.readline() if ready else "(no answer in time)\n"
    if not line.startswith("Witness: "):
        proc.kill()
        proc.wait()
        proc.stdout.close()
        log = log_path.read_text(errors="replace")
        shutil.rmtree(data_dir, ignore_errors=True)
        raise RuntimeError(f"witness did not start:\n{line}{log}")
    return WitnessServer(
        proc=proc,
        base_url=line.split()[1],
        client_id=client_id,
        redirect_uris=list(redirect_uris),
        username=username,
        password=password,
        rs_client_id="interop-resource-server",
        rs_client_secret=rs_secret,
        control_token=control_token,
        log_path=log_path,
    )


class _Forms(HTMLParser):
    """A page's forms: [{"action": str, "fields": {name: value}, "submits": [(name, value)]}]."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": {}, "submits": []})
        elif tag in ("input", "button") and self.forms:
            kind = a.get("type", "submit" if tag == "button" else "text")
            if kind == "submit":
                self.forms[-1]["submits"].append((a.get("name", ""), a.get("value", "")))
            elif a.get("name"):
                self.forms[-1]["fields"][a["name"]] = a.get("value", "")


class HttpUser:
    """A user agent without JavaScript: keeps the witness's cookies, fills its forms."""

    def __init__(self, server: WitnessServer) -> None:
        self.server = server
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            _NoRedirect, urllib.request.HTTPCookieProcessor(self.jar)
        )
        self.pages: list[tuple[str, HttpResult]] = []  # every page seen, for assertions

    def get(self, url: str) -> HttpResult:
        result = request(url, opener=self.opener)
        self.pages.append((url, result))
        return result

    def submit(self, url: str, fields: dict[str, str]) -> HttpResult:
        result = request(url, data=fields, opener=self.opener, headers={"Referer": url})
        self.pages.append((url, result))
        return result

    def follow(self, url: str, result: HttpResult) -> tuple[str, HttpResult]:
        """Follow redirects while they stay on the witness; returns the last (url, result):
        a page, or a redirect that leaves the witness (to the client)."""
        while result.status in (301, 302, 303, 307, 308):
            target = urllib.parse.urljoin(url, result.location)
            if origin_of(target) != self.server.base_url:
                return url, result
            url, result = target, self.get(target)
        return url, result

    @staticmethod
    def forms(result: HttpResult) -> list[dict]:
        parser = _Forms()
        parser.feed(result.body.decode("utf-8", "replace"))
        return parser.forms

    def log_in(
        self, url: str, result: HttpResult, password: str | None = None
    ) -> tuple[str, HttpResult]:
        form = self.forms(result)[0]
        fields = dict(form["fields"])
        fields.update(username=self.server.username, password=password or self.server.password)
        action = urllib.parse.urljoin(url, form["action"] or url)
        return self.follow(action, self.submit(action, fields))

    def consent(self, url: str, result: HttpResult, allow: bool) -> HttpResult:
        """Press Authorize (``allow``) or Cancel on DOT's consent page; returns the redirect."""
        form = self.forms(result)[0]
        fields = dict(form["fields"])
        if allow:
            fields["allow"] = "Authorize"  # the named submit button; Cancel has no name
        action = urllib.parse.urljoin(url, form["action"] or url)
        return self.follow(action, self.submit(action, fields))[1]

    def authorize(self, allow: bool = True, **params: str) -> HttpResult:
        """Run an authorize request through login and consent; returns the witness's final
        answer: a redirect to the client (its ``location`` carries code/state/iss or error), or
        an error page."""
        url = self.server.authorize_request_url(**params)
        url, result = self.follow(url, self.get(url))
        if result.status == 200 and url.startswith(self.server.login_url):
            url, result = self.log_in(url, result)
        on_consent = result.status == 200 and url.startswith(self.server.authorize_url)
        if on_consent and any(name == "allow" for name, _ in self.forms(result)[0]["submits"]):
            return self.consent(url, result, allow)
        return result


def query_of(location: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


# Selectors of the witness's pages, for Playwright tests.
LOGIN_USERNAME = "#login-form input[name=username]"
LOGIN_PASSWORD = "#login-form input[name=password]"
LOGIN_SUBMIT = "#login-form button[name=login]"
CONSENT_ALLOW = "#authorizationForm input[name=allow]"
CONSENT_DENY = "#authorizationForm input[type=submit][value=Cancel]"


def sign_in_page(page: object, server: WitnessServer, allow: bool = True) -> None:
    """In a Playwright ``page`` that is on its way to the witness's authorize endpoint: log
    in if asked, then press Authorize (``allow``) or Cancel. Returns once the click is done;
    the witness then redirects the page to the client (wait for that URL yourself)."""
    page.wait_for_url(f"{server.base_url}/**")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]
    if page.url.startswith(server.login_url):  # type: ignore[attr-defined]
        page.fill(LOGIN_USERNAME, server.username)  # type: ignore[attr-defined]
        page.fill(LOGIN_PASSWORD, server.password)  # type: ignore[attr-defined]
        page.click(LOGIN_SUBMIT)  # type: ignore[attr-defined]
        page.wait_for_url(f"{server.authorize_url}?**")  # type: ignore[attr-defined]
    page.click(CONSENT_ALLOW if allow else CONSENT_DENY)  # type: ignore[attr-defined]
