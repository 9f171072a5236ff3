"""``python3 -m ilert_pkce``: the same as the ``ilert-pkce`` command."""

import sys

from ilert_pkce.cli import main

sys.exit(main())
