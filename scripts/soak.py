"""Entry point of ``make soak``: see ``scripts/soak/`` and ``--help``.

Run as a file, ``scripts/`` is first on the import path; the repository root is added so the
package is imported as ``scripts.soak`` here and in the tests alike (and can reuse
``scripts.bench``'s server runner).
"""

import sys
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from scripts.soak.cli import main

if __name__ == "__main__":
    sys.exit(main())
