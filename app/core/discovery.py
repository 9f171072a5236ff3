"""RFC 8414 discovery over an injected transport: find an issuer's metadata document.

The page (Settings → Fill from issuer) and the terminal client both use this; what the
documents mean is decided in ``app.core.servers`` (pure), this only fetches them in order.
"""

from __future__ import annotations

from app.core import servers
from app.core.errors import ResponseTooLarge
from app.core.flowlog import FlowLog
from app.core.http import DEFAULT_TIMEOUT, HttpRequest, Transport
from app.core.settings import Settings


class MetadataNotFound(Exception):
    """No metadata document answered; ``tried`` says what each address gave."""

    def __init__(self, tried: list[str]) -> None:
        super().__init__("; ".join(tried))
        self.tried = tried


async def discover(
    settings: Settings,
    transport: Transport,
    timeout: float = DEFAULT_TIMEOUT,
    log: FlowLog | None = None,
) -> tuple[servers.Discovered, str]:
    """The custom-server settings from ``settings.issuer``'s metadata, and where found.

    Tries /.well-known/oauth-authorization-server, then openid-configuration, reading at
    most ``servers.METADATA_MAX_BYTES`` of each. Raises
    urls.SettingsError for an unusable issuer or document (its issuer must be identical),
    MetadataNotFound when no address gave a 200.
    """
    issuer = settings.issuer
    tried: list[str] = []
    for url in servers.metadata_urls(issuer):
        request = HttpRequest(
            "GET", url, (("Accept", "application/json"),), max_bytes=servers.METADATA_MAX_BYTES
        )
        try:
            resp = await transport.send(request, timeout)
        except ResponseTooLarge:
            kb = servers.METADATA_MAX_BYTES // 1024
            tried.append(f"{url}: larger than {kb} kB (a metadata document is a few kB), not read")
            continue
        except Exception as exc:
            tried.append(f"{url}: no answer ({type(exc).__name__})")
            continue
        if log is not None:
            log.http("GET", url, resp.status, resp.elapsed_ms, {}, {})
        if resp.status != 200:
            tried.append(f"{url}: HTTP {resp.status}")
            continue
        found = servers.from_metadata(issuer, resp.json_or_none(), settings, settings.api_base)
        return found, url
    raise MetadataNotFound(tried)
