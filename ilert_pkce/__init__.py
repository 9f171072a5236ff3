"""ilert-pkce: the native terminal client (RFC 8252) on the page's OAuth core (``app``)."""
