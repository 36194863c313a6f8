"""``python -m scripts``: the tooling commands (see :mod:`scripts.cli`)."""

from scripts.cli import app

app(prog_name="python -m scripts")
