"""``python -m scripts.simulate``: see :mod:`scripts.simulate.cli`."""

import sys

from scripts.simulate.cli import main

sys.exit(main())
