"""Generate a network end to end: migrate, check the target is empty, synthesize, load, hand
over keys. What the ``python -m scripts generate`` command runs.
"""

import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from api.db import migrate
from api.db.engine import make_engine
from scripts.generate.api_keys import bench_keys, write_keys_file
from scripts.generate.guard import refuse_if_loaded
from scripts.generate.load import load, timestamps_for
from scripts.generate.report import Reporter, Silent
from scripts.generate.rows import network_tables
from scripts.generate.synthesis import synthesize


@dataclass(frozen=True)
class Generated:
    """What was loaded, and how long each half took."""

    rows: dict[str, int]
    synthesis_s: float
    load_s: float
    keys_path: Path


def check_empty(url: str) -> None:
    """Fail fast (``NetworkExists``) before minutes of synthesis; loaders check again."""
    engine = make_engine(url)
    try:
        connection = engine.raw_connection()
        try:
            refuse_if_loaded(connection.cursor())
        finally:
            connection.close()
    finally:
        engine.dispose()


def generate(
    url: str,
    *,
    members: int,
    needs: int,
    seed: int,
    start: date,
    country: str = "GB",
    keys_out: Path,
    cell_km: float,
    reporter: Reporter | None = None,
) -> Generated:
    """Load a synthetic network into the empty database at ``url``; write its keys file.

    ``cell_km`` is the coarsening cell of private places (``location_coarsening_km``).
    """
    reporter = reporter or Silent()
    migrate.upgrade(url)
    check_empty(url)
    began = time.perf_counter()
    reporter.step("synthesizing")
    network = synthesize(members=members, needs=needs, seed=seed, start=start, country=country)
    keys = bench_keys(network)
    synthesized = time.perf_counter()
    timestamps = timestamps_for(url)
    tables = network_tables(network, timestamps=timestamps, cell_km=cell_km)
    tables.append(keys.table(now_s=int(time.time()), timestamps=timestamps))
    load(url, tables, reporter=reporter)
    write_keys_file(keys_out, keys.document)
    return Generated(
        rows={table.name: table.size for table in tables},
        synthesis_s=synthesized - began,
        load_s=time.perf_counter() - synthesized,
        keys_path=keys_out,
    )
