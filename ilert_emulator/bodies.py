"""Request bodies: read before any lock is taken, bounded in size, parsed without crashing.

A request body arrives at the client's pace. The emulator reads it completely (``preload``)
before it takes its state lock, so a client that sends slowly delays only itself.

Limits (ilert publishes none; its bodies are small JSON objects and forms): 1 MiB per body,
500 kB per form, 1000 form fields. Over a limit the answer is 413 in the endpoint's error
shape. JSON that is not JSON, or is nested too deeply for Python's parser, is a 400.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request

MAX_BODY = 1024 * 1024
MAX_FORM = 500_000
MAX_FORM_PARTS = 1000
TOO_LARGE = (
    f"The request body is too large (at most {MAX_BODY} bytes; "
    f"forms at most {MAX_FORM} bytes and {MAX_FORM_PARTS} fields)"
)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class EmulatorRequest(Request):
    max_content_length = MAX_BODY
    max_form_memory_size = MAX_FORM
    max_form_parts = MAX_FORM_PARTS


class BodyError(Exception):
    """A body the emulator will not take: ``status`` (400 or 413) and a message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def preload(request: Request) -> None:
    """Read (and for forms, parse) the whole body now; BodyError when it is over a limit.

    The limits are checked here on the raw bytes, not left to Werkzeug: its defaults and
    which form types they cover change between releases (3.1.9 stopped bounding urlencoded
    forms by ``max_form_memory_size``). Werkzeug's own limits stay set as a second line.
    """
    if (request.content_length or 0) > MAX_BODY:
        raise BodyError(413, TOO_LARGE)  # refused before a byte of it is read
    try:
        data = request.get_data(cache=True)
    except HTTPException as exc:
        if exc.code == 413:
            raise BodyError(413, TOO_LARGE) from None
        raise BodyError(exc.code or 400, "The request body could not be read") from None
    if len(data) > MAX_BODY:
        raise BodyError(413, TOO_LARGE)
    if request.mimetype not in FORM_TYPES:
        return
    fields = form_fields(request.mimetype, request.mimetype_params, data)
    if len(data) > MAX_FORM or fields > MAX_FORM_PARTS:
        raise BodyError(413, TOO_LARGE)
    try:
        request.form  # noqa: B018 - parsed now from the cached bytes and kept on the request
    except HTTPException as exc:
        raise BodyError(
            exc.code if exc.code == 413 else 400, "The form could not be read"
        ) from None


def form_fields(mimetype: str, params: dict[str, str], data: bytes) -> int:
    """How many fields a form body holds, counted on the bytes before any parsing."""
    if mimetype == "multipart/form-data":
        boundary = params.get("boundary", "").encode("latin-1", "replace")
        return max(data.count(b"--" + boundary) - 1, 0) if boundary else 0
    return sum(1 for part in data.split(b"&") if part)


def parse_json(request: Request) -> Any:
    """The body as JSON; ValueError when it is not JSON or nests too deeply."""
    data = request.get_data(cache=True)
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        raise ValueError("the body is not valid JSON") from None
