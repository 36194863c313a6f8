"""The ``servematch`` command: serve, migrate, issue and revoke admin keys, re-coarsen places,
train the re-ranker, write the OpenAPI contract. (The demo loader and the generator are
tooling: ``python -m scripts``.)

Commands import the service lazily: ``serve --workers N`` runs a supervisor process that
only forks workers, and importing the whole stack (numpy, scikit-learn) there would cost
~150 MB of resident memory for nothing.
"""

import json
import signal
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
    import os
    import secrets

    from dotenv import dotenv_values

    # Every worker must sign and check the web app's cookies with one secret. (Read as the
    # settings read it, without importing them: they bring the engine, and this process may
    # only supervise workers.)
    name = "SERVEMATCH_SESSION_SECRET"
    if not (os.environ.get(name) or dotenv_values(".env").get(name)):
        os.environ[name] = secrets.token_urlsafe(32)
        console.print(
            "SERVEMATCH_SESSION_SECRET is not set: made one for this run (sign-ins end when "
            "the server stops)"
        )
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


@app.command()
def demo(
    reset: Annotated[
        bool, typer.Option(help="Erase the network (and its keys) first, then load it again.")
    ] = False,
    if_empty: Annotated[bool, typer.Option(help="Do nothing if data exists.")] = False,
) -> None:
    """Load the Bristol demo (the checkout's tooling, ``python -m scripts demo``, run as is)."""
    import os
    import subprocess
    import sys

    # The demo loader is tooling the service never imports: it runs in its own process, from
    # the checkout this package is installed from (``pip install -e``).
    checkout = Path(__file__).resolve().parents[1]
    if not (checkout / "scripts" / "demo.py").is_file():
        console.print("[red]no demo here:[/red] it ships with the source checkout, not the package")
        raise typer.Exit(1)
    flags = [flag for flag, wanted in (("--reset", reset), ("--if-empty", if_empty)) if wanted]
    path = os.pathsep.join(filter(None, (str(checkout), os.environ.get("PYTHONPATH"))))
    loaded = subprocess.run(
        [sys.executable, "-m", "scripts", "demo", *flags],
        env={**os.environ, "PYTHONPATH": path},
        check=False,
    )
    raise typer.Exit(loaded.returncode)


@privacy.command("recoarsen")
def privacy_recoarsen() -> None:
    """Show every private place at the current SERVEMATCH_LOCATION_COARSENING_KM cell size."""
    from api.privacy import recoarsen
    from api.settings import get_settings

    cell_km = get_settings().location_coarsening_km
    # Not audited: no one's data changes. The stored places stay as written; only the point
    # derived from each (and from the configured cell size) is recomputed, for any number of
    # needs at once. The operator's decision is the setting, kept in the deployment's config.
    with _sessions().begin() as session:
        moved = recoarsen(session, cell_km=cell_km)
    console.print(f"{moved} private places now shown as {cell_km:g} km cells")


@app.command()
def train() -> None:
    """Fit the re-ranker on members' answers, compare it with the hand weights on the later
    quarter (ROC AUC, NDCG@5) and store it; it ranks only if it beats them on both.

    Exits 0 when there is too little to learn from (nothing is stored, the ranking is left as
    it is): a scheduled run on a young network is not a failure.
    """
    from rich.table import Table

    from api.db.types import utcnow
    from api.feedback import service as feedback
    from api.settings import get_settings

    settings = get_settings()
    with _sessions().begin() as session:
        done = feedback.train(
            session,
            now=utcnow(),
            min_events=settings.rerank_min_events,
            min_gain=settings.rerank_min_gain,
            min_auc=settings.rerank_min_auc,
        )
    if done.model is None or done.evaluation is None:
        console.print(f"[yellow]nothing trained:[/yellow] {done.message}")
        return
    evaluation = done.evaluation
    table = Table(title=f"re-ranker on {done.events} answers (held out: the latest quarter)")
    for column in ("ordering", "ROC AUC", "NDCG@5"):
        table.add_column(column)
    for name, figures in (("learned", evaluation.model), ("hand weights", evaluation.hand_weights)):
        table.add_row(name, f"{figures.auc:.3f}", f"{figures.ndcg_at_5:.3f}")
    Console().print(table)
    colour = "green" if done.model.active else "yellow"
    console.print(f"[{colour}]model {done.model.id} {done.message}[/{colour}]")


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

    from api.db.types import utcnow
    from api.keys import service as keys_service
    from api.keys.schemas import KeyCreate
    from api.schemas import Name

    try:  # the same rule as a key named through the API, so listing keys keeps its contract
        name = TypeAdapter(Name).validate_python(name)
    except ValidationError as error:
        raise typer.BadParameter("--name must be 1 to 120 characters") from error

    expiry = {"expires_at": utcnow() + timedelta(days=expires_in_days)} if expires_in_days else {}
    data = KeyCreate.model_validate({"name": name, "role": "admin", **expiry})
    with _sessions().begin() as session:  # as the system: audited with the role "system"
        issued = keys_service.create(session, principal=None, data=data)
    print(issued.api_key)


@keys.command("revoke")
def keys_revoke(
    prefix_or_id: Annotated[str, typer.Argument(help="The key's id, or its 10-character prefix.")],
) -> None:
    """Revoke a key now. A running server may accept it for up to auth_cache_ttl_s more."""
    from api.db.types import utcnow
    from api.keys import service as keys_service

    with _sessions().begin() as session:  # as the system: audited with the role "system"
        matches = keys_service.find_by_id_or_prefix(
            session, principal=None, id_or_prefix=prefix_or_id
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
        key = keys_service.revoke(session, principal=None, key_id=key.id, now=now)
    console.print(f"revoked key {key.id} ({key.name}, {key.role})")


def _sessions() -> "sessionmaker[Session]":
    from api.db.engine import make_engine, make_sessionmaker
    from api.settings import get_settings

    return make_sessionmaker(make_engine(get_settings().database_url))


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
