"""A Django project that runs django-oauth-toolkit (DOT) on ilert's OAuth paths.

It is the independent witness for the interop tests: the OAuth logic is DOT's and oauthlib's,
nobody here wrote it; this package only configures it (settings, urls) and adds the minimum of
glue (a profile endpoint, a demo user and public app, a test-only control endpoint).
Start it with ``python -m tests.interop.server`` (see ``__main__.py``); tests use
``tests/interop/witness.py``.
"""
