"""Teaching mode's content: what the page shows when it pauses before a step.

Pure functions returning plain data (``Lesson`` → ``Section`` → ``Row``); the page renders
every value as text. The rules for secrets are enforced here, in one place, so the page
cannot break them by accident:

* A secret is shown only through ``reveal``: only the PKCE verifier, the authorization
  code and the state, only when the caller says it is spent (``spent=True``, keyword only,
  and exactly ``True``), and never anything that looks like a token.
* Tokens are never shown: the access token is still valid (its claims are decoded
  instead) and a refresh token is refused outright, also for claim decoding.
* Nothing here logs or stores anything; the page must not either (it drops the values when
  the panel closes).

When things are spent: the state once the callback has been checked against the stored
one (it is deleted then); the code and the verifier once the code exchange has been
answered (a code works once, and the verifier is useless without it).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from app.core import jwt_display, pkce
from app.core.flowlog import CODE_KEYS, SECRET_KEYS, Entry, redact_text

HIDDEN_UNTIL_BACK = "(hidden until it comes back)"
HIDDEN_UNTIL_EXCHANGED = "(hidden until it has been exchanged)"
HIDDEN_UNTIL_CHECKED = "(hidden until it has been checked)"
NEVER_SHOWN = "(received; never shown)"
ACCESS_TOKEN_HIDDEN = "(hidden: it is still valid; its claims are decoded below)"

# Secrets that may be revealed once spent, and how they are named on screen.
REVEALABLE = {"code": "authorization code", "code_verifier": "PKCE verifier", "state": "state"}
_MAX_SECRET = 512
_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of 32 bytes, no padding


class SecretRefused(ValueError):
    """Raised when a caller asks to show what teaching mode must never show."""


class Row(NamedTuple):
    key: str  # machine name (the page puts it in data-key; tests find values by it)
    name: str  # what the viewer reads
    value: str
    note: str = ""


class Section(NamedTuple):
    heading: str
    rows: tuple[Row, ...]
    note: str = ""
    check: bool | None = None  # a check's result (the page sets data-check="yes"/"no")


class Lesson(NamedTuple):
    phase: str  # the step it explains (app.core.diagram.PHASES)
    title: str
    text: str  # a short plain explanation
    sections: tuple[Section, ...] = ()
    check: bool | None = None  # the PKCE check's result, when the lesson has one

    def as_text(self) -> str:
        """Plain text of the whole lesson (for copying, and readable in tests)."""
        lines = [self.title, self.text]
        for section in self.sections:
            lines.append(f"\n{section.heading}")
            lines += [
                f"  {r.name}: {r.value}" + (f"  ({r.note})" if r.note else "") for r in section.rows
            ]
            if section.note:
                lines.append(f"  {section.note}")
        return "\n".join(lines)


_ILERT_WORD = re.compile(r"\bilert\b")


def named(lesson: Lesson, server: str) -> Lesson:
    """The lesson about another server: its name for "ilert" in the explanations (titles,
    texts, headings, notes; never in a value shown, which is what the server sent)."""
    if server == "ilert":
        return lesson

    def say(text: str) -> str:
        return _ILERT_WORD.sub(server, text)

    sections = tuple(
        Section(
            say(s.heading),
            tuple(Row(r.key, r.name, r.value, say(r.note)) for r in s.rows),
            say(s.note),
            s.check,
        )
        for s in lesson.sections
    )
    return lesson._replace(title=say(lesson.title), text=say(lesson.text), sections=sections)


# --- the one gate for secrets --------------------------------------------------------------


def reveal(value: object, kind: str, *, spent: bool) -> str:
    """``value`` if teaching mode may show it, else ``SecretRefused``.

    ``kind`` must be one of ``REVEALABLE`` (tokens never are) and ``spent`` must be exactly
    ``True``: the caller states that this secret has been used up.
    """
    if kind not in REVEALABLE:
        raise SecretRefused(f"a {kind or 'secret'} is never shown")
    if spent is not True:
        raise SecretRefused(f"the {REVEALABLE[kind]} is shown only once it has been used up")
    if not isinstance(value, str) or not value or len(value) > _MAX_SECRET:
        raise SecretRefused(f"that is not a {REVEALABLE[kind]}")
    if redact_text(value) != value:  # a JWT (ilert's tokens are JWTs) or "Bearer …"
        raise SecretRefused("that looks like a token, and tokens are never shown")
    if kind == "code_verifier" and not pkce.is_valid_verifier(value):
        raise SecretRefused("that is not a PKCE verifier")
    return value


# --- before each step -------------------------------------------------------------------------

_STEPS = {
    "authorize": (
        "Going to ilert to sign in",
        "The page sends your browser to ilert's sign-in page with the request below. The "
        "PKCE verifier stays in this tab: only its fingerprint, the challenge, goes along, "
        "with a random state that must come back unchanged.",
    ),
    "callback": (
        "Back from ilert",
        "ilert sent your browser back with a one-time code and the state. The page compared "
        "the state with the one it stored before leaving, then deleted the stored one: a "
        "forged or replayed answer would not match.",
    ),
    "exchange": (
        "Exchanging the code for tokens",
        "The page posts the code and the PKCE verifier to ilert's token endpoint. ilert hashes "
        "the verifier and compares it with the challenge it got at sign-in: only this tab "
        "knows the verifier, so only this tab can redeem the code.",
    ),
    "api": (
        "Calling ilert's API",
        "The page calls ilert's API with the access token in the Authorization header (never "
        "in the URL). The API checks the token and its scope.",
    ),
    "refresh": (
        "Refreshing the access token",
        "The access token is about to expire, or was refused: the page trades the refresh "
        "token for a new access token at ilert's token endpoint. A refresh token is never "
        "shown, not even here.",
    ),
    "token_info": (
        "Asking ilert about the token",
        "The page asks ilert's token_info endpoint what it knows about the access token: "
        "whether it is active, for which user, with which scope.",
    ),
    "revoke": (
        "Signing out",
        "The page asks ilert to revoke the refresh token, then forgets every token. An access "
        "token already issued stays valid at ilert until it expires.",
    ),
}

PHASES = tuple(_STEPS)


def lesson(phase: str) -> Lesson:
    """The plain explanation shown before ``phase`` (one of ``PHASES``)."""
    if phase not in _STEPS:
        raise ValueError(f"no lesson for {phase!r}")
    title, text = _STEPS[phase]
    return Lesson(phase, title, text)


# --- before the redirect: the authorize request ----------------------------------------------

_PARAMS = {
    "client_id": "Which app is asking: the id ilert gave this app. Public, not a secret.",
    "response_type": "“code”: ilert answers with a one-time authorization code, never with "
    "tokens in the address bar.",
    "redirect_uri": "Where ilert sends the browser back. It must equal an address registered "
    "for the app exactly, so a code can only go to this page.",
    "scope": "What the app asks to do, separated by spaces. ilert lists it on its consent page "
    "and may grant less.",
    "state": "A random one-time value kept in this tab. It must come back unchanged: proof that "
    "the answer belongs to this sign-in.",
    "code_challenge": "BASE64URL(SHA-256(verifier)): a fingerprint of the PKCE verifier, a "
    "secret that stays in this tab. Check it after the exchange.",
    "code_challenge_method": "“S256”: the challenge is a SHA-256 hash of the verifier (never "
    "the verifier itself).",
}


def authorize_lesson(url: str) -> Lesson:
    """The authorize URL's parameters, one per row, each explained; the state stays hidden."""
    parts = urlsplit(url)
    endpoint = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    rows = [Row("endpoint", "address", endpoint, "ilert's authorize endpoint")]
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "state" or (key in SECRET_KEYS | CODE_KEYS and key not in _PARAMS):
            shown = HIDDEN_UNTIL_BACK
        else:
            shown = redact_text(value)
        rows.append(Row(key, key, shown, _PARAMS.get(key, "not explained here")))
    title, text = _STEPS["authorize"]
    return Lesson("authorize", title, text, (Section("The request", tuple(rows)),))


def challenge_from_log(entries: Sequence[Entry]) -> str | None:
    """The code_challenge of the latest sign-in, read back from the (redacted) flow log.

    The log keeps the authorize URL with its challenge (public) across the redirect, so this
    is the challenge that was really sent, not one recomputed from the verifier.
    """
    for entry in reversed(entries):
        data = entry.request if isinstance(getattr(entry, "request", None), dict) else {}
        url = data.get("authorize_url")
        if isinstance(url, str):
            try:
                query = dict(parse_qsl(urlsplit(url).query))
            except ValueError:
                return None
            challenge = query.get("code_challenge", "")
            return challenge if _CHALLENGE_RE.match(challenge) else None
    return None


# --- after the callback, before the exchange ---------------------------------------------------


def callback_lesson(
    params: Mapping[str, str], stored_state: str | None, *, state_checked: bool
) -> Lesson:
    """The callback's parameters: the code hidden (not yet exchanged), the states compared.

    ``state_checked`` says the page has compared and deleted the stored state (it is spent);
    before that both states stay hidden.
    """
    received = params.get("state") or ""
    rows: list[Row] = []
    if "error" in params:
        rows.append(Row("error", "error", redact_text(str(params["error"])), "why ilert said no"))
        if params.get("error_description"):
            rows.append(
                Row("error_description", "description", redact_text(params["error_description"]))
            )
    if params.get("code"):
        rows.append(Row("code", "code", HIDDEN_UNTIL_EXCHANGED, "one use, valid for minutes"))
    section_note = ""
    same: bool | None = None
    if state_checked is True and received and stored_state:
        same = hmac.compare_digest(received.encode(), stored_state.encode())
        rows.append(Row("state", "state received", reveal(received, "state", spent=True)))
        rows.append(Row("stored_state", "state stored", reveal(stored_state, "state", spent=True)))
        rows.append(
            Row("state_match", "same?", "yes" if same else "no", "compared in constant time")
        )
        section_note = (
            "The state matches: this answer belongs to the sign-in this tab started."
            if same
            else "The state does not match: the page refuses this answer."
        )
    else:
        rows.append(Row("state", "state", HIDDEN_UNTIL_CHECKED))
    title, text = _STEPS["callback"]
    return Lesson(
        "callback", title, text, (Section("The answer", tuple(rows), section_note, same),)
    )


# --- after the exchange: code, PKCE check, tokens, claims ---------------------------------------


class PkceCheck(NamedTuple):
    challenge: str  # as sent in the authorize request
    verifier: str  # revealed: spent
    sha256_hex: str
    sha256_b64url: str
    matches: bool

    def rows(self) -> tuple[Row, ...]:
        return (
            Row("code_challenge", "challenge sent", self.challenge, "in the authorize request"),
            Row("code_verifier", "verifier", self.verifier, "sent only with the code exchange"),
            Row("sha256_hex", "SHA-256(verifier), hex", self.sha256_hex),
            Row("sha256_b64url", "the same, base64url", self.sha256_b64url, "no '=' padding"),
            Row("pkce_match", "equal to the challenge?", "yes" if self.matches else "no"),
        )


def pkce_check(challenge: str, verifier: str, *, spent: bool) -> PkceCheck:
    """The viewer's check ``challenge == BASE64URL(SHA256(verifier))``, with every stage shown."""
    shown = reveal(verifier, "code_verifier", spent=spent)
    digest = hashlib.sha256(shown.encode("ascii")).digest()
    b64 = pkce.b64url(digest)
    same = hmac.compare_digest(b64.encode(), str(challenge).encode())
    return PkceCheck(str(challenge), shown, digest.hex(), b64, same)


_TOKEN_FIELDS = (
    ("token_type", "how to send it"),
    ("expires_in", "seconds the access token lives"),
    ("scope", "what was granted (may be less than asked)"),
    ("access_token", "the key to the API"),
    ("refresh_token", "gets new access tokens (with offline_access)"),
    ("refresh_token_expires_in", "seconds the refresh token lives"),
)


def token_rows(response: Mapping[str, object]) -> tuple[Row, ...]:
    """The token response field by field; token values are never read, only named."""
    data = dict(response)
    if "expires_in" not in data and isinstance(data.get("expires_at"), (int, float)):
        obtained = data.get("obtained_at")
        if isinstance(obtained, (int, float)) and obtained:  # a stored TokenSet
            data["expires_in"] = round(data["expires_at"] - obtained)
    rows = []
    for key, note in _TOKEN_FIELDS:
        value = data.get(key)
        if key == "access_token":
            shown = ACCESS_TOKEN_HIDDEN if value else "(none)"
        elif key == "refresh_token":
            shown = NEVER_SHOWN if value else "(none: offline_access was not granted)"
        elif value is None or value == "":
            continue
        else:
            shown = redact_text(str(value))
        rows.append(Row(key, key, shown, note))
    for key, value in data.items():  # anything else ilert sent; secrets by name stay hidden
        if key in dict(_TOKEN_FIELDS) or key in ("expires_at", "obtained_at", "refresh_expires_at"):
            continue
        shown = "(hidden)" if str(key).lower() in SECRET_KEYS else redact_text(str(value))
        rows.append(Row(str(key), str(key), shown))
    return tuple(rows)


def claims_section(access_token: str) -> Section:
    """The access token's header and claims, decoded (not verified); refresh tokens refused."""
    decoded = jwt_display.decode(access_token)
    if decoded.error:
        return Section("Claims of the access token", (), decoded.error)
    kind = decoded.payload.get("il_t")
    if kind is not None and kind != "ACCESS":
        raise SecretRefused("claims are shown for an access token only, never a refresh token")
    rows = [Row("alg", "header: alg", str(decoded.header.get("alg", "?")), "signature algorithm")]
    rows += [
        Row(f"claim:{key}", key, value, meaning)
        for key, meaning, value in jwt_display.claim_rows(decoded.payload)
    ]
    note = "Decoded for display only: this client does not verify the signature; the API does."
    return Section("Claims of the access token", tuple(rows), note)


def exchange_lesson(
    *,
    code: str,
    verifier: str,
    challenge: str | None,
    tokens: Mapping[str, object] | None,
    spent: bool,
) -> Lesson:
    """After the exchange: the code and verifier (spent), the PKCE check, tokens and claims.

    ``challenge`` is the one sent (``challenge_from_log``); without it the check is skipped
    and the lesson says why. ``tokens`` is the token response or ``TokenSet.to_dict()``, or
    None when ilert refused the exchange (the code is spent all the same).
    """
    shown_code = reveal(code, "code", spent=spent)
    sections = [Section("The code", (Row("code", "code", shown_code, "now used up"),))]
    check: bool | None = None
    if challenge:
        result = pkce_check(challenge, verifier, spent=spent)
        check = result.matches
        note = (
            "Equal: ilert could make the same computation, so the verifier proves that this "
            "tab started the sign-in."
            if result.matches
            else "Not equal: this verifier does not belong to that challenge."
        )
        sections.append(Section("Check PKCE yourself", result.rows(), note, result.matches))
    else:
        shown = reveal(verifier, "code_verifier", spent=spent)
        sections.append(
            Section(
                "Check PKCE yourself",
                (Row("code_verifier", "verifier", shown),),
                "The challenge sent is no longer in the flow log, so there is nothing to "
                "compare with.",
            )
        )
    if tokens is None:
        text = "ilert refused the exchange, so there are no tokens. The code is used up anyway."
        return Lesson("exchange", "The code exchange was refused", text, tuple(sections), check)
    sections.append(Section("The token response", token_rows(tokens)))
    access = tokens.get("access_token")
    sections.append(claims_section(access if isinstance(access, str) else ""))
    return Lesson(
        "exchange",
        "Signed in: the code was exchanged",
        "ilert accepted the code and the verifier and answered with tokens. The code and the "
        "verifier are used up now, so here they are, with the arithmetic to check.",
        tuple(sections),
        check,
    )
