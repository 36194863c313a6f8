"""The agency's pages: a request posted by address (a wrong one named by its field), and its
fill count moving when someone signs up."""

import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from tests.web.browser import Site, axe, screenshots, sign_in

TITLE = "Sort the winter coat drive"


def _saturday_ahead(weeks: int) -> date:
    day = date.today() + timedelta(weeks=weeks)
    return day + timedelta(days=(5 - day.weekday()) % 7)


def test_the_agency_posts_a_request_and_sees_it_fill(page: Page, site: Site) -> None:
    sign_in(page, site.keys["agency"])
    page.get_by_role("link", name="New request").first.click()
    expect(page.get_by_role("heading", name="New request", level=1)).to_be_visible()
    axe(page)
    screenshots(page, "agency-new-request")

    # Saturday morning, when many demo members are free, after the demo's own needs.
    saturday = _saturday_ahead(6).isoformat()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Category").select_option("other")
    page.get_by_label("Address").fill("Nowhere In Particular, Atlantis")
    page.get_by_label("Starts (UTC)").fill(f"{saturday}T10:00")
    page.get_by_label("Ends (UTC)").fill(f"{saturday}T12:00")
    page.get_by_label("Role 1", exact=True).fill("sorter")
    page.get_by_label("People for role 1").fill("2")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Post request").click()

    assert answer.value.status == 422
    address = page.get_by_label("Address")
    expect(address).to_have_attribute("aria-invalid", "true")
    expect(address).to_have_accessible_description(re.compile("no place found for this address"))
    expect(address).to_be_focused()
    expect(page.get_by_label("Title")).to_have_value(TITLE)
    axe(page)
    screenshots(page, "agency-new-request-error")

    address.fill("Bristol, United Kingdom")
    page.get_by_role("button", name="Post request").click()
    expect(page).to_have_url(site.url + "/agency")
    expect(page.get_by_role("status")).to_have_text(f"Request posted: {TITLE}.")
    row = page.get_by_role("row").filter(has_text=TITLE)
    expect(row.get_by_role("cell", name="0 / 2")).to_be_visible()

    # An admin signs up the best candidate, through the API.
    admin = {"Authorization": f"Bearer {site.keys['admin']}"}
    agency = {"Authorization": f"Bearer {site.keys['agency']}"}
    requests = page.request.get("/v1/needs?limit=100", headers=agency).json()["items"]
    (need_id,) = [need["id"] for need in requests if need["title"] == TITLE]
    ranked = page.request.get(f"/v1/needs/{need_id}/candidates", headers=admin).json()
    best = ranked["candidates"][0]
    signed = page.request.post(
        f"/v1/needs/{need_id}/signups",
        headers=admin,
        data={"member_id": best["member_id"], "role": best["role"]},
    )
    assert signed.ok, signed.text()
    page.reload()

    expect(row.get_by_role("cell", name="1 / 2")).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text(best["name"])  # counts, never names
    axe(page)
    screenshots(page, "agency-home")
