"""Running the tooling command (``python -m scripts``) as an operator would, in a subprocess."""

import subprocess
from pathlib import Path

from scripts.cli import command


def run_tooling(*args: str, cwd: Path, url: str) -> subprocess.CompletedProcess[str]:
    """``python -m scripts ARGS`` in ``cwd`` against the database at ``url``."""
    argv, env = command(*args)
    return subprocess.run(
        argv,
        cwd=cwd,
        env={**env, "SERVEMATCH_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
