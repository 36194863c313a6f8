"""Signing in with a key, signing out, CSRF, revocation, each role's home, offline API docs."""

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.web.browser import Site, axe, screenshots, sign_in

WRONG_KEY = "sm_" + "x" * 43

HOMES = [
    ("coordinator", "/coordinator", "Open needs"),
    ("admin", "/coordinator", "Open needs"),
    ("member", "/member", "Suggestions"),
    ("agency", "/agency", "Your requests"),
]


def test_the_sign_in_page_is_accessible(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    axe(page)
    screenshots(page, "sign-in")


@pytest.mark.parametrize(("role", "path", "heading"), HOMES)
def test_each_role_lands_on_its_home_which_shows_its_data(
    page: Page, site: Site, role: str, path: str, heading: str
) -> None:
    sign_in(page, site.keys[role])

    expect(page).to_have_url(site.url + path)
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    if role == "member":
        expect(
            page.get_by_role("listitem").filter(has=page.get_by_role("heading"))
        ).not_to_have_count(0)
    else:  # needs or requests, each with its fill ("0 / 4")
        expect(page.get_by_role("cell", name=re.compile(r"^\d+ \x2F \d+$")).first).to_be_visible()
    expect(page.get_by_role("link", name=heading.split()[-1].capitalize())).to_have_attribute(
        "aria-current", "page"
    )
    axe(page)
    if role in ("member", "agency"):  # the coordinator's screens are test_coordinator's
        screenshots(page, f"{role}-home")


def test_a_wrong_key_is_named_next_to_the_key_field(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Key").fill(WRONG_KEY)
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign in").click()

    assert answer.value.status == 401
    key = page.get_by_label("Key")
    expect(key).to_have_attribute("aria-invalid", "true")
    expect(key).to_have_accessible_description(re.compile("unknown, revoked or expired"))
    expect(key).to_be_focused()  # the keyboard is taken to what needs fixing
    expect(key).to_have_value("")  # a key is never written back into the page
    axe(page)
    screenshots(page, "sign-in-wrong-key")


def test_signing_out_ends_the_session(page: Page, site: Site) -> None:
    sign_in(page, site.keys["coordinator"])
    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(site.url + "/")
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto("/coordinator")
    expect(page).to_have_url(site.url + "/")
    expect(page.get_by_label("Key")).to_be_visible()


def test_a_write_without_the_csrf_token_is_refused(page: Page, site: Site) -> None:
    sign_in(page, site.keys["coordinator"])

    # The browser's own cookies go along, as they would with a forged cross-site form.
    for form in ({}, {"csrf_token": "0" * 64}):
        refused = page.request.post("/sign-out", form=form, max_redirects=0)
        assert refused.status == 403
        assert "did not come from ServeMatch" in refused.text()
    page.goto("/coordinator")
    expect(page).to_have_url(site.url + "/coordinator")  # still signed in: nothing was done


def test_revoking_the_key_ends_its_sessions(page: Page, site: Site) -> None:
    coordinator = {"Authorization": f"Bearer {site.keys['coordinator']}"}
    issued = page.request.post("/v1/keys", headers=coordinator, data={"name": "browser"}).json()
    sign_in(page, issued["api_key"])
    expect(page).to_have_url(site.url + "/coordinator")

    revoked = page.request.post(f"/v1/keys/{issued['id']}/revoke", headers=coordinator)
    assert revoked.ok
    page.reload()

    expect(page).to_have_url(site.url + "/")
    expect(page.get_by_role("status")).to_contain_text("revoked or expired")
    expect(page.get_by_label("Key")).to_be_visible()


def test_the_session_cookie_holds_no_key_and_no_script_can_read_it(page: Page, site: Site) -> None:
    key = site.keys["agency"]
    sign_in(page, key)

    [cookie] = [c for c in page.context.cookies() if c["name"] == "servematch_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert key not in cookie["value"] and key[3:] not in cookie["value"]
    assert "servematch_session" not in page.evaluate("document.cookie")


@pytest.mark.parametrize(("path", "ready"), [("/docs", ".swagger-ui .info"), ("/redoc", "h1")])
def test_the_api_docs_load_nothing_from_another_host(
    page: Page, site: Site, path: str, ready: str
) -> None:
    # As if online: any other host answers (so only the page itself can keep from loading it).
    page.route(re.compile(f"^(?!{re.escape(site.url)})"), lambda route: route.fulfill(body=""))
    loaded: list[str] = []
    page.on("requestfinished", lambda request: loaded.append(request.url))
    page.goto(path)

    # ReDoc renders the whole contract before its heading: on a loaded machine, seconds.
    expect(page.locator(ready).first).to_contain_text("ServeMatch", timeout=30_000)
    page.wait_for_load_state("networkidle")
    # ReDoc asks its CDN for a logo; the page's Content-Security-Policy refuses it.
    assert {urlparse(url).hostname for url in loaded} == {"127.0.0.1"}
