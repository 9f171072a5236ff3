"""Adapters from the browser to the core: fetch, Web Storage, popups, tabs, WebCrypto."""
