import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from geopy.exc import GeocoderNotFound

from geo.geocoding import Geocoder, GeocodingError, Place, make_geocoder

USER_AGENT = "servematch-tests"


@dataclass
class FakeNominatim:
    """A local stand-in for nominatim.openstreetmap.org, so the real geopy path runs offline."""

    domain: str
    requests: list[tuple[str, dict[str, list[str]], str]] = field(default_factory=list)
    release_slow_requests: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def fake_nominatim() -> Iterator[FakeNominatim]:
    fake: FakeNominatim

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            params = parse_qs(url.query)
            fake.requests.append((url.path, params, self.headers.get("User-Agent", "")))
            query = params.get("q", [""])[0]
            if query == "fail":
                self._reply(500, b"internal error")
            elif query == "slow":
                fake.release_slow_requests.wait(timeout=5)
                self._reply(200, b"[]")
            elif query == "London":
                body = [{"lat": "51.5", "lon": "-0.12", "display_name": "London, England"}]
                self._reply(200, json.dumps(body).encode())
            else:
                self._reply(200, b"[]")

        def _reply(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # The timeout test's client has already gone; nothing to report.
            with contextlib.suppress(OSError):
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake = FakeNominatim(domain=f"127.0.0.1:{server.server_address[1]}")
    # A short poll interval keeps shutdown (and so each test) quick.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release_slow_requests.set()
        server.shutdown()
        server.server_close()
        thread.join()


def _local_nominatim(fake: FakeNominatim, **options: float) -> Geocoder:
    return make_geocoder(
        "nominatim",
        user_agent=USER_AGENT,
        domain=fake.domain,
        scheme="http",
        max_retries=0,
        **options,  # type: ignore[arg-type]
    )


def test_nominatim_answer_becomes_a_place(fake_nominatim: FakeNominatim) -> None:
    place = _local_nominatim(fake_nominatim).geocode("London")
    assert place == Place(name="London, England", lat=51.5, lon=-0.12)


def test_nominatim_is_asked_for_json_with_our_user_agent(fake_nominatim: FakeNominatim) -> None:
    _local_nominatim(fake_nominatim).geocode("London")
    ((path, params, user_agent),) = fake_nominatim.requests
    assert path == "/search"
    assert params["q"] == ["London"]
    assert params["format"] == ["json"]
    assert user_agent == USER_AGENT


def test_no_match_is_none_not_an_error(fake_nominatim: FakeNominatim) -> None:
    assert _local_nominatim(fake_nominatim).geocode("Atlantis") is None


def test_a_server_error_becomes_a_geocoding_error(fake_nominatim: FakeNominatim) -> None:
    with pytest.raises(GeocodingError, match="nominatim"):
        _local_nominatim(fake_nominatim).geocode("fail")


def test_a_slow_server_becomes_a_geocoding_error(fake_nominatim: FakeNominatim) -> None:
    with pytest.raises(GeocodingError):
        _local_nominatim(fake_nominatim, timeout_s=0.05).geocode("slow")


def test_an_unreachable_server_becomes_a_geocoding_error() -> None:
    # Bind and close a socket to get a local port nobody is listening on.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    geocoder = make_geocoder(
        "nominatim",
        user_agent=USER_AGENT,
        domain=f"127.0.0.1:{port}",
        scheme="http",
        max_retries=0,
    )
    with pytest.raises(GeocodingError):
        geocoder.geocode("London")


def test_failed_requests_are_retried_before_giving_up(
    fake_nominatim: FakeNominatim, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Retry at once rather than after geopy's usual 5 s pause.
    monkeypatch.setattr("geo.geocoding._ERROR_WAIT_S", 0.0)
    geocoder = _local_nominatim(fake_nominatim, min_delay_s=0.0)
    geocoder_with_one_retry = make_geocoder(
        "nominatim",
        user_agent=USER_AGENT,
        domain=fake_nominatim.domain,
        scheme="http",
        min_delay_s=0.0,
        max_retries=1,
    )
    with pytest.raises(GeocodingError):
        geocoder_with_one_retry.geocode("fail")
    assert len(fake_nominatim.requests) == 2
    with pytest.raises(GeocodingError):
        geocoder.geocode("fail")
    assert len(fake_nominatim.requests) == 3


def test_error_messages_leave_out_the_query_because_it_may_be_a_home_address(
    fake_nominatim: FakeNominatim,
) -> None:
    with pytest.raises(GeocodingError) as raised:
        _local_nominatim(fake_nominatim).geocode("fail")
    assert "fail" not in str(raised.value).replace("failed", "")


def test_the_public_nominatim_server_cannot_be_configured_faster_than_its_policy() -> None:
    with pytest.raises(ValueError, match="one request per second"):
        make_geocoder("nominatim", user_agent=USER_AGENT, min_delay_s=0.5)
    assert make_geocoder("nominatim", user_agent=USER_AGENT).provider == "nominatim"


def test_an_unknown_provider_is_refused() -> None:
    with pytest.raises(GeocoderNotFound):
        make_geocoder("no-such-service", user_agent=USER_AGENT)


def test_an_option_the_provider_does_not_take_is_refused() -> None:
    with pytest.raises(ValueError, match="api_key"):
        make_geocoder("nominatim", user_agent=USER_AGENT, api_key="secret")


def test_a_blank_query_is_refused_before_any_request() -> None:
    with pytest.raises(ValueError, match="blank"):
        make_geocoder("gazetteer", user_agent=USER_AGENT).geocode("   ")


def test_the_gazetteer_answers_offline_from_the_city_list() -> None:
    gazetteer = make_geocoder("gazetteer", user_agent=USER_AGENT)
    london = gazetteer.geocode("London")
    assert london is not None
    assert london.name == "London, GB"
    assert gazetteer.geocode("London, CA") == Place("London, CA", 42.98339, -81.23304)
    assert gazetteer.geocode("Nowhereville") is None
