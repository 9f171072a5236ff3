"""CPython's side: urllib as a transport, for the terminal client, tests and tools (and,
through pyodide-http, the page's opt-in synchronous comparison transport)."""
