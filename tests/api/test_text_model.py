"""The text model refits in the background: a stale model serves until its successor is ready."""

import time

from fastapi import FastAPI

from api.matching.text_model import TextModelCache
from tests.factories import Network

BOUND_S = 60.0


def test_a_stale_model_keeps_serving_while_its_successor_learns_the_new_words(
    app: FastAPI, network: Network
) -> None:
    staffed = network.staffed_community()
    network.need(staffed.coordinator_key, community_id=staffed.id, description="allotment digging")
    cache = TextModelCache(max_age_s=0.0)  # always stale: every call wants a refit
    with app.state.sessionmaker() as session:
        first = cache.get(session)  # nothing to serve yet: fitted while the caller waits
        assert first is not None and "allotment" in first.terms_
        network.need(staffed.coordinator_key, community_id=staffed.id, description="harmonium")
        assert cache.get(session) is first  # answered at once with the model it has
    deadline = time.monotonic() + BOUND_S
    while True:
        with app.state.sessionmaker() as session:
            latest = cache.get(session)
        if latest is not first and latest is not None and "harmonium" in latest.terms_:
            break
        assert time.monotonic() < deadline, "the refit never landed"
        time.sleep(0.05)
