"""Entry point of ``make bench`` / ``make bench-quick``: see ``scripts/bench/`` and ``--help``.

Run as a file, ``scripts/`` is first on the import path; the repository root is added so the
package is imported as ``scripts.bench`` here and in the tests alike (and can reach the
tooling command, ``scripts.cli``, that generates its networks).
"""

import sys
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from scripts.bench.cli import main

if __name__ == "__main__":
    sys.exit(main())
