"""Browser entry point: clean the address bar, read the settings, start the page.

Kept thin: the OAuth parameters leave the address bar (history.replaceState) before
anything slow happens, then the page takes over. HTTP support (pyodide-http) and the
token/API clients are loaded only when first needed, so the sign-in button is ready soon.
"""

from app import browser, callback, config

config_request = browser.fetch_no_cache("config.json")  # in flight while the rest loads

params = callback.parse_query(browser.query_string())
is_callback = callback.is_callback(params)
if is_callback:
    # First thing: no code or state may stay in the URL (history, referrer, screenshots).
    url = browser.page_url()
    browser.replace_url(
        config.page_base_url(url) + callback.strip_callback_params(browser.query_string())
    )

from app.page import App  # noqa: E402 (after the address bar is clean)

session_store = browser.web_storage("sessionStorage")
local_store = browser.web_storage("localStorage")
defaults = await browser.load_json(config_request)  # noqa: F704 (PyScript allows top-level await)

app = App(defaults, session_store, local_store)
app.start(params if is_callback else None, config_found=defaults is not None)
