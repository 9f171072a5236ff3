"""A stand-in for the system browser (``BROWSER="python3 fake_browser.py FILE %s"``): it
writes the address it was asked to open to FILE, for the test that plays the browser."""

import sys
from pathlib import Path

if __name__ == "__main__":
    target, url = Path(sys.argv[1]), sys.argv[2]
    tmp = target.with_suffix(".tmp")
    tmp.write_text(url, encoding="utf-8")
    tmp.replace(target)  # whole or not at all: the test polls for it
