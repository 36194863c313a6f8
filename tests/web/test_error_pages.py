"""A page that fails past its own handling answers a page, never the API's JSON: the database
out of reach is a 503 page (with Retry-After), an unexpected error a 500 page, neither with a
trace; the API's routes keep their JSON answers.

The outage is real: the app is built on a database that cannot be reached (a SQLite file in
a folder that does not exist; PostgreSQL on a port nobody listens on), as when the server
is down when the request comes.
"""

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.web.pages import page_router

UNREACHABLE = {"detail": "database unavailable, retry shortly", "code": "service_unavailable"}
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
DETAIL = "the secret inner workings"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pages_that_fail() -> APIRouter:
    """A page and an API route with a bug: an error no handler of theirs expects."""
    router = page_router()

    @router.get("/broken-page")
    def broken_page() -> None:
        raise RuntimeError(DETAIL)

    return router


def _api_that_fails() -> APIRouter:
    router = APIRouter()

    @router.get("/v1/broken")
    def broken_route() -> None:
        raise RuntimeError(DETAIL)

    return router


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """A client of an app whose database cannot be reached."""
    url = (
        f"sqlite:///{tmp_path / 'no-such-folder' / 'servematch.db'}"
        if request.param == "sqlite"
        else f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/servematch"
    )
    app: FastAPI = create_app(Settings(database_url=url, session_secret="s" * 40))
    app.include_router(_pages_that_fail())
    app.include_router(_api_that_fails())
    # No lifespan: it would warm the member snapshot from the database that is not there.
    yield TestClient(app, raise_server_exceptions=False)
    app.state.engine.dispose()


def _is_page(answer_text: str, content_type: str) -> bool:
    return content_type.startswith("text/html") and "<main" in answer_text


def test_signing_in_while_the_database_is_out_of_reach_is_a_503_page(
    unreachable: TestClient,
) -> None:
    form = unreachable.get("/")  # the sign-in form needs no database
    assert form.status_code == 200
    token = CSRF_FIELD.search(form.text)
    assert token is not None

    answer = unreachable.post("/", data={"key": "sm_" + "x" * 40, "csrf_token": token.group(1)})

    assert answer.status_code == 503
    assert _is_page(answer.text, answer.headers["content-type"])
    assert "Try again shortly" in answer.text
    assert answer.headers["retry-after"] == "5"
    assert "Traceback" not in answer.text and "OperationalError" not in answer.text


def test_the_api_still_answers_the_outage_in_json(unreachable: TestClient) -> None:
    answer = unreachable.get("/v1/me", headers={"Authorization": "Bearer sm_" + "x" * 40})
    assert (answer.status_code, answer.json()) == (503, UNREACHABLE)
    assert answer.headers["retry-after"] == "5"


def test_an_unexpected_failure_on_a_page_is_a_500_page_without_its_detail(
    unreachable: TestClient,
) -> None:
    answer = unreachable.get("/broken-page")
    assert answer.status_code == 500
    assert _is_page(answer.text, answer.headers["content-type"])
    assert "Something went wrong" in answer.text
    assert DETAIL not in answer.text and "Traceback" not in answer.text


def test_an_unexpected_failure_in_the_api_stays_json(unreachable: TestClient) -> None:
    answer = unreachable.get("/v1/broken")
    assert (answer.status_code, answer.json()) == (
        500,
        {"detail": "internal error", "code": "internal_error"},
    )
