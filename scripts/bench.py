"""Entry point of ``make bench`` / ``make bench-quick``: see ``scripts/bench/`` and ``--help``.

Run as a file (``python scripts/bench.py``), this directory is first on the import path, so
``bench`` below is the package ``scripts/bench/`` (a package wins over a same-named module).
"""

import sys

from bench.cli import main

if __name__ == "__main__":
    sys.exit(main())
