"""A worker's upkeep between requests: overdue invitations give their places back, and the
record of what members were shown is kept current and bounded (``api.feedback``).

Places are already safe without it (every write on a need first expires that need's overdue
invitations, under its lock); the sweep makes what people *read* catch up too — a need's
``roles[].invited``, its status — when nobody writes to it. Every worker sweeps; the need's
row lock makes two sweeps of one need take turns, and the second finds nothing left to do.
"""

import asyncio
import logging

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api.db.engine import WRITE_OPTION
from api.db.types import utcnow
from api.feedback import service as feedback
from api.signups import service as signups

SWEEP_NEEDS = 200
"""Needs swept per transaction: short transactions, so the sweep never holds locks for long."""

log = logging.getLogger(__name__)


def sweep_once(make_session: sessionmaker[Session], *, retention_days: float | None = None) -> int:
    """Expire overdue invitations, ``SWEEP_NEEDS`` needs per transaction, until none are left;
    returns the needs swept. With ``retention_days``, then mark unanswered suggestions of
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
    if retention_days is not None:
        with make_session() as session:
            session.connection(execution_options={WRITE_OPTION: True})
            feedback.sweep(session, now=utcnow(), retention_days=retention_days)
            session.commit()
    return swept


async def sweep_forever(
    make_session: sessionmaker[Session], *, every_s: float, retention_days: float | None = None
) -> None:
    """Sweep every ``every_s`` seconds until cancelled; a failed sweep is logged and retried."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await run_in_threadpool(sweep_once, make_session, retention_days=retention_days)
        except Exception:  # the database may be down for a moment: the next sweep retries
            log.exception("invitation sweep failed")
