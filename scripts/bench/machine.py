"""Facts about the machine and software a run measured on, for the report's header."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text


def facts(*, postgres_url: str | None) -> dict[str, str]:
    """Label -> value, in the order the report lists them."""
    found = {
        "date (UTC)": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "commit": _git_commit(),
        "CPU": f"{_cpu_model()}; {len(os.sched_getaffinity(0))} cores usable",
        "RAM": f"{_memory_gb():.1f} GB",
        "kernel": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
    }
    if postgres_url is not None:
        found.update(_postgres_versions(postgres_url))
    found["wrk"] = _wrk_version()
    return found


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: how busy the shared machine was."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def _git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit} (with uncommitted changes)" if dirty else commit


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _postgres_versions(url: str) -> dict[str, str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            server = connection.scalar(text("SHOW server_version"))
            postgis = connection.scalar(
                text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
            ) or connection.scalar(
                text("SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'")
            )
    except Exception as error:  # the report should still be written without PostgreSQL
        return {"PostgreSQL": f"unreachable ({type(error).__name__})"}
    finally:
        engine.dispose()
    return {"PostgreSQL": str(server), "PostGIS": str(postgis)}


def _wrk_version() -> str:
    try:
        shown = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    except OSError:
        return "not installed"
    first = (shown.stdout or shown.stderr).splitlines()
    return first[0].split(" Copyright")[0] if first else "unknown"
