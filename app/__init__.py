"""The ilert PKCE single-page app.

Everything in this package except ``main``, ``browser`` and ``page`` is plain Python
that runs (and is tested) in CPython; those three talk to the browser.
"""
