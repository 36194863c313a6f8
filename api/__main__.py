"""``python -m api`` runs the ``servematch`` command."""

from api.cli import app

app()
