"""``ServerHandle``: a running emulator server (what ``Emulator.serve()`` returns)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from werkzeug.serving import BaseWSGIServer

from .context import Controls


@dataclass
class ServerHandle:
    """A running emulator server: ``url`` is ``http://localhost:PORT``."""

    server: BaseWSGIServer
    thread: threading.Thread
    emulator: Controls

    @property
    def port(self) -> int:
        return int(self.server.port)

    @property
    def host(self) -> str:
        return str(self.server.host)

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def tenant_url(self, tenant: str | None = None) -> str:
        """``http://TENANT.localhost:PORT`` (the demo tenant by default)."""
        return f"http://{tenant or self.emulator.state.tenant['name']}.localhost:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
