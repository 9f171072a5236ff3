"""JSON anyone on the origin can write is checked before it is parsed (app.core.safe_json).

In Pyodide, ``json.loads`` of a deeply nested value overflows the WebAssembly stack before
Python's recursion limit (the page could not start on any reload): such a value must never
reach ``json.loads`` at all, which these tests check by watching it.
"""

from __future__ import annotations

import json

import pytest

from app.boot.keys import ATTEMPT_KEY, LOG_KEY, SETTINGS_KEY, TOKENS_KEY, TRANSPORT_KEY
from app.core import safe_json, storage, tab_messages
from app.core import settings as settings_model
from app.core.storage import MemoryStorage

DEEP = "[" * 50_000
DEEP_OBJECT = '{"a":' * 30_000
HUGE = '"' + "x" * 3_000_000 + '"'


@pytest.fixture
def json_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text that reached json.loads (the parser that overflows in Pyodide)."""
    calls: list[str] = []
    real = json.loads

    def watched(text, *args, **kwargs):
        calls.append(text if isinstance(text, str) else text.decode("utf-8", "replace"))
        return real(text, *args, **kwargs)

    monkeypatch.setattr(json, "loads", watched)
    return calls


def deep_calls(calls: list[str]) -> list[str]:
    return [c for c in calls if safe_json.depth(c) > safe_json.MAX_DEPTH or len(c) > 2_000_000]


@pytest.mark.parametrize(
    "junk",
    [DEEP, DEEP_OBJECT, HUGE, "[" * 33 + "]" * 33, "{", "", "nan("],
    ids=["deep", "deep-object", "huge", "33-levels", "broken", "empty", "not-json"],
)
def test_junk_is_refused_before_parsing(junk: str, json_calls: list[str]) -> None:
    with pytest.raises(safe_json.Junk):
        safe_json.loads(junk)
    assert deep_calls(json_calls) == []
    assert safe_json.loads_or_none(junk) is None


def test_ordinary_json_and_brackets_inside_strings_are_fine() -> None:
    nested = "[" * 32 + "]" * 32
    assert safe_json.loads(nested) is not None
    text = json.dumps({"note": "[" * 5000 + "{" * 5000, "list": [[1], {"a": [2]}]})
    assert safe_json.loads(text)["list"] == [[1], {"a": [2]}]
    assert safe_json.depth('{"a": "\\"[[[[", "b": [1]}') == 2
    assert safe_json.loads(b'{"a": 1}') == {"a": 1}
    with pytest.raises(safe_json.Junk):
        safe_json.loads(b"\xff\xfe")
    with pytest.raises(safe_json.Junk):
        safe_json.loads("x" * 11, max_chars=10)


@pytest.mark.parametrize("key", [SETTINGS_KEY, TRANSPORT_KEY, TOKENS_KEY, ATTEMPT_KEY])
@pytest.mark.parametrize("junk", [DEEP, DEEP_OBJECT, HUGE], ids=["deep", "deep-object", "huge"])
def test_junk_in_storage_is_dropped_and_reported(
    key: str, junk: str, json_calls: list[str]
) -> None:
    store = MemoryStorage()
    store.set(key, junk)
    value, problem = storage.read_json(store, key)
    assert value is None and problem
    assert store.get(key) is None  # removed: the next load starts clean
    store.set(key, junk)
    assert storage.get_json(store, key) is None
    assert storage.peek_attempt(store) is None
    assert deep_calls(json_calls) == []


def test_junk_settings_are_dropped_with_a_reason() -> None:
    # What app.ui.settings.saved hands settings_model.load for junk: the reason, not a dict.
    store = MemoryStorage()
    store.set(SETTINGS_KEY, DEEP)
    value, junk = storage.read_json(store, SETTINGS_KEY)
    assert value is None and "nested" in junk
    loaded = settings_model.load({"client_id": "demo"}, junk)
    assert loaded.dropped == ("the saved settings are unreadable",)
    assert loaded.settings.client_id == "demo"


def test_junk_flow_log_restores_nothing(json_calls: list[str]) -> None:
    from app.core.flowlog import FlowLog

    store = MemoryStorage()
    store.set(LOG_KEY, DEEP)
    assert FlowLog().restore(store) == 0
    assert deep_calls(json_calls) == []


@pytest.mark.parametrize(
    "junk",
    [
        "[" * 15_000,
        '{"type":"signed_out","ids":' + "[" * 15_000,
        json.dumps({"type": "signed_out", "seals": [[["0" * 32]]]}),
        "[" * 50_000,
    ],
    ids=["deep", "deep-in-ids", "ids-nested", "deeper"],
)
def test_junk_tab_messages_are_ignored(junk: str, json_calls: list[str]) -> None:
    assert tab_messages.parse(junk) is None
    assert [c for c in json_calls if safe_json.depth(c) > tab_messages.MAX_DEPTH] == []
