"""The suite-wide privacy scan must itself catch a leak, or it proves nothing."""

from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI

from geo.privacy import coarsen
from tests.factories import Network, auth
from tests.privacy_scan import PrivacyScanner

PLACE = {"lat": 51.4551234, "lon": -2.5912345}


def _answer(key: str, body: Any) -> httpx.Response:
    request = httpx.Request("GET", "http://testserver/v1/anything", headers=auth(key))
    return httpx.Response(200, json=body, request=request)


def test_the_scan_fails_an_answer_showing_a_private_place_to_an_outsider(
    app: FastAPI, network: Network
) -> None:
    world = network.staffed_community()
    network.need(
        world.coordinator_key, community_id=world.id, location=PLACE, private_location=True
    )
    scanner = PrivacyScanner(app.state.engine, cell_km=1.0)
    with pytest.raises(AssertionError, match="private place of need"):
        scanner(
            _answer(
                world.member_key, {"type": "Point", "coordinates": [PLACE["lon"], PLACE["lat"]]}
            )
        )
    cell = coarsen(PLACE["lat"], PLACE["lon"], cell_km=1.0)
    scanner(_answer(world.member_key, {"location": {"lat": cell.lat, "lon": cell.lon}}))
    scanner(_answer(world.coordinator_key, {"location": PLACE}))


def test_the_scan_fails_an_answer_showing_a_home_to_another_member(
    app: FastAPI, network: Network
) -> None:
    world = network.staffed_community()
    neighbour = network.member(world.id, home={"lat": 51.4712345, "lon": -2.6012345})
    scanner = PrivacyScanner(app.state.engine, cell_km=1.0)
    with pytest.raises(AssertionError, match="home of member"):
        scanner(_answer(world.member_key, {"a": 51.47123, "b": [-2.60123]}))
    scanner(_answer(neighbour["api_key"], {"home": neighbour["home"]}))
