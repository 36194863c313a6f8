"""The coordinator's pages, driven in the browser: a need posted by clicking the map, its
candidates with their reasons, a team proposed and sent as invitations; a form error by its
field; every page checked with axe and photographed at desktop and phone width."""

import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from tests.web.browser import Site, axe, screenshots, sign_in

PAGES = [
    ("/coordinator", "Open needs", "coordinator-home"),
    ("/coordinator/needs/new", "New need", "coordinator-new-need"),
    ("/coordinator/week", "Week", "coordinator-week"),
    ("/coordinator/load", "Load", "coordinator-load"),
    ("/coordinator/health", "Health", "coordinator-health"),
]
SATURDAY = 5


def _next_saturday() -> date:
    """A day the demo's members are free (most give Saturday mornings), at least two days on."""
    day = date.today() + timedelta(days=2)
    return day + timedelta(days=(SATURDAY - day.weekday()) % 7)


def _without_tiles(page: Page, site: Site) -> None:
    """As if offline: every other host (the tile server) fails, so the map is needs only."""
    page.route(re.compile(f"^(?!{re.escape(site.url)})"), lambda route: route.abort())


def test_the_home_filters_by_category_and_dates(page: Page, site: Site) -> None:
    sign_in(page, site.keys["coordinator"])
    page.get_by_label("Category").select_option("tutoring")
    page.get_by_role("button", name="Show").click()

    rows = page.locator("tbody tr")
    expect(rows.first).to_be_visible()
    for cell in page.locator("td[data-label=Category]").all_inner_texts():
        assert cell == "tutoring"
    page.get_by_label("From").fill("2031-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("No open needs match.")).to_be_visible()


def test_a_need_posted_from_the_map_gets_candidates_a_team_and_invitations(
    page: Page, site: Site
) -> None:
    _without_tiles(page, site)
    sign_in(page, site.keys["coordinator"])
    page.get_by_role("link", name="New need").first.click()
    page.get_by_label("Community").select_option(index=0)
    page.locator("#need-map").click()  # its centre: the community's meeting point
    expect(page.get_by_label("Latitude")).not_to_have_value("")
    expect(page.get_by_label("Longitude")).not_to_have_value("")
    page.get_by_label("Title").fill("Move chairs for the spring fair")
    page.get_by_label("Category").select_option("other")
    saturday = _next_saturday().isoformat()
    page.get_by_label("Starts").fill(f"{saturday}T10:00")
    page.get_by_label("Ends").fill(f"{saturday}T12:00")
    first_role = page.get_by_role("group", name="Role 1")
    first_role.get_by_label("Role name").fill("helper")
    first_role.get_by_label("People").fill("2")
    page.get_by_role("button", name="Post need").click()

    expect(page.get_by_role("heading", name="Move chairs for the spring fair")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Need posted.")
    candidates = page.get_by_role("region", name="Candidates").get_by_role("listitem")
    expect(candidates.first.get_by_role("heading")).to_be_visible()
    expect(candidates.first.locator(".reasons li").first).not_to_be_empty()
    expect(page.get_by_role("button", name=re.compile("^Invite ")).first).to_be_visible()
    axe(page)
    screenshots(page, "coordinator-need")

    page.get_by_role("button", name="Propose team").click()
    team = page.get_by_role("region", name="Team")
    expect(team.get_by_role("listitem").first).to_contain_text("as helper")
    axe(page)
    screenshots(page, "coordinator-team")
    page.get_by_role("checkbox", name=re.compile("on standby")).check()
    page.get_by_role("checkbox", name=re.compile("^Keep asking")).check()
    page.get_by_role("button", name="Send invitations").click()

    expect(page.get_by_role("status")).to_have_text(
        re.compile(
            r"^[12] invitations? sent\.( 1 waits for a mentor to accept\.)?"
            r" [^.]+ is asked on standby\."
            r" When someone says no or does not answer, the next member is asked\.$"
        )
    )
    expect(page.locator(".meta .keep-asking")).to_have_text("keeps asking")
    screenshots(page, "coordinator-team-sent")
    roles = page.get_by_role("region", name="Roles")
    # The standby holds no place: still one or two invited, and the standby named apart.
    expect(roles.locator(".invited")).to_have_text(re.compile("^[12] invited$"))
    expect(roles.locator(".standby")).to_contain_text("standby")


def test_a_service_error_shows_next_to_its_field(page: Page, site: Site) -> None:
    sign_in(page, site.keys["coordinator"])
    page.goto("/coordinator/needs/new")
    page.get_by_label("Title").fill("Ends before it starts")
    page.get_by_label("Category").select_option("other")
    page.get_by_label("Latitude").fill("51.46")
    page.get_by_label("Longitude").fill("-2.56")
    saturday = _next_saturday().isoformat()
    page.get_by_label("Starts").fill(f"{saturday}T12:00")
    page.get_by_label("Ends").fill(f"{saturday}T10:00")
    page.get_by_role("group", name="Role 1").get_by_label("Role name").fill("helper")
    page.get_by_role("button", name="Post need").click()

    ends = page.get_by_label("Ends")
    expect(ends).to_have_attribute("aria-invalid", "true")
    expect(ends).to_have_accessible_description(re.compile("ends_at must be after starts_at"))
    expect(ends).to_be_focused()
    expect(page.get_by_label("Title")).to_have_value("Ends before it starts")
    axe(page)
    screenshots(page, "coordinator-new-need-error")


def test_every_coordinator_page_is_accessible_and_draws_needs_without_tiles(
    page: Page, site: Site
) -> None:
    _without_tiles(page, site)
    sign_in(page, site.keys["coordinator"])
    for path, heading, name in PAGES:
        page.goto(path)
        expect(page.get_by_role("heading", name=re.compile(f"^{heading}"), level=1)).to_be_visible()
        menu = page.get_by_role("navigation", name="Main")
        expect(menu.locator("[aria-current=page]")).to_have_attribute("href", path)
        if path == "/coordinator":
            # Each need a circle on the map, with no tile loaded; the list says the same.
            rows = page.locator("tbody tr")
            expect(page.locator("#need-map path.leaflet-interactive")).to_have_count(rows.count())
            expect(
                page.get_by_role("cell", name=re.compile(r"^\d+ \x2F \d+$")).first
            ).to_be_visible()
        axe(page)
        screenshots(page, name)


def test_the_health_page_tells_the_community_month_by_month(page: Page, site: Site) -> None:
    sign_in(page, site.keys["coordinator"])
    page.goto("/coordinator/health")

    table = page.get_by_role("table", name=re.compile("^The last 12 months"))
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(12)
    # The demo's members joined over the last eleven months: each joining is in some month,
    # and the last month's members are all of them.
    joined = sum(int(text) for text in rows.locator("td:nth-child(4)").all_inner_texts())
    members = int(rows.last.locator("td").first.inner_text())
    assert joined == members > 0
    expect(table.get_by_role("cell", name=re.compile("→"))).not_to_have_count(0)
