"""Tooling around the service, never imported by it: the demo loader, the network generator,
the benchmark, the soak test and backup checks.

``python -m scripts demo`` and ``python -m scripts generate`` (from a checkout) run the first
two; ``scripts/bench.py``, ``scripts/soak.py`` and ``scripts/backup_restore.py`` the others.
"""
