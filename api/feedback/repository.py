"""Every query of the feedback domain: shown matches, their outcomes, the trained models.

Showing a list of suggestions is recorded in ONE statement (an INSERT … ON CONFLICT DO UPDATE
over every row shown), so the hot read path pays one round trip whatever the list's length.
Both backends have ``ON CONFLICT``; only the dialect's ``insert`` construct differs.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Row, Select, and_, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api.db.models import Community, MatchEvent, Member, RankingModel, Signup
from api.vocabulary import DeclineReason, MatchEventKind, MatchOutcome, SignupStatus

NOT_ANSWERED: tuple[SignupStatus, ...] = ("waiting", "superseded")
"""Invitations whose match event is no answer: not sent yet, or their place went to someone
else who was asked for it."""
TRAINING_ROWS_MAX = 200_000
"""Answers a training reads at most (the most recent): plenty for ~25 features, bounded."""

_KEY = ("member_id", "need_id", "kind")


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(MatchEvent)


def record_suggestions(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the shown suggestions, or count one more showing of those already there (the
    best rank kept; score and components those of the latest showing)."""
    if not rows:
        return
    statement = _insert(session).values(list(rows))
    new = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={
            "shown_count": MatchEvent.shown_count + 1,
            "last_shown_at": new.last_shown_at,
            "rank": case(
                (MatchEvent.rank.is_(None), new.rank),
                (new.rank < MatchEvent.rank, new.rank),
                else_=MatchEvent.rank,
            ),
            "role": new.role,
            "score": new.score,
            "components": new.components,
            "starts_at": new.starts_at,
            "local_weekday": new.local_weekday,
            "local_hour": new.local_hour,
        },
    )
    session.execute(statement)


def record_invitation(session: Session, row: dict[str, Any]) -> None:
    """Insert a sent invitation; a new invitation to the same need starts its answer afresh."""
    statement = _insert(session).values(row)
    new = statement.excluded
    session.execute(
        statement.on_conflict_do_update(
            index_elements=list(_KEY),
            set_={
                "shown_count": MatchEvent.shown_count + 1,
                "last_shown_at": new.last_shown_at,
                "rank": new.rank,
                "role": new.role,
                "score": new.score,
                "components": new.components,
                "outcome": None,
                "decline_reason": None,
                "outcome_at": None,
            },
        )
    )


def set_outcome(
    session: Session,
    *,
    member_id: str,
    need_id: str,
    kind: MatchEventKind,
    outcome: MatchOutcome,
    now: datetime,
    decline_reason: DeclineReason | None = None,
) -> int:
    """Record what became of a shown match, if it was shown; returns rows changed (0 or 1)."""
    result = session.execute(
        update(MatchEvent)
        .where(
            MatchEvent.member_id == member_id,
            MatchEvent.need_id == need_id,
            MatchEvent.kind == kind,
        )
        .values(outcome=outcome, outcome_at=now, decline_reason=decline_reason)
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount)


def mark_shown(session: Session, *, member_id: str, need_id: str, now: datetime) -> None:
    """Date the member's invitation to the need as shown at ``now`` (a waiting one, sent)."""
    session.execute(
        update(MatchEvent)
        .where(
            MatchEvent.member_id == member_id,
            MatchEvent.need_id == need_id,
            MatchEvent.kind == "invitation",
        )
        .values(shown_at=now, last_shown_at=now)
        .execution_options(synchronize_session=False)
    )


def delete_invitation_event(session: Session, *, member_id: str, need_id: str) -> None:
    """Forget the member's invitation to the need (a waiting one, never sent)."""
    session.execute(
        delete(MatchEvent)
        .where(
            MatchEvent.member_id == member_id,
            MatchEvent.need_id == need_id,
            MatchEvent.kind == "invitation",
        )
        .execution_options(synchronize_session=False)
    )


def suggestion_event(session: Session, *, member_id: str, need_id: str) -> MatchEvent | None:
    """The member's suggestion row for the need, if any."""
    return session.scalar(
        select(MatchEvent).where(
            MatchEvent.member_id == member_id,
            MatchEvent.need_id == need_id,
            MatchEvent.kind == "suggestion",
        )
    )


def member_timezone(session: Session, *, member_id: str) -> str:
    """The IANA zone of the member's community (their local clock)."""
    return str(
        session.scalar(
            select(Community.timezone)
            .join(Member, Member.community_id == Community.id)
            .where(Member.id == member_id)
        )
    )


def mark_ignored(session: Session, *, now: datetime) -> int:
    """Suggestions left unanswered once their need started become ``ignored`` (as of the
    start); returns how many."""
    result = session.execute(
        update(MatchEvent)
        .where(
            MatchEvent.kind == "suggestion",
            MatchEvent.outcome.is_(None),
            MatchEvent.starts_at <= now,
        )
        .values(outcome="ignored", outcome_at=MatchEvent.starts_at)
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount)


def delete_shown_before(session: Session, *, cutoff: datetime) -> int:
    """Delete every shown match first shown before ``cutoff``, in one statement."""
    result = session.execute(
        delete(MatchEvent)
        .where(MatchEvent.shown_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount)


def delete_member_events(session: Session, *, member_id: str) -> int:
    """Delete everything recorded about what a member was shown and how they answered."""
    result = session.execute(
        delete(MatchEvent)
        .where(MatchEvent.member_id == member_id)
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount)


def training_rows(session: Session, *, now: datetime) -> Sequence[Row[*tuple[Any, ...]]]:
    """Answered shown matches with the engine's components, most recent first: those with an
    outcome, and unanswered suggestions whose need has started (ignored, whether or not the
    sweep has marked them yet). An unanswered "maybe later" whose need started counts too.
    An invitation still waiting (not sent), or superseded (the place went to someone else
    asked for it), is no answer of any kind and is left out."""
    waiting = select(Signup.id).where(
        Signup.member_id == MatchEvent.member_id,
        Signup.need_id == MatchEvent.need_id,
        Signup.status.in_(NOT_ANSWERED),
    )
    statement: Select[*tuple[Any, ...]] = (
        select(
            MatchEvent.member_id,
            MatchEvent.score,
            MatchEvent.components,
            MatchEvent.category,
            MatchEvent.local_weekday,
            MatchEvent.local_hour,
            MatchEvent.starts_at,
            MatchEvent.shown_at,
            func.coalesce(MatchEvent.outcome, "ignored").label("outcome"),
        )
        .where(
            MatchEvent.components.is_not(None),
            MatchEvent.score.is_not(None),
            ~(and_(MatchEvent.kind == "invitation", waiting.exists())),
            or_(
                and_(
                    MatchEvent.outcome.is_not(None),
                    MatchEvent.outcome != "maybe_later",
                ),
                MatchEvent.starts_at <= now,
            ),
        )
        .order_by(MatchEvent.shown_at.desc(), MatchEvent.id)
        .limit(TRAINING_ROWS_MAX)
    )
    return session.execute(statement).all()


def store_model(session: Session, model: RankingModel) -> None:
    """Store a trained model; if it is active, it is the only one."""
    if model.active:
        session.execute(
            update(RankingModel)
            .where(RankingModel.active.is_(True))
            .values(active=False)
            .execution_options(synchronize_session=False)
        )
    session.add(model)
    session.flush()


def deactivate_all(session: Session) -> None:
    """No learned model ranks: the hand weights do."""
    session.execute(
        update(RankingModel)
        .where(RankingModel.active.is_(True))
        .values(active=False)
        .execution_options(synchronize_session=False)
    )


def latest_model(session: Session) -> RankingModel | None:
    """The most recently trained model, active or not."""
    return session.scalar(
        select(RankingModel).order_by(RankingModel.trained_at.desc(), RankingModel.id).limit(1)
    )


def active_model(session: Session) -> RankingModel | None:
    """The model that ranks, if any."""
    return session.scalar(select(RankingModel).where(RankingModel.active.is_(True)).limit(1))


def active_model_id(session: Session) -> str | None:
    """Only the active model's id: what a worker checks to notice a new one."""
    return session.scalar(select(RankingModel.id).where(RankingModel.active.is_(True)).limit(1))
