"""The member's pages: suggestions signed up for with one tap, invitations accepted and
declined, commitments withdrawn, the profile saved (and its errors by their field)."""

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import APIRequestContext, Browser, Locator, Page, expect

from tests.web.browser import Site, axe, screenshots, sign_in

ZONE = ZoneInfo("Europe/London")  # the demo's communities'
WEEKS_AHEAD = 5
"""Past the demo's needs (at most three weeks out), so the invitations clash with none."""


def _weekday_ahead(weekday: int, hour: int) -> datetime:
    """The ``weekday`` (Monday 0) at ``hour`` local, ``WEEKS_AHEAD`` weeks from today."""
    day = date.today() + timedelta(weeks=WEEKS_AHEAD)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    return datetime.combine(day, time(hour), tzinfo=ZONE).astimezone(UTC)


def _invite(api: APIRequestContext, site: Site, title: str, starts_at: datetime) -> None:
    """A coordinator posts a need in the member's free time and invites the demo member."""
    coordinator = {"Authorization": f"Bearer {site.keys['coordinator']}"}
    need = api.post(
        "/v1/needs",
        headers=coordinator,
        data={
            "community_id": site.keys["community_id"],
            "title": title,
            "category": "visiting",
            "location": {"lat": 51.4600, "lon": -2.5600},
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=1)).isoformat(),
            "roles": [{"name": "visitor", "count": 2}],
        },
    )
    assert need.ok, need.text()
    invited = api.post(
        f"/v1/needs/{need.json()['id']}/invitations",
        headers=coordinator,
        data={"member_id": site.keys["member_id"], "role": "visitor"},
    )
    assert invited.ok, invited.text()


@pytest.fixture(scope="module")
def invitations(browser: Browser, site: Site) -> Iterator[tuple[str, str]]:
    """Two invitations waiting for the demo member (Monday and Wednesday evenings, when the
    demo member is free): one to accept, one to decline."""
    api = browser.new_context(base_url=site.url).request
    titles = ("Tea with Mrs Okafor", "Reading with Joe")
    _invite(api, site, titles[0], _weekday_ahead(0, 19))
    _invite(api, site, titles[1], _weekday_ahead(2, 19))
    yield titles
    api.dispose()


def card(page: Page, title: str) -> Locator:
    """The card (list item) headed ``title``."""
    return page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )


def test_the_member_answers_invitations_signs_up_and_withdraws(
    page: Page, site: Site, invitations: tuple[str, str]
) -> None:
    accepted, declined = invitations
    sign_in(page, site.keys["member"])

    suggestion = (
        page.get_by_role("main")
        .get_by_role("listitem")
        .filter(has=page.get_by_role("heading", level=2))
        .first
    )
    title = suggestion.get_by_role("heading").inner_text()
    expect(suggestion).to_contain_text("from home")
    expect(suggestion.get_by_role("list", name="Why you")).not_to_be_empty()
    suggestion.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(site.url + "/member/commitments")
    expect(page.get_by_role("status")).to_have_text("You are signed up. Thank you!")
    expect(card(page, title)).to_be_visible()

    page.get_by_role("link", name="Invitations").click()
    expect(card(page, accepted)).to_contain_text("as visitor")
    axe(page)
    screenshots(page, "member-invitations")
    card(page, declined).get_by_role("link", name="Decline").click()
    page.get_by_label("Why not?").select_option(label="I am busy then")
    page.get_by_label("Note for the coordinator").fill("Away that week, sorry!")
    axe(page)
    screenshots(page, "member-decline")
    page.get_by_role("button", name="Decline").click()
    expect(page.get_by_role("status")).to_have_text("Invitation declined.")
    expect(card(page, declined)).to_have_count(0)
    card(page, accepted).get_by_role("button", name="Accept").click()

    expect(page).to_have_url(site.url + "/member/commitments")
    expect(page.get_by_role("status")).to_have_text("Invitation accepted. Thank you!")
    expect(page.get_by_text("Times are Europe/London time.")).to_be_visible()
    axe(page)
    screenshots(page, "member-commitments")
    card(page, title).get_by_role("button", name="Withdraw").click()
    expect(page.get_by_role("status")).to_have_text("You withdrew. Your place is free.")
    expect(card(page, title)).to_have_count(0)
    expect(card(page, accepted)).to_be_visible()


def test_the_profile_names_an_error_by_its_field_and_saves(page: Page, site: Site) -> None:
    sign_in(page, site.keys["member"])
    page.get_by_role("link", name="My profile").click()
    axe(page)
    screenshots(page, "member-profile")

    skill_rows = page.get_by_role("textbox", name=re.compile(r"^Skill \d+$")).count()
    spare = f"Skill {skill_rows}"  # the last row is always a spare
    page.get_by_label(spare, exact=True).fill("gardening")
    page.get_by_label(f"Level of {spare.lower()}").select_option("2")
    page.get_by_label("Tuesday, from", exact=True).fill("10:00")
    page.get_by_label("Tuesday, until", exact=True).fill("09:00")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Save profile").click()

    assert answer.value.status == 422
    until = page.get_by_label("Tuesday, until", exact=True)
    expect(until).to_have_attribute("aria-invalid", "true")
    expect(until).to_have_accessible_description(re.compile("end must be after start"))
    expect(until).to_be_focused()
    expect(page.get_by_label(spare, exact=True)).to_have_value("gardening")  # typed stays
    axe(page)
    screenshots(page, "member-profile-error")

    until.fill("12:00")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_have_text("Your profile is saved.")
    expect(page.get_by_label("Tuesday, until", exact=True)).to_have_value("12:00")
    expect(page.locator("input[value='gardening']")).to_have_count(1)


def test_the_member_hides_one_suggestion_and_snoozes_another(page: Page, site: Site) -> None:
    sign_in(page, site.keys["member"])
    cards = (
        page.get_by_role("main")
        .get_by_role("listitem")
        .filter(has=page.get_by_role("heading", level=2))
    )
    first, second = (cards.nth(i).get_by_role("heading").inner_text() for i in range(2))

    card(page, first).get_by_role("button", name="Not for me").click()
    expect(page.get_by_role("status")).to_have_text("Hidden: you will not see that need again.")
    expect(card(page, first)).to_have_count(0)
    card(page, second).get_by_role("button", name="Maybe later").click()
    expect(page.get_by_role("status")).to_have_text(re.compile("^Snoozed"))
    expect(card(page, second)).to_have_count(0)
    axe(page)
    page.reload()
    expect(card(page, first)).to_have_count(0)
    expect(card(page, second)).to_have_count(0)
