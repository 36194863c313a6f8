"""Browser-test fixtures: the demo served on loopback, and Debian's Chromium (see
``tests/web/browser.py`` for the helpers and why)."""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from api.app import create_app
from api.db.types import utcnow
from api.geocoding.service import configured_geocoder
from api.settings import Settings
from scripts import demo
from tests.conftest import serving
from tests.web.browser import CHROMIUM, DESKTOP, Site


@contextmanager
def demo_site(path: Path) -> Iterator[Site]:
    """The demo loaded into the SQLite file ``path`` (a copy of the migrated template), served
    on loopback until the block ends."""
    # Many sign-ins from one address in a minute: the limits have tests of their own.
    settings = Settings(
        database_url=f"sqlite:///{path}",
        rate_limit_per_minute=0,
        rate_limit_anonymous_per_minute=0,
        invitation_sweep_s=0,
        session_secret="test-session-secret-" + "x" * 32,
    )
    app = create_app(settings)
    with app.state.sessionmaker.begin() as session:
        keys = demo.load(
            session,
            now=utcnow(),
            cell_km=settings.location_coarsening_km,
            geocoder=configured_geocoder(settings),
        )
    with serving(app, lifespan="on") as url:
        yield Site(url=url, keys={name: str(value) for name, value in asdict(keys).items()})
    app.state.engine.dispose()


@pytest.fixture(scope="session")
def site(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo every browser test shares: tests that change it for good (a multiplication)
    take a :func:`demo_site` of their own."""
    path = tmp_path_factory.mktemp("web") / "demo.db"
    shutil.copy(sqlite_template, path)
    with demo_site(path) as served:
        yield served


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (as .ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    context = browser.new_context(base_url=site.url, viewport=DESKTOP)
    page = context.new_page()
    yield page
    context.close()
