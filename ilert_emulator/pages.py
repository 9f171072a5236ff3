"""HTML for the emulator's own pages: login, consent (the grant view), errors, index.

Everything interpolated is escaped with ``html.escape`` - app names, user names and scopes come
from files and requests. Styles are inline (the pages' CSP allows nothing else). Buttons carry
exactly the accessible names the end-to-end tests look for: "Continue as <First Last>",
"Sign in", "Approve", "Deny".
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

CSS = """
:root { color-scheme: light; --ink: #1d2433; --muted: #5b6475; --brand: #0f6cbd;
  --line: #d8dde6; --bg: #f4f6fa; --danger: #b42318; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: var(--bg); }
main { max-width: 30rem; margin: 3rem auto; padding: 2rem; background: #fff;
  border: 1px solid var(--line); border-radius: 12px; box-shadow: 0 4px 18px #0000000f; }
.brand { font-weight: 700; color: var(--brand); letter-spacing: .02em; margin: 0 0 1rem; }
h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
p { margin: .5rem 0; }
.muted { color: var(--muted); font-size: .92rem; }
ul.scopes { padding-left: 1.2rem; }
ul.scopes li { margin: .3rem 0; }
code { background: var(--bg); padding: 0 .25rem; border-radius: 4px; font-size: .88em; }
form { margin: 0; }
.users { display: grid; gap: .5rem; margin: 1rem 0; }
button { font: inherit; cursor: pointer; border-radius: 8px; padding: .6rem 1rem;
  border: 1px solid var(--line); background: #fff; color: var(--ink); width: 100%;
  text-align: left; }
button:hover { border-color: var(--brand); }
button:focus-visible, input:focus-visible { outline: 3px solid #0f6cbd66; outline-offset: 2px; }
button.primary { background: var(--brand); border-color: var(--brand); color: #fff;
  text-align: center; }
button.secondary { text-align: center; }
.row { display: flex; gap: .75rem; margin-top: 1.5rem; }
label { display: block; font-weight: 600; margin: 1rem 0 .25rem; }
input[type=text] { font: inherit; width: 100%; padding: .55rem .7rem; border-radius: 8px;
  border: 1px solid var(--line); margin-bottom: .75rem; }
.alert { border: 1px solid var(--danger); color: var(--danger); background: #fef3f2;
  padding: .6rem .8rem; border-radius: 8px; }
.link { border: 0; padding: 0; background: none; color: var(--brand); width: auto;
  text-decoration: underline; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { font-weight: 600; }
"""


def page(title: str, body: str) -> str:
    """A complete document; ``body`` must already be escaped HTML."""
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} · ilert (local emulator)</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        '<p class="brand" aria-hidden="true">ilert · local emulator</p>\n'
        f"{body}\n</main>\n</body>\n</html>\n"
    )


def _hidden(request_id: str, csrf: str) -> str:
    return (
        f'<input type="hidden" name="request" value="{escape(request_id)}">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
    )


def full_name(user: dict[str, Any]) -> str:
    name = f"{user.get('firstName') or ''} {user.get('lastName') or ''}".strip()
    return name or str(user.get("username", "?"))


def login_page(
    *,
    app_name: str,
    tenant: str,
    users: Iterable[dict[str, Any]],
    request_id: str,
    csrf: str,
    message: str | None = None,
    username: str = "",
) -> str:
    hidden = _hidden(request_id, csrf)
    alert = f'<p class="alert" role="alert">{escape(message)}</p>' if message else ""
    buttons = "\n".join(
        f'<button type="submit" name="username" value="{escape(str(u.get("username", "")))}">'
        f"Continue as {escape(full_name(u))}</button>"
        for u in users
    )
    body = f"""<h1>Sign in to ilert</h1>
<p>to continue to <strong>{escape(app_name)}</strong> · account <code>{escape(tenant)}</code></p>
{alert}
<section aria-labelledby="pick">
<h2 id="pick">Demo users</h2>
<form method="post" action="login" class="users">{hidden}
{buttons}
</form>
</section>
<section aria-labelledby="type">
<h2 id="type">Another user</h2>
<form method="post" action="login">{hidden}
<label for="username">Username</label>
<input type="text" id="username" name="username" value="{escape(username)}"
 autocomplete="username" autocapitalize="none" spellcheck="false" required>
<button type="submit" class="primary">Sign in</button>
</form>
</section>
<p class="muted">This is a local stand-in for ilert: there are no passwords.</p>"""
    return page("Sign in", body)


def consent_page(
    *,
    app_name: str,
    tenant: str,
    user_name: str,
    username: str,
    scopes: Iterable[tuple[str, str]],
    redirect_uri: str,
    request_id: str,
    csrf: str,
) -> str:
    """``scopes``: (scope as requested, description in words) pairs."""
    hidden = _hidden(request_id, csrf)
    items = "\n".join(
        f"<li>{escape(words)} <code>{escape(scope)}</code></li>" for scope, words in scopes
    )
    body = f"""<h1>Allow {escape(app_name)} to access your ilert account?</h1>
<p>Signed in as <strong>{escape(user_name)}</strong> ({escape(username)}) on
 <code>{escape(tenant)}</code>.</p>
<form method="post" action="logout">{hidden}
<button type="submit" class="link">Not you? Use another account</button>
</form>
<section aria-labelledby="wants">
<h2 id="wants">{escape(app_name)} asks to:</h2>
<ul class="scopes">
{items}
</ul>
</section>
<p class="muted">After you decide you will be sent back to
 <code>{escape(redirect_uri)}</code>.</p>
<form method="post" action="consent">{hidden}
<div class="row">
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
<button type="submit" name="decision" value="approve" class="primary">Approve</button>
</div>
</form>"""
    return page("Grant access", body)


def error_page(title: str, message: str) -> str:
    body = f"""<h1>{escape(title)}</h1>
<p class="alert" role="alert">{escape(message)}</p>
<p class="muted">Go back to the app and start signing in again.</p>"""
    return page(title, body)


def index_page(*, tenant: str, url: str, apps: Iterable[tuple[str, str]]) -> str:
    rows = "\n".join(
        f"<dt>{escape(name)}</dt><dd><code>{escape(client_id)}</code></dd>"
        for client_id, name in apps
    )
    body = f"""<h1>Local ilert emulator</h1>
<p>Tenant <code>{escape(tenant)}</code>. OAuth2 endpoints live under
 <code>{escape(url)}/api/developers/oauth2/</code>, the REST API under
 <code>{escape(url)}/api/</code>.</p>
<h2>Registered apps</h2>
<dl>{rows}</dl>"""
    return page("Emulator", body)
