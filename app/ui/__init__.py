"""The page, one module per part (only these, ``app.browser.web`` and ``app.main`` touch the DOM).

- ``app``: the App — boot, sign-in, the redirect, refresh, sign-out; carries out the
  decisions of ``app.core.flow`` (the session state machine).
- ``actions``: running actions as asyncio tasks (buttons, busy state, cancel, retry).
- ``notices``: the status line and the notice box with its ways forward.
- ``token_panel``: the token card (scope, countdown, claims, token info).
- ``panels``: loads the four data panels concurrently, each with its own error.
- ``profile``, ``sources``, ``alerts``, ``oncall``: one data panel each (loading and drawing).
- ``settings``: the settings form, the scope picker, the HTTP transport choice.
- ``log``: the flow log view.
- ``diagram_view``: the live sequence diagram (``app.core.diagram``), built when first seen.
- ``teaching_view``: teaching mode's setting and its pauses (``app.core.teaching``).
"""
