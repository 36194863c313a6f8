"""Generate a synthetic network: ``python scripts/generate.py --members N --needs M [--seed S]``.

The same as ``servematch generate`` (all its options, ``--help`` included), for running from a
checkout; the work is in ``api.generate``.
"""

import sys

from api.cli import app

if __name__ == "__main__":
    app(args=["generate", *sys.argv[1:]], prog_name="scripts/generate.py")
