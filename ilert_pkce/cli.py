"""``ilert-pkce``: sign in to ilert from a terminal (RFC 8252 loopback redirect) and use the API.

Everything OAuth comes from the page's core: ``app.core.authorize`` (verifier, state, URL),
``app.core.callback`` (state, ``iss`` and ``error`` checks), ``app.core.flow`` (what a failed
code exchange means, and which errors end the session: ``decided``), ``app.core.tokens`` /
``app.core.session`` / ``app.core.api`` (exchange, single refresh, 401 → refresh → retry once,
revoke) over ``app.native.transport``'s urllib call (in a daemon thread:
``ilert_pkce.transport``). This module parses arguments, prints, and maps errors to exit codes
(``ilert_pkce.messages``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
import webbrowser
from dataclasses import replace

from app.core import authorize, callback, errors, flow, jwt_display
from app.core.api import ApiClient
from app.core.errors import NotOffered, SessionEnded
from app.core.session import Session, format_duration
from app.core.storage import MemoryStorage
from app.core.tokens import TokenClient
from ilert_pkce import loopback, messages, options, store
from ilert_pkce.transport import DaemonTransport

COMMANDS = ("login", "whoami", "alerts", "sources", "oncall", "token-info", "refresh", "logout")


class Console:
    """Progress and errors on stderr, results on stdout; every API value printed as text."""

    def __init__(self, as_json: bool, quiet: bool = False) -> None:
        self.as_json = as_json
        self.quiet = quiet

    def say(self, text: str, always: bool = False) -> None:
        if always or not self.quiet:
            print(text, file=sys.stderr, flush=True)

    def error(self, text: str) -> None:
        print(f"ilert-pkce: {text}", file=sys.stderr, flush=True)

    def result(self, data: object, lines: list[str]) -> None:
        if self.as_json:
            print(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            for line in lines:
                print(line)


def clean(value: object) -> str:
    """A value from the server as one line of plain text: no terminal control sequences."""
    text = "" if value is None else str(value)
    return "".join(c if c.isprintable() else " " for c in text)


# --- the session ------------------------------------------------------------------------------


def open_session(transport: DaemonTransport, timeout: float) -> Session:
    """The stored session, bound to the server it came from; SessionEnded when there is none."""
    storage = store.TokenStorage(store.choose_backend())
    placeholder = TokenClient("", "", "", "", transport, timeout=timeout)
    session = Session(storage, placeholder)
    if not session.signed_in or session.endpoints is None:
        raise SessionEnded("signed_out")
    session.client = TokenClient.from_endpoints(session.endpoints, transport, timeout=timeout)
    return session


def decided(session: Session, event: flow.Event) -> flow.Decision:
    """Carry out what ``app.core.flow`` decides for ``event`` in a signed-in terminal: it has
    no view and no notice (errors are raised and printed), so what is left to do is to end the
    session when the decision says it is over (its tokens and all stored for it go)."""
    decision = flow.step(flow.SIGNED_IN, event)
    if decision.end_session and session.signed_in:
        session.end()
    return decision


async def fresh(session: Session) -> None:
    """Refresh when under 60 s remain (the page's rule); an expired token without refresh
    token ends the session."""
    if session.refresh_due_in() == 0:
        await session.refresh()
    elif not session.can_refresh and session.seconds_left() <= 0:
        decided(session, flow.Event(flow.TIMER, can_refresh=False))  # ends it
        raise SessionEnded("expired")


# --- login ------------------------------------------------------------------------------------


async def login(opts: options.Options, out: Console, no_browser: bool) -> int:
    transport = DaemonTransport()
    settings = opts.settings
    if opts.needs_discovery:
        from app.core.discovery import discover

        out.say(f"Reading the metadata of {settings.issuer} ...")
        found, url = await discover(settings, transport, opts.timeout)
        settings = found.settings
        for note in found.notes:
            out.say(f"Note: {note}.")
    backend = store.choose_backend()
    storage = store.TokenStorage(backend)  # read before anything: a broken store fails now
    async with loopback.listen(opts.host, opts.port, opts.path) as listener:
        settings = replace(settings, redirect_uri=listener.redirect_uri)
        attempts = MemoryStorage()  # verifier + state live only in this process
        url = authorize.start(settings, attempts, "")
        shown = True  # the address must be seen: no browser will show it
        if no_browser:
            out.say("Open this address in a browser to sign in:", always=True)
        elif await asyncio.to_thread(webbrowser.open, url):
            out.say("Your browser was opened to sign in. If it did not open, go to:")
            shown = False
        else:
            out.say(
                "Could not open a browser (none found; set BROWSER, or use --no-browser). "
                "Open this address in a browser to sign in:",
                always=True,
            )
        out.say(f"  {url}", always=shown)
        out.say(
            f"Waiting up to {opts.wait:g} s for the answer on {listener.redirect_uri} "
            "(Ctrl-C cancels) ..."
        )
        answer = await listener.next(opts.wait)
        try:
            session = await _finish(answer, attempts, storage, transport, opts, out)
        except BaseException as exc:
            text = messages.message(exc) if isinstance(exc, Exception) else "Cancelled."
            answer.reply("Sign-in failed", text, False)
            raise
        answer.reply("Signed in", "ilert-pkce is signed in; the tokens are stored.", True)
    out.say(f"Signed in. Tokens stored in {backend.where}.")
    out.result(_summary(session), _summary_lines(session))
    return messages.OK


async def _finish(answer, attempts, storage, transport, opts, out):
    """Check the redirect, exchange the code, store the tokens (only all of it, or nothing)."""
    if answer.problem is not None:
        raise answer.problem
    try:
        result = callback.handle(answer.params, attempts)
    except errors.IgnoredCallback as exc:  # an error answer without our state
        missing = exc.reason == "no_state"
        raise (errors.StateMissing() if missing else errors.StateMismatch()) from None
    if result.endpoints is None:
        raise errors.MissingVerifier()
    client = TokenClient.from_endpoints(result.endpoints, transport, timeout=opts.timeout)
    out.say("Exchanging the code for tokens ...")
    try:
        tokens = await client.exchange_code(result.code, result.verifier, result.redirect_uri)
    except Exception as exc:
        # flow.step says what a failed exchange means (a spent code is never re-sent).
        decision = flow.step(flow.EXCHANGING, flow.Event(flow.EXCHANGE_FAILED, exc))
        if decision.notice is not None and decision.notice.kind == "exchange_unanswered":
            raise errors.ExchangeUnanswered(exc) from exc
        raise
    session = Session(storage, client)
    old, old_endpoints = session.tokens, session.endpoints
    try:
        session.start(tokens, result.endpoints, client)
    except Exception:
        # Not stored: do not leave a live refresh token behind on the server.
        if tokens.refresh_token:
            with contextlib.suppress(Exception):
                await client.revoke(tokens.refresh_token)
        raise
    if old and old_endpoints and old.refresh_token and old.refresh_token != tokens.refresh_token:
        previous = TokenClient.from_endpoints(old_endpoints, transport, timeout=opts.timeout)
        try:  # the replaced session's refresh token is of no use any more
            await previous.revoke(old.refresh_token)
        except Exception:
            out.say("Note: the previous session's refresh token could not be revoked.")
    return session


def _summary(session: Session) -> dict:
    tokens = session.current()
    endpoints = session.endpoints
    return {
        "signed_in": True,
        "server": endpoints.authorize.split("/api/")[0] if endpoints else "",
        "scope": tokens.scope,
        "expires_in": round(tokens.seconds_left(time.time())),
        "can_refresh": bool(tokens.refresh_token),
        "refresh_expires_in": (
            round(tokens.refresh_expires_at - time.time()) if tokens.refresh_expires_at else None
        ),
    }


def _summary_lines(session: Session) -> list[str]:
    data = _summary(session)
    lines = [
        f"scope:         {data['scope']}",
        f"access token:  valid for {format_duration(data['expires_in'])}",
        f"refresh token: {'yes' if data['can_refresh'] else 'no (ask for offline_access)'}",
    ]
    return lines


# --- the other commands ---------------------------------------------------------------------


async def api_command(name: str, timeout: float, out: Console) -> int:
    transport = DaemonTransport()
    session = open_session(transport, timeout)
    await fresh(session)
    if not session.endpoints or not session.endpoints.api_base:
        raise NotOffered("ilert API (no API base)")
    api = ApiClient(session.endpoints.api_base, session, transport, timeout=timeout)
    try:
        await _show(name, api, out)
    except Exception as exc:
        decided(session, flow.Event(flow.API_FAILED, exc))  # a 401 no refresh cures ends it
        raise
    return messages.OK


async def _show(name: str, api: ApiClient, out: Console) -> None:
    """Print what API command ``name`` asks for."""
    if name == "whoami":
        user = await api.current_user()
        keys = ("username", "firstName", "lastName", "email", "role", "timezone", "language")
        lines = [f"{k + ':':<11}{clean(user.get(k))}" for k in keys if user.get(k) is not None]
        out.result(user, lines)
    elif name == "alerts":
        items = await api.open_alerts()
        lines = [
            f"{clean(a.get('id')):>8}  {clean(a.get('status')):<9} {clean(a.get('priority')):<5} "
            f"{clean(a.get('summary'))}  [{clean((a.get('alertSource') or {}).get('name'))}]"
            for a in items
            if isinstance(a, dict)
        ]
        out.result(items, lines or ["No open alerts."])
    elif name == "sources":
        items = await api.alert_sources()
        lines = [
            f"{clean(s.get('id')):>8}  {clean(s.get('status')):<13} "
            f"{clean(s.get('integrationType')):<11} {clean(s.get('name'))}"
            for s in items
            if isinstance(s, dict)
        ]
        out.result(items, lines or ["No alert sources."])
    else:  # oncall
        items = await api.on_calls()
        lines = []
        for o in items:
            if not isinstance(o, dict):
                continue
            user = o.get("user") or {}
            who = f"{user.get('firstName', '')} {user.get('lastName', '')}".strip()
            policy = (o.get("escalationPolicy") or {}).get("name")
            lines.append(
                f"{clean(who or user.get('username')):<22} level {clean(o.get('escalationLevel'))}"
                f"  {clean(policy)}  until {clean(o.get('end'))}"
            )
        out.result(items, lines or ["Nobody is on call."])


async def token_info(timeout: float, out: Console) -> int:
    transport = DaemonTransport()
    session = open_session(transport, timeout)
    await fresh(session)
    data = _summary(session)
    data["claims"] = jwt_display.decode(session.current().access_token).payload
    lines = _summary_lines(session)
    try:
        data["server_says"] = await session.client.token_info(session.current().access_token)
        lines += [f"server says:   {clean(k)} = {clean(v)}" for k, v in data["server_says"].items()]
    except (NotOffered, errors.InfoRefused) as exc:
        data["server_says"] = None
        lines.append(f"server says:   {messages.message(exc)}")
    lines += [f"claim {clean(k)}: {clean(v)}" for k, _, v in jwt_display.claim_rows(data["claims"])]
    out.result(data, lines)
    return messages.OK


async def refresh(timeout: float, out: Console) -> int:
    session = open_session(DaemonTransport(), timeout)
    if not session.can_refresh:
        out.error(
            "This session has no refresh token (its scope had no offline_access). "
            f"{messages.LOGIN_HINT}"
        )
        return messages.SIGNED_OUT
    out.say("Refreshing ...")
    await session.refresh()
    out.result(_summary(session), _summary_lines(session))
    return messages.OK


async def logout(timeout: float, out: Console) -> int:
    try:
        session = open_session(DaemonTransport(), timeout)
    except SessionEnded:
        out.say("Not signed in; nothing to do.")
        return messages.OK
    failure = await session.sign_out()  # revokes the refresh token, then forgets everything
    if store.choose_backend().load() is not None:
        raise store.StoreFailed("the token store", "the stored tokens could not be removed")
    if failure is None or isinstance(failure, NotOffered):
        out.say("Signed out: the refresh token was revoked and the tokens were removed.")
        if failure is not None:
            out.say("(The server offers no revocation: the tokens were only forgotten.)")
        out.result({"signed_out": True, "revoked": failure is None}, [])
        return messages.OK
    out.error(
        "Signed out here, but the server did not revoke the refresh token: "
        + messages.message(failure)
        + " Until it expires, revoke the app's access in ilert."
    )
    return messages.exit_code(failure)


# --- arguments ------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    codes = "\n".join(f"  {code:>3}  {text}" for code, text in messages.EXIT_CODES)
    top = argparse.ArgumentParser(
        prog="ilert-pkce",
        description="Sign in to ilert from a terminal (OAuth 2.0 authorization code + PKCE, "
        "loopback redirect) and read your ilert data.",
        epilog=f"Every setting also reads ILERT_PKCE_<NAME> (e.g. ILERT_PKCE_CLIENT_ID) and "
        f"the config file ~/.config/ilert-pkce/config.json.\n\nexit codes:\n{codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("server and app")
    group.add_argument("--preset", choices=list(options.PRESETS), help="default: ilert")
    group.add_argument("--client-id", help="your ilert app's client id")
    group.add_argument("--tenant", help="sign in at TENANT.ilert.com (preset tenant)")
    group.add_argument("--scope", help=f"default: {options.Settings().scope}")
    group.add_argument("--ilert-host", help="where the sign-in page is")
    group.add_argument("--api-base", help="the API and token endpoints' base")
    group.add_argument("--issuer", help="custom server: its issuer (RFC 8414 discovery)")
    group.add_argument("--authorize-url", help="custom server: authorize endpoint")
    group.add_argument("--token-url", help="custom server: token endpoint")
    group.add_argument("--revoke-url", help="custom server: revocation endpoint")
    group.add_argument("--info-url", help="custom server: token info / introspection endpoint")
    group.add_argument("--info-kind", choices=["token_info", "introspection"])
    group.add_argument(
        "--iss-parameter",
        choices=["required"],
        help="custom server: it names itself (iss, RFC 9207) on every answer; refuse one without",
    )
    group.add_argument("--config", metavar="FILE", help="config file (JSON)")
    group.add_argument("--timeout", type=float, help="seconds per HTTP request (default 30)")
    group.add_argument("--json", action="store_true", help="print results as JSON")
    group.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    subs = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    helps = {
        "login": "sign in in the browser and store the tokens",
        "whoami": "your ilert profile",
        "alerts": "open alerts (pending and accepted)",
        "sources": "alert sources",
        "oncall": "who is on call now",
        "token-info": "the stored token: scope, lifetime, claims, the server's token info",
        "refresh": "get a new access token now",
        "logout": "revoke the refresh token and forget the tokens",
    }
    for name in COMMANDS:
        sub = subs.add_parser(name, parents=[common], help=helps[name], description=helps[name])
        if name == "login":
            sub.add_argument(
                "--port",
                type=int,
                help=f"loopback port of the redirect (default {options.DEFAULT_PORT}; 0: any "
                "free port, for servers that follow RFC 8252 §7.3)",
            )
            sub.add_argument(
                "--redirect-uri",
                help="the exact loopback redirect URI registered for your app "
                f"(default http://127.0.0.1:{options.DEFAULT_PORT}/callback)",
            )
            sub.add_argument("--no-browser", action="store_true", help="print the address only")
            sub.add_argument(
                "--wait", type=float, help="seconds to wait for the sign-in (default 300)"
            )
    return top


def _flags(args: argparse.Namespace) -> dict:
    names = (*options.FIELDS, *options.OWN)
    return {k: getattr(args, k) for k in names if getattr(args, k, None) is not None}


async def run(args: argparse.Namespace, out: Console) -> int:
    if args.command == "login":
        return await login(options.resolve(_flags(args), args.config), out, args.no_browser)
    # The other commands talk to the server the stored session came from.
    timeout = options.http_timeout(_flags(args), args.config)
    if args.command == "token-info":
        return await token_info(timeout, out)
    if args.command == "refresh":
        return await refresh(timeout, out)
    if args.command == "logout":
        return await logout(timeout, out)
    return await api_command(args.command, timeout, out)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    out = Console(args.json, args.quiet)
    try:
        return asyncio.run(run(args, out))
    except KeyboardInterrupt:
        out.error("Cancelled.")
        return messages.CANCELLED
    except Exception as exc:  # every error as one plain line, never a traceback
        out.error(messages.message(exc))
        return messages.exit_code(exc)


if __name__ == "__main__":
    sys.exit(main())
