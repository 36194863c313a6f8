"""The tooling command, ``python -m scripts``: load the demo network, generate a synthetic one.

Kept out of ``servematch`` (the service's own command) so the service never imports its
tooling. Commands import what they need lazily, so ``--help`` stays quick.
"""

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="ServeMatch tooling: the demo network and synthetic networks.")
console = Console(stderr=True)
DEMO_KEYS_FILE = Path("servematch-demo-keys.json")
REPOSITORY = Path(__file__).resolve().parents[1]
"""The checkout this package lives in: put it on PYTHONPATH to run ``python -m scripts``."""


def command(*arguments: str) -> tuple[list[str], dict[str, str]]:
    """How to run these commands in a subprocess (from any directory): argv and environment."""
    path = os.pathsep.join(filter(None, (str(REPOSITORY), os.environ.get("PYTHONPATH"))))
    return [sys.executable, "-m", "scripts", *arguments], {**os.environ, "PYTHONPATH": path}


@app.command()
def demo(
    if_empty: Annotated[bool, typer.Option(help="Do nothing if data exists.")] = False,
    reset: Annotated[
        bool, typer.Option(help="Erase the network (and its keys) first, then load it again.")
    ] = False,
) -> None:
    """Load the demo network (Bristol) and print keys to try it with."""
    from api.db.engine import make_engine, make_sessionmaker
    from api.db.types import utcnow
    from api.geocoding.service import configured_geocoder
    from api.settings import get_settings
    from scripts import demo as demo_network

    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            if reset:
                demo_network.reset(session)
            elif demo_network.is_loaded(session):
                if not if_empty:
                    raise typer.BadParameter(
                        "the database already has data; demo not loaded (--reset loads it anew)"
                    )
                console.print(f"demo already loaded; its keys are in {DEMO_KEYS_FILE}")
                return
            loaded = demo_network.load(
                session,
                now=utcnow(),
                cell_km=settings.location_coarsening_km,
                geocoder=configured_geocoder(settings),
            )
    finally:
        engine.dispose()
    DEMO_KEYS_FILE.write_text(json.dumps(asdict(loaded), indent=2) + "\n")
    os.chmod(DEMO_KEYS_FILE, 0o600)
    console.print("[bold]Demo network loaded.[/bold] Keys (also saved to", DEMO_KEYS_FILE, "):")
    for role, value in asdict(loaded).items():
        console.print(f"  {role:>12}: {value}")


@app.command()
def generate(
    members: Annotated[int, typer.Option(min=1, help="Members (in communities of 8-25).")],
    needs: Annotated[int, typer.Option(min=0, help="Open needs over the next four weeks.")],
    seed: Annotated[int, typer.Option(help="Same seed, sizes, country, start: same rows.")] = 1,
    country: Annotated[str, typer.Option(help="Country (ISO code) whose cities it uses.")] = "GB",
    start: Annotated[
        str | None, typer.Option(help="Day it is as of, YYYY-MM-DD (default: today, UTC).")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="Target database (default: SERVEMATCH_DATABASE_URL).")
    ] = None,
    keys_out: Annotated[
        Path, typer.Option(help="Where to write the benchmark keys (JSON, mode 0600).")
    ] = Path("bench/keys.json"),
) -> None:
    """Load a realistic synthetic network into an EMPTY database, for benchmarks and demos.

    Migrates the database first, then refuses (exit 1) one that already holds network data.

    There is no append mode: generate into a fresh database (createdb, or a new SQLite file).

    Writes keys for an admin and sampled principals to --keys-out (shape:
    scripts/generate/api_keys.py).
    """
    from datetime import UTC, date, datetime

    from sqlalchemy.engine import make_url

    from api.settings import get_settings
    from scripts.generate.guard import NetworkExists
    from scripts.generate.pipeline import generate as generate_network
    from scripts.generate.progress import RichReporter
    from scripts.generate.synthesis import UnknownCountry

    settings = get_settings()
    url = database_url or settings.database_url
    try:
        as_of = date.fromisoformat(start) if start else datetime.now(UTC).date()
    except ValueError as error:
        raise typer.BadParameter(f"--start must be YYYY-MM-DD: {error}") from error
    try:
        with RichReporter(console) as reporter:
            generated = generate_network(
                url,
                members=members,
                needs=needs,
                seed=seed,
                start=as_of,
                country=country,
                keys_out=keys_out,
                cell_km=settings.location_coarsening_km,
                reporter=reporter,
            )
    except (NetworkExists, UnknownCountry) as error:
        console.print(f"[red]not generated:[/red] {error}")
        raise typer.Exit(1) from error
    total = sum(generated.rows.values())
    console.print(
        f"[bold]Generated into {make_url(url).render_as_string(hide_password=True)}[/bold] "
        f"(seed {seed}, as of {as_of}): "
        + ", ".join(f"{count:,} {table}" for table, count in generated.rows.items())
    )
    console.print(
        f"synthesis {generated.synthesis_s:.1f} s, load {generated.load_s:.1f} s "
        f"({total / max(generated.load_s, 1e-9):,.0f} rows/s); keys in {generated.keys_path}"
    )
