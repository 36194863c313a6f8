"""The ``servematch`` command: serve, migrate, issue keys, load the demo, generate data.

Commands import the service lazily: ``serve --workers N`` runs a supervisor process that
only forks workers, and importing the whole stack (numpy, scikit-learn) there would cost
~150 MB of resident memory for nothing.
"""

import json
import os
import signal
from dataclasses import asdict
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
import uvicorn
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

app = typer.Typer(help="ServeMatch: volunteer-needs matching for missional communities.")
db = typer.Typer(help="Database schema.")
keys = typer.Typer(help="API keys.")
privacy = typer.Typer(help="How private places are shown.")
app.add_typer(db, name="db")
app.add_typer(keys, name="keys")
app.add_typer(privacy, name="privacy")
console = Console(stderr=True)
DEMO_KEYS_FILE = Path("servematch-demo-keys.json")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1)] = 1,
    shutdown_timeout_s: Annotated[
        int,
        typer.Option(
            min=0,
            envvar="SERVEMATCH_SHUTDOWN_TIMEOUT_S",
            help="On SIGTERM, seconds in-flight requests get to finish before being cut off.",
        ),
    ] = 30,
) -> None:
    """Serve the HTTP API; SIGTERM stops taking connections and lets in-flight requests end.

    Several workers each get their own socket on the port (see ``api.workers``).
    """
    if workers > 1:
        from api import workers as supervisor

        status = supervisor.serve(
            host=host, port=port, workers=workers, shutdown_timeout_s=shutdown_timeout_s
        )
        raise typer.Exit(status)
    # uvicorn re-raises SIGTERM once its graceful shutdown is over, so the default action would
    # report a clean stop as "killed by a signal" (status -15); it is a success: exit 0.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    uvicorn.run(
        "api.main:app",
        host=host,
        port=port,
        log_level="info",
        timeout_graceful_shutdown=shutdown_timeout_s,
    )


def _exit_cleanly(_signal: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


@db.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    from api.db import migrate
    from api.settings import get_settings

    url = get_settings().database_url
    migrate.upgrade(url, revision)
    console.print(f"[green]database at {_safe(url)} is at {revision}[/green]")


@privacy.command("recoarsen")
def privacy_recoarsen() -> None:
    """Show every private place at the current SERVEMATCH_LOCATION_COARSENING_KM cell size."""
    from api.privacy import recoarsen
    from api.settings import get_settings

    cell_km = get_settings().location_coarsening_km
    with _sessions().begin() as session:
        moved = recoarsen(session, cell_km=cell_km)
    console.print(f"{moved} private places now shown as {cell_km:g} km cells")


@app.command()
def openapi(
    output: Annotated[
        Path | None, typer.Option(help="File to write the JSON to (default: stdout).")
    ] = None,
) -> None:
    """Write the OpenAPI contract the service publishes at /openapi.json (for linters and
    client generators), without serving or touching the database."""
    from api.app import create_app
    from api.settings import get_settings

    document = json.dumps(create_app(get_settings()).openapi(), indent=2) + "\n"
    if output is None:
        print(document, end="")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(document)
    console.print(f"OpenAPI written to {output}")


@keys.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    role: Annotated[str, typer.Option(help="Only admin keys are made here.")] = "admin",
    expires_in_days: Annotated[
        int | None, typer.Option(min=1, max=3650, help="Days until the key stops working.")
    ] = None,
) -> None:
    """Create an admin key and print it alone on stdout (other roles get keys via the API)."""
    if role != "admin":
        raise typer.BadParameter("only admin keys are created here; others come from the API")
    from datetime import timedelta

    from pydantic import TypeAdapter, ValidationError

    from api.auth.keys import issue_key
    from api.db.types import utcnow
    from api.schemas import Name

    try:  # the same rule as a key named through the API, so listing keys keeps its contract
        name = TypeAdapter(Name).validate_python(name)
    except ValidationError as error:
        raise typer.BadParameter("--name must be 1 to 120 characters") from error

    expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    with _sessions().begin() as session:
        key = issue_key(session, role="admin", principal_id=None, name=name, expires_at=expires_at)
    print(key)


@keys.command("revoke")
def keys_revoke(
    prefix_or_id: Annotated[str, typer.Argument(help="The key's id, or its 10-character prefix.")],
) -> None:
    """Revoke a key now. A running server may accept it for up to auth_cache_ttl_s more."""
    from sqlalchemy import or_, select

    from api.db.models import ApiKey
    from api.db.types import utcnow

    with _sessions().begin() as session:
        matches = list(
            session.scalars(
                select(ApiKey).where(
                    or_(ApiKey.id == prefix_or_id, ApiKey.prefix == prefix_or_id[:10])
                )
            )
        )
        if len(matches) != 1:
            found = ", ".join(f"{key.id} ({key.name})" for key in matches) or "none"
            console.print(f"[red]not revoked:[/red] need exactly one key, found {found}")
            raise typer.Exit(1)
        [key] = matches
        now = utcnow()
        if key.revoked_at is not None and key.revoked_at <= now:
            console.print(f"key {key.id} ({key.name}) was already revoked at {key.revoked_at}")
            return
        key.revoked_at = now
    console.print(f"revoked key {key.id} ({key.name}, {key.role})")


@app.command()
def demo(
    if_empty: Annotated[bool, typer.Option(help="Do nothing if data exists.")] = False,
) -> None:
    """Load the demo network (Bristol) and print keys to try it with."""
    from api import demo as demo_network
    from api.db.types import utcnow
    from api.geocoding.service import configured_geocoder
    from api.settings import get_settings

    with _sessions().begin() as session:
        if demo_network.is_loaded(session):
            if not if_empty:
                raise typer.BadParameter("the database already has data; demo not loaded")
            console.print(f"demo already loaded; its keys are in {DEMO_KEYS_FILE}")
            return
        settings = get_settings()
        loaded = demo_network.load(
            session,
            now=utcnow(),
            cell_km=settings.location_coarsening_km,
            geocoder=configured_geocoder(settings),
        )
    DEMO_KEYS_FILE.write_text(json.dumps(asdict(loaded), indent=2) + "\n")
    os.chmod(DEMO_KEYS_FILE, 0o600)
    console.print("[bold]Demo network loaded.[/bold] Keys (also saved to", DEMO_KEYS_FILE, "):")
    for role, value in asdict(loaded).items():
        console.print(f"  {role:>12}: {value}")


def _sessions() -> "sessionmaker[Session]":
    from api.db.engine import make_engine, make_sessionmaker
    from api.settings import get_settings

    return make_sessionmaker(make_engine(get_settings().database_url))


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


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

    Writes keys for an admin and sampled principals to --keys-out (shape: api/generate/keys.py).
    """
    from datetime import UTC, date, datetime

    from api.generate.guard import NetworkExists
    from api.generate.pipeline import generate as generate_network
    from api.generate.progress import RichReporter
    from api.generate.synthesis import UnknownCountry
    from api.settings import get_settings

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
        f"[bold]Generated into {_safe(url)}[/bold] (seed {seed}, as of {as_of}): "
        + ", ".join(f"{count:,} {table}" for table, count in generated.rows.items())
    )
    console.print(
        f"synthesis {generated.synthesis_s:.1f} s, load {generated.load_s:.1f} s "
        f"({total / max(generated.load_s, 1e-9):,.0f} rows/s); keys in {generated.keys_path}"
    )
