"""A worker's upkeep between requests: overdue invitations give their places back, needs
that keep asking ask the next members for places given back (``api.assignment``), and the
record of what members were shown is kept current and bounded (``api.feedback``).

Places are already safe without it (every write on a need first expires that need's overdue
invitations, under its lock); the sweep makes what people *read* catch up too — a need's
``roles[].invited``, its status — when nobody writes to it. Every worker sweeps; the need's
row lock makes two sweeps of one need take turns, and the second finds nothing left to do.
"""

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api.assignment import service as assignment
from api.db.engine import WRITE_OPTION
from api.db.types import utcnow
from api.feedback import service as feedback
from api.matching.service import Ranking
from api.needs import service as needs
from api.signups import service as signups

SWEEP_NEEDS = 200
"""Needs swept per transaction: short transactions, so the sweep never holds locks for long."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Asking:
    """What asking again needs (``api.assignment.service.ask_again``): the worker's ranking
    and how long an invitation waits for its answer."""

    ranking: Ranking
    ttl_hours: float


def sweep_once(
    make_session: sessionmaker[Session],
    *,
    retention_days: float | None = None,
    asking: Asking | None = None,
) -> int:
    """Expire overdue invitations, ``SWEEP_NEEDS`` needs per transaction, until none are left;
    returns the needs swept. With ``asking``, then ask again on the needs that keep asking
    and had a place given back. With ``retention_days``, then mark unanswered suggestions of
    started needs ignored and delete shown matches older than that (two bulk statements)."""
    swept = 0
    while True:
        with make_session() as session:
            session.connection(execution_options={WRITE_OPTION: True})
            done = signups.expire_overdue(session, now=utcnow(), limit=SWEEP_NEEDS)
            session.commit()
        swept += done
        if done < SWEEP_NEEDS:
            break
    while asking is not None:
        with make_session() as session:
            session.connection(execution_options={WRITE_OPTION: True})
            asked = assignment.ask_again(
                session, now=utcnow(), ranking=asking.ranking, ttl_hours=asking.ttl_hours
            )
            session.commit()
        if asked < needs.ASK_AGAIN_NEEDS:
            break
    if retention_days is not None:
        with make_session() as session:
            session.connection(execution_options={WRITE_OPTION: True})
            feedback.sweep(session, now=utcnow(), retention_days=retention_days)
            session.commit()
    return swept


async def sweep_forever(
    make_session: sessionmaker[Session],
    *,
    every_s: float,
    retention_days: float | None = None,
    asking: Asking | None = None,
) -> None:
    """Sweep every ``every_s`` seconds until cancelled; a failed sweep is logged and retried."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await run_in_threadpool(
                sweep_once, make_session, retention_days=retention_days, asking=asking
            )
        except Exception:  # the database may be down for a moment: the next sweep retries
            log.exception("invitation sweep failed")
