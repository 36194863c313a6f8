"""The attacks that located private places in proximity apps, run against the service.

A member who may move their own home and read back what the service says (distances,
reasons, whether a need appears, sign-up refusals, need searches) tries to find where a
private need really is. Two defences are checked on both backends:

- indistinguishability: two private needs in the same coarse cell, at opposite corners,
  give the attacker exactly the same answers at every probe, so nothing observable depends
  on where in the cell a place lies;
- the attacks themselves (trilateration by least squares over distances, and the radius
  filter used as an oracle) end up no nearer the true place than the cell centre shown.
"""

from statistics import median
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from geographiclib.geodesic import Geodesic
from scipy.optimize import least_squares

from api.settings import Settings
from geo.distance import geodesic_km_exact
from geo.privacy import coarsen
from tests.factories import Network, Staffed, auth

CELL_KM = Settings().location_coarsening_km
BRISTOL = (51.4545, -2.5879)
CORNER_M = 400.0
"""How far from its cell centre each private place is put: near a corner (cells are ~1 km)."""


def _moved(lat: float, lon: float, *, azimuth: float, metres: float) -> tuple[float, float]:
    line = Geodesic.WGS84.Direct(lat, lon, azimuth, metres)
    return line["lat2"], line["lon2"]


def _cell_centre(lat: float, lon: float) -> tuple[float, float]:
    cell = coarsen(lat, lon, cell_km=CELL_KM)
    return cell.lat, cell.lon


def _place_in_cell(centre: tuple[float, float], azimuth: float) -> tuple[float, float]:
    place = _moved(*centre, azimuth=azimuth, metres=CORNER_M)
    assert _cell_centre(*place) == centre, "test set-up: the place must stay in its cell"
    return place


class Attacker:
    """A member of the community probing from wherever they say they live."""

    def __init__(self, client: TestClient, world: Staffed) -> None:
        self.client = client
        self.id = world.member["id"]
        self.headers = auth(world.member_key)

    def move(self, lat: float, lon: float, *, radius_km: float | None = None) -> None:
        body: dict[str, Any] = {"home": {"lat": lat, "lon": lon}}
        if radius_km is not None:
            body["max_travel_km"] = radius_km
        response = self.client.patch(f"/v1/members/{self.id}", json=body, headers=self.headers)
        assert response.status_code == 200, response.text

    def suggestions(self) -> dict[str, dict[str, Any]]:
        response = self.client.get(
            f"/v1/members/{self.id}/suggestions?limit=50", headers=self.headers
        )
        assert response.status_code == 200, response.text
        return {item["need_id"]: item for item in response.json()["suggestions"]}

    def sign_up_refusal(self, need_id: str) -> dict[str, Any]:
        response = self.client.post(
            f"/v1/needs/{need_id}/signups",
            json={"member_id": self.id, "role": "visitor"},
            headers=self.headers,
        )
        assert response.status_code == 422, response.text
        body: dict[str, Any] = response.json()
        return body

    def search(self, lat: float, lon: float, radius_km: float) -> set[str]:
        response = self.client.get(
            f"/v1/needs?near={lat},{lon}&radius_km={radius_km}&limit=200", headers=self.headers
        )
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}


@pytest.fixture
def world(network: Network) -> Staffed:
    return network.staffed_community(meeting_point={"lat": BRISTOL[0], "lon": BRISTOL[1]})


def _private_need(network: Network, world: Staffed, lat: float, lon: float) -> str:
    need = network.need(
        world.coordinator_key,
        community_id=world.id,
        title="Visit a neighbour after surgery",
        description="Company and a cup of tea",
        category="visiting",
        location={"lat": lat, "lon": lon},
        private_location=True,
        roles=[{"name": "visitor", "count": 2}],
    )
    return str(need["id"])


def _observable(suggestion: dict[str, Any]) -> tuple[Any, ...]:
    """Everything a suggestion says, except which need it is."""
    return (
        suggestion["distance_km"],
        suggestion["score"],
        suggestion["components"],
        suggestion["reasons"],
        suggestion["location"],
        suggestion["location_approximate"],
    )


def _least_squares_place(probes: list[tuple[float, float, float]]) -> tuple[float, float]:
    """The point whose distances to the probe homes best fit the distances read back."""
    lat0, lon0, _ = probes[0]

    def residuals(guess: np.ndarray) -> np.ndarray:
        return np.array(
            [geodesic_km_exact(lat, lon, guess[0], guess[1]) - km for lat, lon, km in probes]
        )

    fit = least_squares(residuals, x0=np.array([lat0, lon0]), x_scale=np.array([0.01, 0.01]))
    return float(fit.x[0]), float(fit.x[1])


def test_twin_private_places_in_one_cell_look_the_same_from_every_probe(
    client: TestClient, network: Network, world: Staffed
) -> None:
    centre = _cell_centre(*_moved(*BRISTOL, azimuth=0, metres=3000))
    twins = [_private_need(network, world, *_place_in_cell(centre, az)) for az in (45, 225)]
    attacker = Attacker(client, world)
    homes = [_moved(*centre, azimuth=az, metres=m) for az in range(0, 360, 30) for m in (900, 2500)]
    seen_together = 0
    for home in homes:
        attacker.move(*home, radius_km=2.0)
        found = attacker.suggestions()
        shown = [twin in found for twin in twins]
        assert shown[0] == shown[1], f"from {home} only one twin was suggested"
        if all(shown):
            seen_together += 1
            assert _observable(found[twins[0]]) == _observable(found[twins[1]])
        else:
            refusals = [attacker.sign_up_refusal(twin) for twin in twins]
            assert refusals[0] == refusals[1], f"from {home} the refusals differ"
        for radius_km in (0.05, 1.0, 2.2):
            hits = attacker.search(*home, radius_km)
            assert (twins[0] in hits) == (twins[1] in hits), f"search {home} {radius_km} km"
    assert 0 < seen_together < len(homes), "the probes must cross the radius both ways"
    for twin_place_azimuth, twin in zip((45, 225), twins, strict=True):
        true_place = _place_in_cell(centre, twin_place_azimuth)
        assert twin not in attacker.search(*true_place, 0.05), "the true place is no beacon"
        assert twin in attacker.search(*centre, 0.05), "the shown cell is what a search finds"


def test_trilateration_from_moved_homes_gets_no_nearer_than_the_cell(
    client: TestClient, network: Network, world: Staffed
) -> None:
    attacker = Attacker(client, world)
    cells = [
        _cell_centre(*_moved(*BRISTOL, azimuth=bearing, metres=4000))
        for bearing in range(0, 360, 72)
    ]
    places = [_place_in_cell(centre, 45 + 90 * index) for index, centre in enumerate(cells)]
    needs = [_private_need(network, world, *place) for place in places]
    readings: dict[str, list[tuple[float, float, float]]] = {need: [] for need in needs}
    for azimuth in range(0, 360, 45):
        home = _moved(*BRISTOL, azimuth=azimuth + 10, metres=2500)
        attacker.move(*home, radius_km=25.0)
        found = attacker.suggestions()
        for need in needs:
            readings[need].append((*home, found[need]["distance_km"]))
    attack_errors_m, cell_errors_m = [], []
    for need, place, centre in zip(needs, places, cells, strict=True):
        guess = _least_squares_place(readings[need])
        attack_errors_m.append(1000 * geodesic_km_exact(*guess, *place))
        cell_errors_m.append(1000 * geodesic_km_exact(*centre, *place))
    attack, cell = median(attack_errors_m), median(cell_errors_m)
    assert attack >= 0.5 * cell, (
        f"trilateration located private places to a median {attack:.0f} m; the cell centre "
        f"shown is {cell:.0f} m off (cell {CELL_KM} km)"
    )
    print(f"trilateration: median error {attack:.0f} m; shown cell centre {cell:.0f} m off")


def _flip_distance_km(
    attacker: Attacker, need: str, centre: tuple[float, float], az: float
) -> float:
    """Walk home outward from the cell in 25 m steps; how far out the need disappears."""
    radius_km = 1.5
    for step in range(41):
        metres = 1000 + 25 * step
        attacker.move(*_moved(*centre, azimuth=az, metres=metres), radius_km=radius_km)
        if need not in attacker.suggestions():
            return metres / 1000 - radius_km
    raise AssertionError("the need never disappeared")


def test_the_radius_oracle_finds_the_cell_centre_not_the_place(
    client: TestClient, network: Network, world: Staffed
) -> None:
    attacker = Attacker(client, world)
    centre = _cell_centre(*_moved(*BRISTOL, azimuth=200, metres=3000))
    place = _place_in_cell(centre, 45)
    need = _private_need(network, world, *place)
    # Where the need vanishes along each bearing, less the radius, is how far the point the
    # service measures from lies from the cell centre in that direction (±25 m steps).
    offsets = {az: _flip_distance_km(attacker, need, centre, az) for az in (0, 90, 180, 270)}
    north = (offsets[0] - offsets[180]) / 2
    east = (offsets[90] - offsets[270]) / 2
    guess = _moved(*_moved(*centre, azimuth=0, metres=1000 * north), azimuth=90, metres=1000 * east)
    attack_m = 1000 * geodesic_km_exact(*guess, *place)
    cell_m = 1000 * geodesic_km_exact(*centre, *place)
    assert attack_m >= cell_m - 50, (
        f"the radius oracle located the private place to {attack_m:.0f} m; the cell centre "
        f"shown is {cell_m:.0f} m off (cell {CELL_KM} km)"
    )
    print(f"radius oracle: error {attack_m:.0f} m; shown cell centre {cell_m:.0f} m off")
