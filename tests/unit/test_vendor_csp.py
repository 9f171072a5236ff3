"""scripts/csp.py: the page's Content-Security-Policy and the committed <meta> tag."""

from __future__ import annotations

import json

from scripts import csp
from tests.serving import ROOT

PAGE = '<head>\n  <meta charset="utf-8">\n  <style>p { color: red }</style>\n</head>'


def directive(policy: str, name: str) -> list[str]:
    return next(d for d in policy.split("; ") if d.split()[0] == name).split()[1:]


def test_committed_meta_is_fresh() -> None:
    assert (ROOT / "index.html").read_text(encoding="utf-8") == csp.expected_index(), (
        "index.html's CSP is stale: run python3 scripts/csp.py"
    )


def test_staleness_is_detected(tmp_path) -> None:
    index, config = tmp_path / "index.html", tmp_path / "config.json"
    config.write_text(json.dumps({"api_base": "https://api.ilert.com/api"}))
    index.write_text(csp.with_meta(PAGE, csp.policy(PAGE, json.loads(config.read_text()))))
    assert csp.expected_index(index, config) == index.read_text()
    config.write_text(json.dumps({"api_base": "https://api.example.org/api"}))
    assert csp.expected_index(index, config) != index.read_text()
    index.write_text(index.read_text().replace("red", "blue"))  # the inline style changed
    config.write_text(json.dumps({"api_base": "https://api.ilert.com/api"}))
    assert csp.expected_index(index, config) != index.read_text()


def test_connect_src_is_the_configs_origins_and_allowed_origins() -> None:
    config = {
        "ilert_host": "https://app.ilert.com/",
        "tenant": "acme",
        "api_base": "https://user:pw@API.ilert.com:443/api",
        "token_url": "https://idp.example.net/oauth/token",
        "scope": "profile https://not-a-field-with-an-address",
        "allowed_origins": ["https://auth.example.org/path", "javascript:alert(1)", 7],
    }
    assert directive(csp.policy(PAGE, config), "connect-src") == [
        "'self'",
        "https://app.ilert.com",
        "https://acme.ilert.com",
        "https://api.ilert.com",
        "https://idp.example.net",
        "https://auth.example.org",
    ]
    extra = csp.policy(PAGE, {"api_base": "http://localhost:4598/api"}, ["http://*.localhost:4598"])
    assert directive(extra, "connect-src") == [
        "'self'",
        "http://localhost:4598",
        "http://*.localhost:4598",
    ]


def test_strict_directives_and_the_style_hash() -> None:
    meta = csp.policy(PAGE, {})
    header = csp.policy(PAGE, {}, header=True)
    assert directive(meta, "default-src") == ["'none'"]
    assert directive(meta, "object-src") == ["'none'"]
    assert directive(meta, "base-uri") == ["'none'"]
    assert directive(meta, "script-src") == ["'self'", "'unsafe-eval'", "'wasm-unsafe-eval'"]
    # sha256 of "p { color: red }", as `openssl dgst -sha256 -binary | base64` gives it.
    assert directive(meta, "style-src") == [
        "'self'",
        "'sha256-" + csp.style_hashes("<style>p { color: red }</style>")[0][8:],
    ]
    assert "unsafe-inline" not in header
    assert "frame-ancestors" not in meta  # ignored in <meta>; header only
    assert header == meta + "; frame-ancestors 'none'"


def test_meta_goes_first_in_head() -> None:
    page = csp.with_meta(PAGE, "default-src 'none'")
    assert page.index("Content-Security-Policy") < page.index("<style>")
    assert csp.with_meta(page, "x").count("Content-Security-Policy") == 1


def test_the_app_reads_the_policy_scripts_csp_writes() -> None:
    # app.core.page_policy tells a request the page's CSP blocked from one that got no answer
    # (issue 20, item 13); it must agree with the policy scripts/csp.py and serve.py write.
    from app.core.page_policy import connect_allowed

    page = "<html><head><style>p{}</style></head></html>"
    config = {
        "ilert_host": "https://app.ilert.com",
        "tenant": "acme",
        "api_base": "https://api.ilert.com/api",
        "allowed_origins": ["https://auth.example.org:8443"],
    }
    value = csp.policy(page, config, ["http://*.localhost:4598"], header=True)
    here = "https://app.example.net/ilert/"
    for url in (
        "https://app.example.net/static/app.zip",  # 'self'
        "https://api.ilert.com/api/developers/oauth2/token",
        "https://acme.ilert.com/x",
        "https://auth.example.org:8443/token",
        "http://demo.localhost:4598/api/users/current",
    ):
        assert connect_allowed(value, url, here), url
    for url in (
        "https://evil.example/token",
        "https://api.ilert.com:444/api",  # another port
        "http://api.ilert.com/api",  # another scheme
        "https://auth.example.org/token",  # the default port is not 8443
        "https://app.example.net.evil.example/",
        "http://localhost:4598/api",  # *.localhost names subdomains only
        "https://x.api.ilert.com/",
    ):
        assert not connect_allowed(value, url, here), url
    assert connect_allowed("", "https://any.example/", here)  # no policy, no limit
    assert connect_allowed("default-src https:", "https://any.example/", here)
    assert not connect_allowed("default-src 'none'", "https://any.example/", here)
    assert not connect_allowed("connect-src 'none'", here, here)
