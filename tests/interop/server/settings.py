"""Django settings for the witness server; everything variable comes from the environment
that ``__main__.py`` sets before ``django.setup()``."""

from __future__ import annotations

import json
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent

ISSUER = os.environ["WITNESS_ISSUER"]  # e.g. http://127.0.0.1:PORT (no trailing slash)
DATA_DIR = Path(os.environ["WITNESS_DATA_DIR"])

SECRET_KEY = os.environ.get("WITNESS_SECRET_KEY", "interop-witness-not-a-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.interop.server.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/accounts/login/"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "corsheaders",
    "oauth2_provider",
    "tests.interop.server",
]

MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "witness.sqlite3")}
}

# Fast password hashing: the demo user's password is not a secret, start-up time is.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

STATIC_URL = "/static/"

# CORS (django-cors-headers): the origins given at start, plus every origin registered on an
# application at run time (see signals.py), may call the token, revoke, introspection and API
# endpoints. WWW-Authenticate is exposed so a browser client can read Bearer errors.
CORS_ALLOWED_ORIGINS = json.loads(os.environ.get("WITNESS_CORS_ORIGINS", "[]"))
CORS_URLS_REGEX = r"^/(api|\.well-known)/.*$"
CORS_EXPOSE_HEADERS = ["WWW-Authenticate"]

# The scopes ilert documents (a bare scope or `:r` reads, `:w` writes, `:d` deletes), written
# here from ilert's documentation, independently of the app's own scope table.
_ILERT_SCOPES = [
    *("policy", "schedule", "source", "support_hour", "monitor", "action", "connector"),
    *("maintenance", "report", "template", "service", "status_page", "team", "user"),
    *("alert", "incident", "metric", "metric_source"),
]
SCOPES = {"profile": "Your profile", "offline_access": "Refresh tokens"}
for _name in _ILERT_SCOPES:
    SCOPES[_name] = f"Read {_name}"
    for _suffix, _verb in (("r", "Read"), ("w", "Write"), ("d", "Delete")):
        SCOPES[f"{_name}:{_suffix}"] = f"{_verb} {_name}"
# RFC 7662: DOT lets a bearer token with this scope call the introspection endpoint
# (views.StrictIntrospectView answers any Bearer header there with 400, as strict servers do).
SCOPES["introspection"] = "Introspect tokens"

OAUTH2_PROVIDER = {
    "SCOPES": SCOPES,
    "DEFAULT_SCOPES": ["profile"],
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 120,
    # DOT's defaults, stated: a refresh returns a new refresh token and revokes the used one.
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    # Fixed issuer: metadata, endpoint URLs and RFC 9207 `iss` do not depend on the Host header.
    "OIDC_ISS_ENDPOINT": ISSUER,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": os.environ.get("WITNESS_ISS_PARAMETER") == "1",
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,  # S256 only
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": [
        "none",
        "client_secret_basic",
        "client_secret_post",
    ],
}
if os.environ.get("WITNESS_OIDC_KEY"):
    OAUTH2_PROVIDER["OIDC_ENABLED"] = True
    OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"] = os.environ["WITNESS_OIDC_KEY"]
    OAUTH2_PROVIDER["OIDC_RESPONSE_TYPES_SUPPORTED"] = ["code"]
    OAUTH2_PROVIDER["SCOPES"]["openid"] = "OpenID Connect"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}

# Start-up speed: the database is new on every start, so create the tables straight from the
# models (`migrate --run-syncdb`) instead of replaying each app's migration history.
MIGRATION_MODULES = {
    app: None for app in ("auth", "contenttypes", "sessions", "oauth2_provider", "witness")
}
