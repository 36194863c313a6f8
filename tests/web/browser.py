"""Browser tests: pages driven as a person would, by Debian's Chromium.

Playwright for Python drives ``/usr/bin/chromium`` (``.ci/run`` installs it; no browser is ever
downloaded) against the app on a SQLite file with the demo loaded by its own loader
(``scripts.demo``), served by uvicorn in a background thread once per test session
(``conftest.py``); each test gets a fresh browser context (no cookies). Find elements by
their accessible names (labels, button texts), as a person would. :func:`axe` checks a page
with the vendored axe-core; :func:`screenshots` saves it at desktop and phone width under
docs/screens/ (the README links them).
"""

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
# The committed screenshots are written only when asked (`make screens`); an ordinary test run
# still renders every screen at both widths, into a scratch folder, so the tree stays clean.
SCREENS = (
    Path(__file__).resolve().parents[2] / "docs" / "screens"
    if os.environ.get("SERVEMATCH_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "servematch-screens"
)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
BLOCKING = frozenset({"serious", "critical"})


@dataclass(frozen=True)
class Site:
    """The served demo: its address and the demo's keys (see ``scripts.demo.DemoKeys``)."""

    url: str
    keys: dict[str, str]


def sign_in(page: Page, key: str) -> None:
    """Sign in at ``/`` as a person would: the field labelled Key, the button Sign in."""
    page.goto("/")
    page.get_by_label("Key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def axe(page: Page) -> None:
    """Run axe-core on the page as it is; fail on any serious or critical violation."""
    # Evaluated over the DevTools protocol, which the pages' Content-Security-Policy (no
    # script but their own files) does not govern, so the page is checked as served.
    page.evaluate(AXE.read_text())
    results: dict[str, Any] = page.evaluate("axe.run(document)")
    blocking = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
    ]
    assert not blocking, f"axe on {page.url}:\n" + "\n".join(blocking)


def screenshots(page: Page, name: str) -> None:
    """Save the page at desktop (1280 px) and phone (360 px) width as docs/screens/NAME-*.png."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.screenshot(path=SCREENS / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size(DESKTOP)
