"""Which origins the page trusts: those config.json vouches for, and the rest to confirm.

The site owner published config.json, so the origins it names may receive codes and tokens
without asking. Settings may name others (typed, or planted in localStorage, which every
page of the origin shares): those recipients are listed for the user to confirm before the
first sign-in to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.settings import Settings
from app.core.urls import Endpoints, origin, url_problems

_URL_FIELDS = (
    "ilert_host",
    "api_base",
    "redirect_uri",
    "authorize_url",
    "token_url",
    "revoke_url",
    "info_url",
)
_SIGN_IN_PAGE = "your sign-in (its login and consent page)"


@dataclass(frozen=True)
class Recipient:
    origin: str  # scheme://host[:port]
    receives: tuple[str, ...]  # plain language, e.g. "the access token (API calls)"


def vouched_origins(defaults: dict | None) -> frozenset[str]:
    """Origins named by config.json: its endpoint fields and its ``allowed_origins``.

    The site owner published config.json; these may receive codes and tokens without
    asking. (Also what a Content-Security-Policy connect-src would list.)
    """
    data = defaults if isinstance(defaults, dict) else {}
    found = set()
    base = Settings.from_dict(data)
    for name in _URL_FIELDS:
        value = getattr(base, name)
        if value and not url_problems(value, name):
            found.add(origin(value))
    extra = data.get("allowed_origins")
    for item in extra if isinstance(extra, list) else []:
        if isinstance(item, str) and not url_problems(item.strip(), "origin", allow_path=False):
            found.add(origin(item))
    found.discard("")
    return frozenset(found)


def _endpoint_recipients(endpoints: Endpoints) -> list[Recipient]:
    """Which origins of a server's endpoints receive the code, the verifier or a token, and
    what each gets."""
    what: dict[str, list[str]] = {}
    items = [
        (endpoints.token, "the authorization code, the PKCE verifier and the refresh token"),
        (endpoints.revoke, "the refresh token (when signing out)"),
        (endpoints.info, "the access token (token info)"),
        (endpoints.api_base, "the access token (API calls)"),
    ]
    for url, item in items:
        where = origin(url) if url else ""
        if where:
            what.setdefault(where, []).append(item)
    return [Recipient(o, tuple(items)) for o, items in what.items()]


def recipients(settings: Settings, page_url: str = "") -> list[Recipient]:
    """Every origin that receives the code, the verifier or a token with these settings.

    Also the authorize page's origin (a planted one is a look-alike login page that
    issues its own codes), and a redirect URI on another origin than the page (the code
    travels there).
    """
    endpoints = settings.endpoints()
    found: dict[str, list[str]] = {}
    if origin(endpoints.authorize):
        found[origin(endpoints.authorize)] = [_SIGN_IN_PAGE]
    for item in _endpoint_recipients(endpoints):
        found.setdefault(item.origin, []).extend(item.receives)
    if settings.redirect_uri:
        where = origin(settings.redirect_uri)
        if where and where != origin(page_url):
            found.setdefault(where, []).insert(0, "the authorization code (the redirect back)")
    return [Recipient(o, tuple(items)) for o, items in found.items()]


def unvouched(defaults: dict | None, settings: Settings, page_url: str = "") -> list[Recipient]:
    """The recipients config.json does not vouch for: confirm these before the first sign-in.

    Empty means the sign-in needs no confirmation. The page's own origin counts as vouched.
    """
    trusted = set(vouched_origins(defaults))
    if page_url:
        trusted.add(origin(page_url))
    if not settings.custom and origin(settings.ilert_host) in trusted:
        # TENANT.<vouched ilert host>: the tenant is one validated label under that host.
        trusted.add(origin(settings.authorize_host()))
    return [r for r in recipients(settings, page_url) if r.origin not in trusted]


def changes_server(recorded: Endpoints | None, new: Settings) -> bool:
    """Whether ``new`` names another server than the one a session is bound to.

    The page then says truthfully that the change applies from the next sign-in (the
    session keeps ``recorded``), or signs out first: the user's choice.
    """
    return recorded is not None and new.endpoints() != recorded
