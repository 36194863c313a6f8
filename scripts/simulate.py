"""Entry point of ``make simulate``: see ``scripts/simulate/`` and ``--help``.

Run as a file, ``scripts/`` is first on the import path; the repository root is added so the
package is imported as ``scripts.simulate`` here and in the tests alike.
"""

import sys
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from scripts.simulate.cli import main

if __name__ == "__main__":
    sys.exit(main())
