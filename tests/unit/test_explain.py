"""Golden test of the plain-language errors: every error the page and the terminal client can
explain, each variant that words it differently, for ilert and for another server.

tests/unit/explain_expected.json holds what ``explain(exc, server)`` gave (every field of the
Explanation) when it was written; a change of wording shows up here as a diff of that file.
After a deliberate change of wording, rewrite it and review the diff:

    python3 -m tests.unit.test_explain --write
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import pkgutil
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import app
import ilert_pkce
from app.core import errors
from app.core.discovery import MetadataNotFound
from app.core.errors import (
    AttemptNotStored,
    IgnoredCallback,
    IssuerMismatch,
    IssuerMissing,
    StorageRefused,
)
from app.core.explain import explain, registered
from app.core.urls import SettingsError
from ilert_pkce import messages
from ilert_pkce.loopback import CallbackTimeout, ListenFailed, PortInUse
from ilert_pkce.store import StoreFailed

EXPECTED = Path(__file__).with_name("explain_expected.json")
SERVERS = ("ilert", "auth.example.org")  # ilert's words, and another server's name

# name -> a function building the sample (fresh each time: exceptions carry state)
SAMPLES: dict[str, Callable[[], BaseException]] = {
    # the redirect back
    "CallbackError": lambda: errors.CallbackError("x"),
    "SignInCancelled closed": lambda: errors.SignInCancelled("closed"),
    "SignInCancelled timeout": lambda: errors.SignInCancelled("timeout"),
    "ConsentDenied": lambda: errors.ConsentDenied(),
    "ConsentDenied described": lambda: errors.ConsentDenied("the user said no"),
    "AuthorizationError described": lambda: errors.AuthorizationError(
        "invalid_scope", "<img src=x> bad scope"
    ),
    "AuthorizationError bare": lambda: errors.AuthorizationError("server_error"),
    "StateMissing": lambda: errors.StateMissing(),
    "StateMismatch": lambda: errors.StateMismatch(),
    "MissingVerifier": lambda: errors.MissingVerifier(),
    "CallbackReplayed": lambda: errors.CallbackReplayed(),
    "AttemptExpired": lambda: errors.AttemptExpired(),
    "IgnoredCallback no_state": lambda: IgnoredCallback("no_state"),
    "IgnoredCallback unknown_state": lambda: IgnoredCallback("unknown_state"),
    "IssuerMismatch expected": lambda: IssuerMismatch(
        "https://evil.example", "https://auth.example.org"
    ),
    "IssuerMismatch none configured": lambda: IssuerMismatch("https://evil.example", ""),
    "IssuerMismatch long": lambda: IssuerMismatch("https://" + "e" * 300, "https://a.example"),
    "IssuerMismatch 200": lambda: IssuerMismatch("x" * 200, "https://a.example"),
    "IssuerMissing": lambda: IssuerMissing("https://auth.example.org"),
    # no answer
    "NetworkError": lambda: errors.NetworkError("http://x", "refused"),
    "NetworkError bare": lambda: errors.NetworkError(),
    "NetworkError not sent": lambda: errors.NetworkError("http://x", "offline", sent=False),
    "Timeout": lambda: errors.Timeout("http://x", 15),
    "Timeout fraction": lambda: errors.Timeout("http://x", 2.5),
    "CorsRefused": lambda: errors.CorsRefused("http://x"),
    "CspBlocked": lambda: errors.CspBlocked("https://user:pw@login.example.org:8443/t?q=1"),
    "CspBlocked not a URL": lambda: errors.CspBlocked("login.example.org/oauth/token"),
    "CspBlocked long": lambda: errors.CspBlocked("x" * 300),
    "CspBlocked empty": lambda: errors.CspBlocked(""),
    # an answer the app cannot use
    "HttpError": lambda: errors.HttpError(418),
    "HttpError message": lambda: errors.HttpError(500, "teapot"),
    "RateLimited": lambda: errors.RateLimited(12),
    "RateLimited no retry-after": lambda: errors.RateLimited(0),
    "RateLimited fraction": lambda: errors.RateLimited(2.6, status=503),
    "ServerError": lambda: errors.ServerError(503, 10),
    "ServerError message": lambda: errors.ServerError(502, 0.4, "bad gateway"),
    "ResponseTooLarge": lambda: errors.ResponseTooLarge("https://a.example/.well-known/x", 262144),
    "ResponseTooLarge small": lambda: errors.ResponseTooLarge("u", 1000, 500),
    "MalformedResponse": lambda: errors.MalformedResponse(200, "not JSON"),
    "NonJsonResponse": lambda: errors.NonJsonResponse(502, "<html>"),
    "OAuthError invalid_grant code": lambda: errors.OAuthError(
        400, "invalid_grant", "used", "authorization_code"
    ),
    "OAuthError invalid_grant refresh": lambda: errors.OAuthError(
        400, "invalid_grant", "revoked", "refresh_token"
    ),
    "OAuthError invalid_grant other": lambda: errors.OAuthError(400, "invalid_grant", "no"),
    "OAuthError invalid_scope": lambda: errors.OAuthError(400, "invalid_scope"),
    "OAuthError invalid_client": lambda: errors.OAuthError(401, "invalid_client"),
    "OAuthError invalid_client refresh": lambda: errors.OAuthError(
        401, "invalid_client", "", "refresh_token"
    ),
    "OAuthError unauthorized_client": lambda: errors.OAuthError(400, "unauthorized_client", "x"),
    "OAuthError other described": lambda: errors.OAuthError(
        400, "invalid_request", "missing redirect_uri"
    ),
    "OAuthError other": lambda: errors.OAuthError(400, "weird"),
    "ApiError": lambda: errors.ApiError(404, "Alert source not found", "NOT_FOUND"),
    "ApiError bare": lambda: errors.ApiError(400),
    "InvalidTokenResponse": lambda: errors.InvalidTokenResponse(200, "expires_in is 0"),
    "RoleForbidden": lambda: errors.RoleForbidden(403, "no"),
    "RoleForbidden bare": lambda: errors.RoleForbidden(),
    "InfoRefused": lambda: errors.InfoRefused(401),
    "InfoRefused reason": lambda: errors.InfoRefused(403, "r" * 250),
    "InfoRefused introspection": lambda: errors.InfoRefused(401, "", introspection=True),
    "InfoRefused introspection reason": lambda: errors.InfoRefused(
        400, "invalid_client", introspection=True
    ),
    # the session and the settings
    "NotOffered": lambda: errors.NotOffered("revocation endpoint"),
    "ScopeNotGranted": lambda: errors.ScopeNotGranted("source", "w"),
    "ScopeNotGranted read": lambda: errors.ScopeNotGranted("profile"),
    "ScopeNotGranted unnamed": lambda: errors.ScopeNotGranted(""),
    "SessionEnded expired": lambda: errors.SessionEnded("expired"),
    "SessionEnded revoked": lambda: errors.SessionEnded("revoked"),
    "SessionEnded signed_out": lambda: errors.SessionEnded("signed_out"),
    "ExchangeUnanswered NetworkError": lambda: errors.ExchangeUnanswered(errors.NetworkError("u")),
    "ExchangeUnanswered Timeout": lambda: errors.ExchangeUnanswered(errors.Timeout("u", 3)),
    "ExchangeUnanswered CorsRefused": lambda: errors.ExchangeUnanswered(errors.CorsRefused("u")),
    "ExchangeUnanswered CspBlocked": lambda: errors.ExchangeUnanswered(errors.CspBlocked("u")),
    "ExchangeUnanswered ServerError": lambda: errors.ExchangeUnanswered(
        errors.ServerError(502, 10)
    ),
    "ExchangeUnanswered HttpError": lambda: errors.ExchangeUnanswered(errors.HttpError(418)),
    "ExchangeUnanswered other": lambda: errors.ExchangeUnanswered(ValueError("boom")),
    "ConfigError": lambda: errors.ConfigError(["the client id is missing", "no scope"]),
    "ConfigError empty": lambda: errors.ConfigError([]),
    "StorageRefused": lambda: StorageRefused("ilert_pkce.tokens", "QuotaExceededError"),
    "AttemptNotStored": lambda: AttemptNotStored(),
    # the terminal client's own
    "PortInUse": lambda: PortInUse("127.0.0.1", 4597),
    "ListenFailed": lambda: ListenFailed("127.0.0.1", 80, "permission denied"),
    "CallbackTimeout": lambda: CallbackTimeout(120),
    "CallbackTimeout fraction": lambda: CallbackTimeout(2.5),
    "StoreFailed": lambda: StoreFailed("the token file ~/.config/ilert-pkce", "read-only"),
    # anything else
    "AppError": lambda: errors.AppError("x"),
    "Exception": lambda: Exception("boom"),
    "KeyError": lambda: KeyError("boom"),
    "SettingsError": lambda: SettingsError(["bad"]),
    "MetadataNotFound": lambda: MetadataNotFound("https://a.example"),
}


def explained() -> dict[str, dict[str, dict[str, object]]]:
    """sample -> server -> the Explanation's fields (tuples as lists, as JSON has them), and
    under "terminal" the terminal client's exit code and one-line message for it."""
    out: dict[str, dict[str, dict[str, object]]] = {}
    for name, make in SAMPLES.items():
        out[name] = {}
        for server in SERVERS:
            fields = dataclasses.asdict(explain(make(), server)).items()
            out[name][server] = {k: list(v) if isinstance(v, tuple) else v for k, v in fields}
        out[name]["terminal"] = {
            "exit_code": messages.exit_code(make()),
            "message": messages.message(make()),
        }
    return out


@pytest.mark.parametrize("name", list(SAMPLES))
def test_explanations_are_as_recorded(name: str) -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert set(expected) == set(SAMPLES)
    assert explained()[name] == expected[name]


def test_the_default_server_is_ilert() -> None:
    for make in SAMPLES.values():
        assert explain(make()) == explain(make(), "ilert")


def _modules() -> Iterator[str]:
    for package in (app, ilert_pkce):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name not in ("app.main", "ilert_pkce.__main__"):  # entry points: they run
                yield info.name


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def app_errors(monkeypatch: pytest.MonkeyPatch) -> set[type]:
    """Every AppError subclass defined in app/ and ilert_pkce/, after importing each module
    (the browser's over the stand-ins of tests/fake_dom.py)."""
    from tests import fake_dom

    fake_dom.install(monkeypatch)
    http = types.ModuleType("pyodide.http")  # app.browser.fetch's; fake_dom has no stand-in
    http.pyfetch = None
    monkeypatch.setitem(sys.modules, "pyodide.http", http)
    for name in _modules():
        importlib.import_module(name)
    return {
        cls
        for cls in _subclasses(errors.AppError)
        if cls.__module__.startswith(("app.", "ilert_pkce."))
    } | {errors.AppError}


def test_every_error_class_has_a_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    sampled = {type(make()) for make in SAMPLES.values()}
    assert sorted(c.__qualname__ for c in app_errors(monkeypatch) - sampled) == []


def test_every_error_class_has_an_explanation_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    # Not one inherited from a base class: a new error gets its words when it is added.
    missing = {c for c in app_errors(monkeypatch) if not registered(c)}
    assert sorted(f"{c.__module__}.{c.__qualname__}" for c in missing) == []


def test_no_error_explains_itself() -> None:
    # The table is the one mechanism: no explanation() / explanation_for() hooks on a class.
    for make in SAMPLES.values():
        for cls in type(make()).__mro__:
            assert not {"explanation", "explanation_for"} & set(vars(cls)), cls


def _as_json(data: dict[str, dict[str, dict[str, object]]]) -> str:
    """One line per sample and server, so a change of wording is a one-line diff."""
    lines = []
    for name, by_server in data.items():
        inner = ",\n".join(f"  {json.dumps(s)}: {json.dumps(ex)}" for s, ex in by_server.items())
        lines.append(f" {json.dumps(name)}: {{\n{inner}\n }}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    EXPECTED.write_text(_as_json(explained()), encoding="utf-8")
    print(f"wrote {EXPECTED} ({len(SAMPLES)} samples x {len(SERVERS)} servers)")
