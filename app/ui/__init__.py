"""The page, one module per part (only these, ``app.browser.web`` and ``app.main`` touch the DOM).

- ``app``: the App, the shell — builds the page, wires it, holds what the parts share.
- ``driver``: the one place that changes the flow state: decides each event with
  ``app.core.flow`` (the session state machine) and carries the decision out, every send too.
- ``signin``: starting a sign-in (popup or redirect), the answer coming back, the code exchange.
- ``signin_popup``: a popup sign-in (open, wait, finish or cancel).
- ``token_actions``: refresh, token info, sign-out (revoke).
- ``tab_sync``: what a tab does when another tab of its session refreshed or signed out.
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
