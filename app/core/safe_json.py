"""JSON that anyone on the origin could have written, checked before it is parsed (pure).

Every script of the page's origin can write ``localStorage`` and post on the app's channels.
``json.loads`` recurses once per nesting level: in Pyodide a value such as ``"[" * 50000``
overflows the WebAssembly stack before Python's recursion limit is reached, and the page
cannot start (on every reload, since the value stays). So the length and the nesting are
capped *before* parsing, by a scan that does not recurse, and what fails is refused with the
one ``Junk`` error. Everything the app parses from storage, messages, config.json and HTTP
bodies goes through ``loads``.
"""

from __future__ import annotations

import itertools
import json
import re

MAX_DEPTH = 32  # the app's own values nest 4 levels at most; server JSON a little more
MAX_CHARS = 1_000_000  # more than any value the app stores (the flow log is capped at 400 k)

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)  # linear: the alternatives are disjoint
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class Junk(ValueError):
    """Not JSON, or JSON too long or too deeply nested to parse safely."""


def depth(text: str) -> int:
    """The deepest nesting of ``[``/``{`` outside strings (an upper bound for broken JSON)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not brackets:
        return 0
    steps = itertools.accumulate(1 if c in "[{" else -1 for c in brackets)
    return max(0, max(steps))


def loads(text: object, max_chars: int = MAX_CHARS, max_depth: int = MAX_DEPTH) -> object:
    """The parsed value of ``text`` (str or UTF-8 bytes); raises Junk otherwise."""
    if isinstance(text, (bytes, bytearray)):
        if len(text) > max_chars * 4:
            raise Junk(f"longer than {max_chars} characters")
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise Junk("not UTF-8") from None
    if not isinstance(text, str):
        raise Junk("not text")
    if len(text) > max_chars:
        raise Junk(f"longer than {max_chars} characters")
    if depth(text) > max_depth:
        raise Junk(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise Junk("not JSON") from None


def loads_or_none(text: object, max_chars: int = MAX_CHARS, max_depth: int = MAX_DEPTH) -> object:
    """``loads``, or None for anything it refuses."""
    try:
        return loads(text, max_chars, max_depth)
    except Junk:
        return None
