"""Growing a community, in the browser: a community not ready sees what it lacks; a ready one
(the demo's Easton) sees the plan on a map, one colour per group, each group's meeting place
marked; a member moved and the split re-evaluated shows the new figures and the broken rule;
multiplying shows the new coordinator's key once and the lineage lists both communities."""

import re
import shutil
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect

from tests.web.browser import DESKTOP, Site, axe, screenshots, sign_in
from tests.web.conftest import demo_site

EASTON = "Easton Community"
NOT_READY = "Bedminster Community"  # the demo's: one leader, so not ready


def _without_tiles(page: Page, site: Site) -> None:
    """As if offline: every other host (the tile server) fails, so the map is ours only."""
    page.route(re.compile(f"^(?!{re.escape(site.url)})"), lambda route: route.abort())


def _grow(page: Page, community: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Grow").click()
    page.get_by_label("Community", exact=True).select_option(label=community)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name=f"Grow: {community}", level=1)).to_be_visible()


def _group(page: Page, number: int) -> Locator:
    return page.get_by_role("region", name=re.compile(f"^Group {number} "))


def _figure(group: Locator, name: str) -> Locator:
    return group.locator(".figures div").filter(has_text=re.compile(f"^{name}")).locator("dd")


def test_a_community_not_ready_sees_its_checklist_and_no_plan(page: Page, site: Site) -> None:
    sign_in(page, site.keys["coordinator"])
    _grow(page, NOT_READY)

    readiness = page.get_by_role("region", name="Not ready to multiply yet")
    checks = readiness.locator(".checklist li")
    expect(checks).to_have_count(3)
    expect(checks.filter(has_text="Members: holds")).to_contain_text("✓")
    expect(checks.filter(has_text="Leaders: missing")).to_contain_text("✗")
    expect(readiness.get_by_role("heading", name="What is missing")).to_be_visible()
    expect(readiness).to_contain_text("needs one more leader or apprentice")
    expect(page.locator("#need-map")).to_have_count(0)
    expect(page.get_by_role("button", name="Multiply community")).to_have_count(0)
    axe(page)
    screenshots(page, "coordinator-grow-not-ready")


def test_the_plan_draws_every_home_in_its_group_colour_and_each_meeting_place(
    page: Page, site: Site
) -> None:
    _without_tiles(page, site)
    sign_in(page, site.keys["coordinator"])
    _grow(page, EASTON)

    expect(page.get_by_role("region", name="Ready to multiply")).to_contain_text("✓")
    expect(page.get_by_role("heading", name="The plan")).to_be_visible()
    expect(page.get_by_text("This split keeps every rule.")).to_be_visible()
    members = page.get_by_label(re.compile("^Group for "))
    expect(members).to_have_count(17)
    circles = page.locator("#need-map path.leaflet-interactive")
    expect(circles).to_have_count(17)
    colours = {circles.nth(i).get_attribute("fill") for i in range(circles.count())}
    assert len(colours) == 2, colours
    expect(page.locator("#need-map .meeting-marker")).to_have_count(2)
    expect(page.locator("#need-map .current-meeting")).to_have_count(1)
    legend = page.locator(".legend")
    expect(legend).to_contain_text("Group 1 (blue)")
    expect(legend).to_contain_text("Group 2 (orange)")
    for number in (1, 2):
        group = _group(page, number)
        expect(_figure(group, "Leaders")).to_have_text("1")
        expect(group).to_contain_text(re.compile(r"Meets at .+'s home|Meets at the current"))
    comparison = page.get_by_role("table", name="The plan beside other ways to split")
    expect(comparison.locator("tbody tr")).to_have_count(3)
    expect(comparison.get_by_role("row", name=re.compile("^ServeMatch's plan"))).to_contain_text(
        "none"
    )
    expect(page.get_by_label("Name of group 1")).to_have_value(EASTON)
    expect(page.get_by_label("Meeting point latitude, group 2")).not_to_have_value("")
    axe(page)
    screenshots(page, "coordinator-grow")


def test_moving_a_leader_shows_new_figures_the_broken_rule_and_refuses_to_multiply(
    page: Page, site: Site
) -> None:
    _without_tiles(page, site)
    sign_in(page, site.keys["coordinator"])
    _grow(page, EASTON)
    first, second = _group(page, 1), _group(page, 2)
    size = int(_figure(first, "Size").inner_text())
    travel = _figure(first, "Travel in all").inner_text()
    leader = second.get_by_role("row").filter(has=page.get_by_role("cell", name="leader"))
    name = leader.get_by_role("rowheader").inner_text()

    page.get_by_label(f"Group for {name}").select_option(label="Group 1 (blue)")
    page.get_by_role("button", name="Re-evaluate").click()

    expect(page.get_by_role("heading", name="Your split")).to_be_visible()
    expect(_figure(_group(page, 1), "Size")).to_have_text(str(size + 1))
    expect(_figure(_group(page, 1), "Leaders")).to_have_text("2")
    expect(_figure(_group(page, 1), "Travel in all")).not_to_have_text(travel)
    expect(_figure(_group(page, 2), "Leaders")).to_have_text("0")
    alert = page.get_by_role("alert")
    expect(alert.get_by_role("heading", name="Rules this split breaks")).to_be_visible()
    expect(alert).to_contain_text("Group 2 has no leader or apprentice")
    expect(page.get_by_label(f"Group for {name}")).to_have_value("1")
    comparison = page.get_by_role("table", name="The plan beside other ways to split")
    expect(comparison.get_by_role("row", name=re.compile("^Your split"))).to_contain_text(
        "a leader"
    )
    expect(page.locator("#need-map .meeting-marker")).to_have_count(2)
    axe(page)
    screenshots(page, "coordinator-grow-moved")

    # Nobody can coordinate group 2 now: the service refuses, by the field, and nothing changes.
    page.get_by_label("Name of group 2").fill("Easton East")
    page.get_by_label("I have talked with the members").check()
    page.get_by_role("button", name="Multiply community").click()
    coordinator = page.get_by_label("Coordinator of group 2")
    expect(coordinator).to_have_attribute("aria-invalid", "true")
    expect(coordinator).to_have_accessible_description(
        re.compile("group 2 has no leader or apprentice to coordinate it")
    )
    expect(page.get_by_label("Name of group 2")).to_have_value("Easton East")
    axe(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Lineage").click()
    page.get_by_label("Community", exact=True).select_option(label=EASTON)
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".tree")).not_to_contain_text("Easton East")


def test_multiplying_shows_the_new_coordinators_key_once_and_the_lineage_lists_both(
    browser: Browser, sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "demo.db"  # a demo of its own: the others' Easton stays whole
    shutil.copy(sqlite_template, path)
    with demo_site(path) as site:
        context = browser.new_context(base_url=site.url, viewport=DESKTOP)
        page = context.new_page()
        _without_tiles(page, site)
        sign_in(page, site.keys["coordinator"])
        _grow(page, EASTON)
        page.get_by_label("Name of group 2").fill("Easton East")
        page.get_by_label("I have talked with the members").check()
        page.get_by_role("button", name="Multiply community").click()

        expect(page.get_by_role("heading", name=f"{EASTON} has multiplied")).to_be_visible()
        expect(page.get_by_role("status")).to_contain_text("members moved into 1 new community")
        daughter = page.get_by_role("region", name="Easton East")
        expect(daughter).to_contain_text("Copy it now")
        field = daughter.get_by_label(re.compile("^Key for "))
        key = field.input_value()
        assert key.startswith("sm_"), key
        axe(page)

        page.get_by_role("link", name=f"See the lineage of {EASTON}").click()
        tree = page.get_by_role("list", name=f"Family tree of {EASTON}")
        expect(tree.get_by_role("listitem")).to_have_count(3)
        expect(tree).to_contain_text(f"{EASTON} (this community)")
        expect(tree).to_contain_text("Southville Community")
        expect(tree).to_contain_text(re.compile(r"Easton East · generation 1 · \d active members"))
        assert key not in page.content()  # shown once: on the answer to the multiplication
        axe(page)
        screenshots(page, "coordinator-lineage")
        context.close()

        # The new coordinator signs in with the key and grows their own community.
        context = browser.new_context(base_url=site.url, viewport=DESKTOP)
        page = context.new_page()
        sign_in(page, key)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Grow").click()
        expect(page.get_by_role("heading", name="Grow: Easton East", level=1)).to_be_visible()
        expect(page.get_by_role("region", name="Not ready to multiply yet")).to_be_visible()
        context.close()


def test_a_member_sees_their_communitys_lineage(page: Page, site: Site) -> None:
    sign_in(page, site.keys["member"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My community").click()
    expect(page.get_by_role("heading", name=f"My community of {EASTON}")).to_be_visible()
    tree = page.get_by_role("list", name=f"Family tree of {EASTON}")
    expect(tree).to_contain_text("Southville Community · generation 1")
    axe(page)
