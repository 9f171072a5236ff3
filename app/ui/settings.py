"""The settings form: OAuth settings, the scope picker, and the HTTP transport and timeout."""

from __future__ import annotations

from app import browser as b
from app import config, grants, scopes, storage
from app.keys import SETTINGS_KEY, TRANSPORT_KEY
from app.net_settings import TRANSPORTS, NetSettings, parse_timeout
from app.ui import notices

FIELDS = ("client_id", "ilert_host", "tenant", "api_base", "redirect_uri")


def saved(local_store: storage.Storage) -> dict | None:
    data = storage.get_json(local_store, SETTINGS_KEY)
    return data if isinstance(data, dict) else None


def saved_net(local_store: storage.Storage) -> NetSettings:
    return NetSettings.from_dict(storage.get_json(local_store, TRANSPORT_KEY))


def draw(app) -> None:
    for field in FIELDS:
        b.by_id(f"set-{field}").value = getattr(app.settings, field)
    b.by_id("set-redirect_uri").placeholder = config.page_base_url(b.page_url())
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
    if target_id == "scope-offline_access":
        app.picker.set(scopes.OFFLINE_ACCESS, "on" if target.checked else "")
    elif target_id.startswith("scope-"):
        app.picker.set(target_id[len("scope-") :], str(target.value))
    else:
        return
    b.by_id("scope-string").textContent = app.picker.scope() or "(nothing selected)"


def save(app, event: object) -> None:
    event.preventDefault()
    values = {f: str(b.by_id(f"set-{f}").value) for f in FIELDS}
    values["scope"] = app.picker.scope()
    new = config.Settings.from_dict(values)
    problems = config.validate(new)
    timeout, problem = parse_timeout(str(b.by_id("set-timeout").value))
    if problem:
        problems.append(problem)
    box = b.by_id("settings-errors")
    b.clear(box)
    if problems:
        box.append(b.el("p", "Please fix:"))
        listing = b.el("ul")
        for text in problems:
            listing.append(b.el("li", text))
        box.append(listing)
        box.hidden = False
        return
    box.hidden = True
    net = NetSettings.from_dict(
        {"transport": str(b.by_id("set-transport").value), "timeout": timeout}
    )
    app.apply_settings(new, net)
    storage.set_json(app.local_store, SETTINGS_KEY, config.saved_diff(app.defaults, new))
    if net == NetSettings():
        app.local_store.remove(TRANSPORT_KEY)
    else:
        storage.set_json(app.local_store, TRANSPORT_KEY, net.to_dict())
    app.log.step("Settings saved", **new.to_dict(), **net.to_dict())
    notices.status("Settings saved. They apply to the next sign-in.")


def reset(app) -> None:
    app.local_store.remove(SETTINGS_KEY)
    app.local_store.remove(TRANSPORT_KEY)
    app.apply_settings(config.merge(app.defaults, None), NetSettings())
    draw(app)
    b.by_id("settings-errors").hidden = True
    notices.status("Settings reset to the defaults.")


def open_panel() -> None:
    b.by_id("settings").open = True
    b.by_id("set-client_id").focus()
