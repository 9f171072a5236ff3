"""The pure core: protocol, policy and models, shared by the page and the terminal client.

Nothing here does I/O or imports ``js`` or ``pyodide`` (tests/unit/test_layers.py): requests
are built and answers read as values, sent by a transport the caller injects.
"""
