"""The emulator's body limits hold whatever Werkzeug's own defaults are.

Werkzeug moves its limits between releases (3.1.9 stopped bounding urlencoded forms by
``max_form_memory_size``), so these requests are parsed with every Werkzeug limit switched
off: only ``bodies.preload`` stands between them and the handlers.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from ilert_emulator.bodies import MAX_BODY, MAX_FORM, MAX_FORM_PARTS, BodyError, preload


class UnlimitedRequest(Request):
    max_content_length = None
    max_form_memory_size = None
    max_form_parts = None


def request_with(data: bytes, content_type: str) -> Request:
    return UnlimitedRequest(
        EnvironBuilder(method="POST", data=data, content_type=content_type).get_environ()
    )


FORM = "application/x-www-form-urlencoded"


def test_a_form_over_the_size_limit_is_413():
    body = urlencode({"grant_type": "authorization_code", "padding": "x" * MAX_FORM}).encode()
    with pytest.raises(BodyError) as caught:
        preload(request_with(body, FORM))
    assert caught.value.status == 413


def test_a_form_with_too_many_fields_is_413():
    body = urlencode({f"f{i}": "1" for i in range(MAX_FORM_PARTS + 1)}).encode()
    with pytest.raises(BodyError) as caught:
        preload(request_with(body, FORM))
    assert caught.value.status == 413


def test_a_multipart_form_with_too_many_parts_is_413():
    part = b'--b\r\nContent-Disposition: form-data; name="f"\r\n\r\n1\r\n'
    body = part * (MAX_FORM_PARTS + 1) + b"--b--\r\n"
    with pytest.raises(BodyError) as caught:
        preload(request_with(body, "multipart/form-data; boundary=b"))
    assert caught.value.status == 413


def test_a_json_body_over_the_limit_is_413():
    with pytest.raises(BodyError) as caught:
        preload(request_with(b'"' + b"x" * MAX_BODY + b'"', "application/json"))
    assert caught.value.status == 413


def test_forms_at_the_limits_are_parsed_and_kept():
    fields = {f"f{i}": "1" for i in range(MAX_FORM_PARTS - 1)}
    request = request_with(urlencode({**fields, "code": "abc"}).encode(), FORM)
    preload(request)
    assert request.form["code"] == "abc"
    assert len(request.form) == MAX_FORM_PARTS
