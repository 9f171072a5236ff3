"""The settings form: OAuth settings, the scope picker, and the HTTP transport and timeout."""

from __future__ import annotations

from app.boot.address import page_base_url
from app.boot.keys import SETTINGS_KEY, TRANSPORT_KEY
from app.browser import web as b
from app.core import grants, scopes, storage, trust, urls
from app.core import settings as settings_model
from app.core.net_settings import TRANSPORTS, NetSettings, parse_timeout
from app.ui import notices

SAVED = "Settings saved. They apply to the next sign-in."  # the status after any save

FIELDS = (
    "client_id",
    "ilert_host",
    "tenant",
    "api_base",
    "redirect_uri",
    "issuer",
    *settings_model.SERVER_FIELDS,
)


def saved(local_store: storage.Storage) -> object:
    """The stored settings (untrusted): a dict, None, or junk (which
    ``settings_model.load`` refuses)."""
    data, junk = storage.read_json(local_store, SETTINGS_KEY)
    if junk:
        return junk  # not a dict: the page says the saved settings were unreadable
    return data if isinstance(data, dict) else None


def saved_net(local_store: storage.Storage) -> tuple[NetSettings, str]:
    """The stored transport and timeout, and why they were dropped ("" when they were not)."""
    data, junk = storage.read_json(local_store, TRANSPORT_KEY)
    problem = "the saved HTTP transport settings are unreadable" if junk else ""
    return NetSettings.from_dict(data), problem


def draw_fields(app, settings: settings_model.Settings) -> None:
    """The server part of the form: preset choice, and the fields that preset uses."""
    from app.core import servers

    select = b.by_id("set-preset")
    if not select.hasChildNodes():
        for item in servers.presets(app.defaults):
            select.append(b.el("option", item.label, value=item.key))
    key = servers.active_preset(settings, app.defaults)
    select.value = key
    b.by_id("preset-description").textContent = servers.preset(key, app.defaults).description
    for field in FIELDS:
        b.by_id(f"set-{field}").value = getattr(settings, field)
    b.by_id("set-scope").value = settings.scope
    b.by_id("ilert-fields").hidden = settings.custom
    b.by_id("custom-fields").hidden = not settings.custom
    # ilert's scope picker for ilert; another server's scopes are typed as they are named.
    b.by_id("scope-picker").hidden = settings.custom
    b.by_id("scope-string").parentElement.hidden = settings.custom


def show_active(app) -> None:
    """Which preset the settings in use are (shown above the form)."""
    from app.core import servers

    key = servers.active_preset(app.settings, app.defaults)
    shown = b.by_id("preset-active")
    shown.textContent = servers.preset(key, app.defaults).label
    shown.setAttribute("data-preset", key)


def form_settings(app, custom: bool | None = None) -> settings_model.Settings:
    """The settings the form shows now (not validated, not saved).

    ``custom``: read the form as the custom-server layout (default: as the preset chosen).
    """
    values = {f: str(b.by_id(f"set-{f}").value) for f in FIELDS}
    custom = custom_chosen() if custom is None else custom
    values["server"] = settings_model.SERVER_CUSTOM if custom else settings_model.SERVER_ILERT
    if values["server"] == settings_model.SERVER_CUSTOM:
        values["scope"] = str(b.by_id("set-scope").value)
    else:
        values["scope"] = app.picker.scope() if app.picker else app.settings.scope
    return settings_model.Settings.from_dict(values)


def custom_chosen() -> bool:
    return str(b.by_id("set-preset").value) == "custom"


def on_preset_change(app) -> None:
    from app.core import servers

    key = str(b.by_id("set-preset").value)
    # The form as it was before this choice (custom or ilert layout: which fields showed).
    current = form_settings(app, custom=not b.by_id("custom-fields").hidden)
    chosen = servers.apply_preset(current, key, app.defaults, tenant=current.tenant)
    draw_fields(app, chosen)
    b.by_id("preset-description").textContent = servers.preset(key, app.defaults).description
    b.by_id("set-preset").value = key


def draw(app) -> None:
    draw_fields(app, app.settings)
    show_active(app)
    b.by_id("set-redirect_uri").placeholder = page_base_url(b.page_url())
    rows = b.by_id("scope-rows")
    if not rows.hasChildNodes():
        for info in scopes.SCOPES:
            row = b.el("div", cls="scope-row")
            row.append(b.el("label", f"{info.name} ({info.title})", for_=f"scope-{info.name}"))
            select = b.el("select", id=f"scope-{info.name}", name=info.name)
            for value, text in grants.CHOICES:
                select.append(b.el("option", text, value=value))
            row.append(select)
            rows.append(row)
    app.picker = grants.Picker.from_scope(app.settings.scope)
    for info in scopes.SCOPES:
        b.by_id(f"scope-{info.name}").value = app.picker.levels.get(info.name, "")
    b.by_id("scope-offline_access").checked = app.picker.offline_access
    b.by_id("scope-string").textContent = app.picker.scope() or "(nothing selected)"
    select = b.by_id("set-transport")
    if not select.hasChildNodes():
        for value, text in TRANSPORTS.items():
            select.append(b.el("option", text, value=value))
    select.value = app.net.transport
    b.by_id("set-timeout").value = f"{app.net.timeout:g}"


def on_picker_change(app, event: object) -> None:
    target = event.target
    target_id = str(target.id or "")
    if target_id == "set-preset":
        on_preset_change(app)
        return
    if target_id == "scope-offline_access":
        app.picker.set(scopes.OFFLINE_ACCESS, "on" if target.checked else "")
    elif target_id.startswith("scope-"):
        app.picker.set(target_id[len("scope-") :], str(target.value))
    else:
        return
    b.by_id("scope-string").textContent = app.picker.scope() or "(nothing selected)"


def save(app, event: object) -> None:
    event.preventDefault()
    new = form_settings(app)
    problems = settings_model.validate(new)
    timeout, problem = parse_timeout(str(b.by_id("set-timeout").value))
    if problem:
        problems.append(problem)
    if problems:
        show_problems(problems)
        return
    hide_problems()
    session = app.session if app.has_stored_session() else None
    bound = session.endpoints if session is not None and session.signed_in else None
    moved = trust.changes_server(bound, new)
    net = NetSettings.from_dict(
        {"transport": str(b.by_id("set-transport").value), "timeout": timeout}
    )
    app.apply_settings(new, net)
    storage.set_json(app.local_store, SETTINGS_KEY, settings_model.saved_diff(app.defaults, new))
    app.before_fill = None  # what was filled is saved now
    if net == NetSettings():
        app.local_store.remove(TRANSPORT_KEY)
    else:
        storage.set_json(app.local_store, TRANSPORT_KEY, net.to_dict())
    app.log.step("Settings saved", **new.to_dict(), **net.to_dict())
    show_active(app)
    if moved and bound is not None:
        # True: the session stays bound to its server (app.core.session records it).
        notices.status("Settings saved.")
        notices.offer_sign_out(
            f"Settings saved. You stay signed in to {urls.origin(bound.token)}: this session "
            "keeps using that server until you sign out, and the new server applies from the "
            "next sign-in. Or sign out now."
        )
    else:
        notices.status(SAVED)


def reset(app) -> None:
    app.local_store.remove(SETTINGS_KEY)
    app.local_store.remove(TRANSPORT_KEY)
    app.apply_settings(settings_model.merge(app.defaults, None), NetSettings())
    app.before_fill = None
    draw(app)
    b.by_id("issuer-notes").hidden = True
    hide_problems()
    notices.status("Settings reset to the defaults.")


def open_panel() -> None:
    b.by_id("settings").open = True
    b.by_id("set-client_id").focus()


async def fill_from_issuer(app) -> None:
    """RFC 8414 metadata of the issuer typed in: fill the custom-server fields from it.

    Tries /.well-known/oauth-authorization-server, then openid-configuration; the document
    (at most ``servers.METADATA_MAX_BYTES``) is validated (its issuer must be identical)
    before anything is filled in. A failed fill puts the filled fields back as they were
    before the first unsaved fill (``servers.unfilled``).
    """
    from app.core import servers
    from app.core.discovery import MetadataNotFound, discover

    notes = b.by_id("issuer-notes")
    hide_problems()
    notes.hidden = True
    current = form_settings(app)
    if app.before_fill is None:
        app.before_fill = current

    def failed(problems: list[str]) -> None:
        draw_fields(app, servers.unfilled(form_settings(app), app.before_fill))
        show_problems(problems)

    try:
        found, url = await discover(current, app.transport, app.net.timeout, app.log)
    except urls.SettingsError as exc:
        failed(exc.problems)
        return
    except MetadataNotFound as exc:
        failed(
            [
                "no metadata found for this issuer ("
                + "; ".join(exc.tried)
                + "). The page can only reach hosts named by its config.json "
                "(Content-Security-Policy)"
            ]
        )
        return
    draw_fields(app, found.settings)
    b.by_id("set-preset").value = "custom"
    text = "Filled from " + url + "."
    if found.notes:
        text += " Note: " + "; ".join(found.notes) + "."
    notes.textContent = text + " Check the fields, then save."
    notes.hidden = False
    notices.status("Endpoints filled from the issuer's metadata; not saved yet.")


def show_problems(problems: list[str]) -> None:
    box = b.by_id("settings-errors")
    b.clear(box)
    notices.status("")  # no stale "Settings saved" next to the problems
    box.append(b.el("p", "Please fix:"))
    listing = b.el("ul")
    for text in problems:
        listing.append(b.el("li", text))
    box.append(listing)
    box.hidden = False


def hide_problems() -> None:
    box = b.by_id("settings-errors")
    b.clear(box)
    box.hidden = True
