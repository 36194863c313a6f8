"""`make bench-pages`: every role's pages answer on the demo as the bench asks for them (one
timed request each here; the figures themselves are not checked)."""

from scripts.bench import pages


def test_every_page_of_every_role_answers_on_the_demo() -> None:
    timings = pages.measure(repeat=1, warm_up=0)

    assert [timing.page for timing in timings] == list(pages.PAGES)
    assert {(t.page.method, t.page.path): t.status for t in timings} == {
        (page.method, page.path): 200 for page in pages.PAGES
    }
    assert all(t.needs > 0 for t in timings if "{need}" in t.page.path)
    assert "| coordinator | GET /coordinator |" in pages.table(timings)
