"""The page's address: the OAuth redirect parameters in it, and the page's own base URL.

Kept tiny (urllib.parse only) because the browser entry point needs it before anything
else: the code and state must leave the address bar at once.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

# Query parameters that belong to the OAuth redirect (removed from the address bar).
CALLBACK_PARAMS = ("code", "state", "error", "error_description", "error_uri", "iss")


def parse_query(query: str) -> dict[str, str]:
    """First value of each parameter; a leading ``?`` is fine."""
    parsed = parse_qs(query.lstrip("?"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}


def is_callback(params: dict[str, str]) -> bool:
    return any(k in params for k in ("code", "error", "state"))


def strip_callback_params(query: str) -> str:
    """The query without the OAuth parameters (for history.replaceState), '' or '?...'."""
    params = parse_qs(query.lstrip("?"), keep_blank_values=True)
    kept = [(k, v) for k, vals in params.items() if k not in CALLBACK_PARAMS for v in vals]
    return "?" + urlencode(kept) if kept else ""


def page_base_url(url: str) -> str:
    """The page's URL without query and fragment (what is registered as redirect URI)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
