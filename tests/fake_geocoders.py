"""Nominatim, Photon and Pelias on 127.0.0.1, speaking their JSON, so geopy's real path runs
offline. A pytest plugin (see ``tests/conftest.py``): the ``fake_geocoders`` fixture.

Queries it knows are in ``ANSWERS``; "fail" answers 500 and "slow" waits until released.
"""

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

# query -> answers, best first: (display name, lat, lon, admin-1 name, country, alpha-2)
UK, US = ("United Kingdom", "GB"), ("United States", "US")
ANSWERS = {
    "Bristol": [
        ("Bristol, City of Bristol, England, United Kingdom", 51.4538, -2.5973, "England", *UK)
    ],
    "Springfield": [
        ("Springfield, Sangamon County, Illinois, United States", 39.799, -89.644, "Illinois", *US),
        ("Springfield, Greene County, Missouri, United States", 37.208, -93.292, "Missouri", *US),
    ],
}


def nominatim_results(query: str, params: dict[str, list[str]]) -> list[dict[str, Any]]:
    results = []
    for index, (display_name, lat, lon, state, country, code) in enumerate(ANSWERS.get(query, [])):
        result: dict[str, Any] = {
            "place_id": 1000 + index,
            "licence": "Data © OpenStreetMap contributors, ODbL 1.0.",
            "osm_type": "relation",
            "osm_id": 5746665 + index,
            "lat": str(lat),
            "lon": str(lon),
            "class": "boundary",
            "type": "administrative",
            "display_name": display_name,
            "boundingbox": [str(lat - 0.1), str(lat + 0.1), str(lon - 0.1), str(lon + 0.1)],
        }
        # Like the real server, the address parts come only when asked for.
        if params.get("addressdetails") == ["1"]:
            result["address"] = {"state": state, "country": country, "country_code": code.lower()}
        results.append(result)
    return results


def photon_results(query: str, params: dict[str, list[str]]) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "name": display_name.split(",")[0],
                "state": state,
                "country": country,
                "countrycode": code,
            },
        }
        for display_name, lat, lon, state, country, code in ANSWERS.get(query, [])
    ]
    return {"type": "FeatureCollection", "features": features}


def pelias_results(query: str, params: dict[str, list[str]]) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "name": display_name.split(",")[0],
                "label": display_name,
                # Who's On First's layers for a British city: the nation is a macroregion.
                "macroregion": state,
                "region": display_name.split(",")[1].strip(),
                "country": country,
                "country_a": {"GB": "GBR", "US": "USA"}[code],
            },
        }
        for display_name, lat, lon, state, country, code in ANSWERS.get(query, [])
    ]
    return {"type": "FeatureCollection", "features": features}


# Longest first, so "/v1/search" is not taken for Nominatim's "/search".
DIALECTS = {
    "/v1/search": ("text", pelias_results),
    "/search": ("q", nominatim_results),
    "/api": ("q", photon_results),
}


@dataclass
class Request:
    path: str
    params: dict[str, list[str]]
    user_agent: str


@dataclass
class FakeGeocoders:
    """Nominatim, Photon and Pelias on 127.0.0.1, so the real geopy path runs offline."""

    url: str
    requests: list[Request] = field(default_factory=list)
    release_slow_requests: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def fake_geocoders() -> Iterator[FakeGeocoders]:
    fake: FakeGeocoders

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            params = parse_qs(url.query)
            fake.requests.append(Request(url.path, params, self.headers.get("User-Agent", "")))
            suffix = next(suffix for suffix in DIALECTS if url.path.endswith(suffix))
            query_param, results = DIALECTS[suffix]
            query = params[query_param][0]
            if query == "fail":
                self._reply(500, b"internal error")
                return
            if query == "slow":
                fake.release_slow_requests.wait(timeout=5)
            self._reply(200, json.dumps(results(query, params)).encode())

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
    fake = FakeGeocoders(url=f"http://127.0.0.1:{server.server_address[1]}")
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
