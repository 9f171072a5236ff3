"""The ilert PKCE single-page app, in layers (each imports only from those above it):

- ``boot``: what ``app.main`` runs before "Sign in" works (static/app.zip);
- ``core``: the pure core, shared with the terminal client: no I/O, no ``js``;
- ``browser`` and ``native``: adapters to the browser and to CPython's urllib;
- ``ui``: the page.
"""
