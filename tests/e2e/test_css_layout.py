"""Long values wrap, and buttons keep their label on one line (static/app.css, in Chromium).

The page's own styles (index.html's inline <style> and static/app.css) are loaded into a
blank page with content shaped like the app's: nothing is fetched, no Python boots.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.serving import ROOT

LONG = "x" * 3000  # one unbroken value, like a token or a server's error text
WIDTH = 360  # a phone


def page_styles() -> str:
    index = (ROOT / "index.html").read_text(encoding="utf-8")
    inline = re.search(r"<style>(.*?)</style>", index, re.S)
    assert inline, "index.html has no inline <style>"
    return inline.group(1) + (ROOT / "static/app.css").read_text(encoding="utf-8")


BODY = f"""
<main>
  <div id="notice" class="notice error"><p>{LONG}</p>
    <div class="actions"><button id="n-btn">Sign in again</button></div></div>
  <p id="status" class="status">{LONG}</p>
  <div class="panel"><table class="list"><tbody><tr>
    <td>{LONG}</td><td>API</td><td>PENDING</td><td>yes</td>
    <td><button id="disable">Disable</button></td></tr></tbody></table></div>
  <ul class="alerts"><li><span class="summary">{LONG}</span><span class="meta">{LONG}</span>
    <button id="accept">Accept</button></li></ul>
  <ol class="flow-log"><li>{LONG}</li></ol>
  <button id="reference">Disable</button>
</main>
"""


@pytest.fixture()
def laid_out(page: Page) -> Page:
    page.set_viewport_size({"width": WIDTH, "height": 800})
    page.set_content(f"<!doctype html><style>{page_styles()}</style>{BODY}")
    return page


def box(page: Page, selector: str) -> dict:
    found = page.locator(selector).bounding_box()
    assert found is not None, selector
    return found


def test_long_values_wrap_inside_the_viewport(laid_out: Page) -> None:
    for selector in ("#notice", "#status", "ul.alerts li", ".flow-log li"):
        b = box(laid_out, selector)
        assert b["x"] + b["width"] <= WIDTH + 1, f"{selector} overflows: {b}"
        assert b["height"] > 100, f"{selector} did not wrap: {b}"
        spill = laid_out.locator(selector).evaluate("e => e.scrollWidth - e.clientWidth")
        assert spill <= 1, f"{selector}: its text sticks out by {spill}px"
    assert laid_out.evaluate("document.documentElement.scrollWidth") <= WIDTH


@pytest.mark.parametrize("selector", ["#disable", "#accept", "#n-btn"])
def test_buttons_are_not_squeezed(laid_out: Page, selector: str) -> None:
    reference = box(laid_out, "#reference")
    b = box(laid_out, selector)
    assert b["height"] <= reference["height"] + 1, f"{selector} wraps its label: {b}"
    assert b["width"] >= reference["width"] * 0.6, f"{selector} is squeezed: {b}"
