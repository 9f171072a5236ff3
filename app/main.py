"""Browser entry point (placeholder until the page lands): mark the runtime ready."""

import sys

from pyscript import document

document.getElementById("boot").hidden = True
document.getElementById("sign-in").disabled = False
document.documentElement.setAttribute("data-python-version", sys.version.split()[0])
document.documentElement.setAttribute("data-app-ready", "")
