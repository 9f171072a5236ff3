"""Which ``Host`` headers a loopback server answers (against DNS rebinding); pure.

A page on ``evil.example`` can make its name resolve to 127.0.0.1 (DNS rebinding): its
scripts then reach a server on this machine as *same-origin* requests, and read the answers.
The browser still sends the name it resolved, ``Host: evil.example:PORT``, so a server that
answers only the names it serves refuses them. Those are the loopback names with the
server's port (``*.localhost`` is resolved to loopback by browsers, never through DNS, so it
cannot be rebound) and the address it was told to listen on (``--host``).

Used by the emulator (every path) and by ``serve.py`` (no Werkzeug needed: this module
imports nothing from the package).
"""

from __future__ import annotations

from collections.abc import Iterable

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
REFUSED_STATUS = 421  # Misdirected Request: "this server does not answer for that name"
REFUSED_BODY = (
    b"Misdirected request: this local server answers only to the names it serves "
    b"(localhost, 127.0.0.1, [::1] with its port).\n"
)


def split_host(header: str) -> tuple[str, int] | None:
    """``name:port`` (or ``[v6]:port``) -> (lower-case name, port); no port means 80.

    None for anything that is not a plain host (user info, paths, spaces, bad ports).
    """
    header = header.strip().lower()
    if not header or any(c in header for c in "@/\\?# \t"):
        return None
    if header.startswith("["):
        end = header.find("]")
        if end < 0:
            return None
        name, rest = header[1:end], header[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:] if rest else ""
    else:
        name, _, port_text = header.partition(":")
        if ":" in port_text:
            return None
    if not name:
        return None
    if not port_text:
        return name.rstrip("."), 80
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return None
    return name.rstrip("."), int(port_text)


def host_allowed(
    header: str | None, port: int, names: Iterable[str] = (), any_localhost: bool = False
) -> bool:
    """Whether ``Host: header`` names this server: a loopback name or one of ``names``
    (the listening address), with ``port``; ``*.localhost`` too when ``any_localhost``."""
    parsed = split_host(header or "")
    if parsed is None:
        return False
    name, asked_port = parsed
    if asked_port != port:
        return False
    allowed = LOOPBACK_NAMES | {n.strip("[]").lower() for n in names if n}
    return name in allowed or (any_localhost and name.endswith(".localhost"))
