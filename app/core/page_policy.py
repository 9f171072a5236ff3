"""Whether the page's Content-Security-Policy lets it connect to a URL (``connect-src``).

Pure: the page reads its policy from the CSP ``<meta>`` (``scripts/csp.py`` writes it)
and asks here after a request failed without an answer, so a request the policy blocked
is said as such (the fix is the site's configuration), not as "could not be reached".
Only what ``scripts/csp.py`` and ``serve.py`` write needs to be understood: ``'self'``,
origins, ``*.host`` wildcards, scheme sources and ``*``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _sources(policy: str, directive: str) -> list[str] | None:
    """The sources of ``directive`` (falling back to default-src), None when absent."""
    found: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            found.setdefault(words[0].lower(), words[1:])
    if directive in found:
        return found[directive]
    return found.get("default-src")


def _split(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS.get(scheme, 0)


def _matches(source: str, url: tuple[str, str, int], page: tuple[str, str, int] | None) -> bool:
    scheme, host, port = url
    source = source.strip()
    lowered = source.lower()
    if lowered == "'self'":
        return page is not None and url == page
    if lowered == "*":
        return scheme in ("http", "https")
    if lowered.endswith(":") and "/" not in lowered:  # a scheme source, e.g. https:
        return scheme == lowered[:-1]
    if "://" not in lowered:
        return False  # 'none', hashes, nonces: no connection allowed by them
    want_scheme, rest = lowered.split("://", 1)
    rest = rest.split("/", 1)[0]
    want_host, _, want_port = rest.partition(":")
    if want_scheme != scheme and not (want_scheme == "http" and scheme == "https"):
        return False
    if want_port == "*":
        pass
    elif want_port:
        if not want_port.isdigit() or int(want_port) != port:
            return False
    elif port != _DEFAULT_PORTS.get(scheme):
        return False
    if want_host.startswith("*."):
        return host.endswith(want_host[1:])
    return host == want_host


def connect_allowed(policy: str, url: str, page_url: str) -> bool:
    """Whether ``policy`` (a CSP header or meta value) lets the page at ``page_url`` fetch
    ``url``. No policy, or no connect-src / default-src in it: allowed."""
    sources = _sources(policy, "connect-src")
    if sources is None:
        return True
    target = _split(url)
    if target is None:
        return False
    page = _split(page_url)
    return any(_matches(source, target, page) for source in sources)
