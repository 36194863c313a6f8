"""Feedback use cases: record what members are shown and what they make of it, let them hide
or snooze a suggestion, keep the records bounded, and train the re-ranker on them.

What is recorded (``match_events``): who was shown which need, in which role, at which rank,
with which score and score components, the need's category and local start, when, how often,
and the outcome — a choice from fixed lists only (a decline's reason, never its free-text
note), so nothing a member typed can reach a training set.

Outcomes are set where they happen: a sign-up on a suggested need (``signed_up``), an
invitation's answer (``accepted``, ``declined`` with its reason, ``expired``), a member's
verdict (``not_for_me``, ``maybe_later``). A suggestion left unanswered once its need has
started is ``ignored``: the sweep marks it (``sweep``), and training counts it so even before.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from api.auth.principal import Principal
from api.db.models import Need, RankingModel
from api.db.types import new_id
from api.feedback import repository

# Re-exported: callers of this service pass the worker's cache through it.
from api.feedback.ranking_cache import RankingModelCache as RankingModelCache
from api.feedback.schemas import (
    EngineView,
    FeedbackOut,
    Figures,
    RankingStatus,
    TrainedModel,
)
from api.members import service as members
from api.needs import service as needs
from api.vocabulary import (
    TAKEN_OUTCOMES,
    Category,
    DeclineReason,
    FeedbackVerdict,
    values,
)
from matcher import Weights
from matcher.local_time import epoch_seconds
from matcher.rerank import (
    AcceptanceModel,
    Evaluation,
    NotEnoughFeedback,
    evaluate,
    features,
    local_weekday_hour,
)
from matcher.weights import COMPONENTS

logger = logging.getLogger(__name__)

CATEGORIES: tuple[str, ...] = values(Category)
"""The category vocabulary the re-ranker's one-hot columns are built from."""
SNOOZE_BEFORE_START = timedelta(hours=24)
"""A snoozed need comes back at the latest this long before it starts, while it can be taken."""


@dataclass(frozen=True, slots=True)
class Shown:
    """One need as a member saw it in a list: what the engine said and where it stood."""

    need_id: str
    role: str
    rank: int | None
    score: float | None
    components: dict[str, float] | None
    category: str
    starts_at: datetime


def _rows(member_id: str, zone: str, shown: Sequence[Shown], now: datetime) -> list[dict[str, Any]]:
    weekdays, hours = local_weekday_hour(
        np.array([epoch_seconds(each.starts_at) for each in shown], dtype=np.int64), zone
    )
    return [
        {
            "member_id": member_id,
            "need_id": each.need_id,
            "kind": "suggestion",
            "role": each.role,
            "rank": each.rank,
            "score": each.score,
            "components": each.components,
            "category": each.category,
            "starts_at": each.starts_at,
            "local_weekday": int(weekday),
            "local_hour": float(hour),
            "shown_at": now,
            "last_shown_at": now,
            "shown_count": 1,
        }
        for each, weekday, hour in zip(shown, weekdays, hours, strict=True)
    ]


def record_suggestions(
    session: Session, *, member_id: str, zone: str, shown: Sequence[Shown], now: datetime
) -> None:
    """Record a list of suggestions as shown, in one statement.

    In a savepoint, and never fatal: recording must not cost a member their list. (On SQLite
    a read transaction that another writer overtook cannot start writing; that showing goes
    unrecorded, and the next one counts.)
    """
    if not shown:
        return
    rows = _rows(member_id, zone, shown, now)
    for row in rows:  # a bulk insert skips the ORM's defaults
        row["id"] = new_id()
    try:
        with session.begin_nested():
            repository.record_suggestions(session, rows)
    except OperationalError as error:
        logger.warning("suggestions shown to %s not recorded: %s", member_id, error)


def record_invitation(
    session: Session,
    *,
    member_id: str,
    need: Need,
    role: str,
    now: datetime,
    engine: EngineView | None = None,
) -> None:
    """Record an invitation as sent, with what the engine said of it (a team's or a batch's
    row). Without it (one coordinator's pick from a list), its rank, score and components
    stay null and training leaves it out.

    A waiting invitation is recorded here too, when it is made, so the engine's view is kept
    where it belongs; training skips it while it waits, :func:`invitation_sent` dates it
    when it is sent, :func:`invitation_unsent` deletes it if it never is."""
    zone = repository.member_timezone(session, member_id=member_id)
    rank, score, components = (
        (engine.rank, engine.score, engine.components) if engine else (None, None, None)
    )
    shown = Shown(need.id, role, rank, score, components, need.category, need.starts_at)
    (row,) = _rows(member_id, zone, [shown], now)
    repository.record_invitation(session, {**row, "id": new_id(), "kind": "invitation"})


def invitation_sent(session: Session, *, member_id: str, need_id: str, now: datetime) -> None:
    """A waiting invitation was sent now: its record, written when it was made (with the
    engine's view of it), counts as shown from ``now``, so the lead time the re-ranker reads
    is the member's."""
    repository.mark_shown(session, member_id=member_id, need_id=need_id, now=now)


def invitation_unsent(session: Session, *, member_id: str, need_id: str) -> None:
    """A waiting invitation was withdrawn before it was sent: the member was never asked, so
    there is no answer to learn from and its record goes."""
    repository.delete_invitation_event(session, member_id=member_id, need_id=need_id)


def signed_up(session: Session, *, member_id: str, need_id: str, now: datetime) -> None:
    """The member took a place in a need they may have been suggested."""
    repository.set_outcome(
        session,
        member_id=member_id,
        need_id=need_id,
        kind="suggestion",
        outcome="signed_up",
        now=now,
    )


def accepted(session: Session, *, member_id: str, need_id: str, now: datetime) -> None:
    """The member accepted their invitation to the need."""
    repository.set_outcome(
        session,
        member_id=member_id,
        need_id=need_id,
        kind="invitation",
        outcome="accepted",
        now=now,
    )


def declined(
    session: Session, *, member_id: str, need_id: str, reason: DeclineReason | None, now: datetime
) -> None:
    """The member declined their invitation, with the reason chosen (never the note)."""
    repository.set_outcome(
        session,
        member_id=member_id,
        need_id=need_id,
        kind="invitation",
        outcome="declined",
        decline_reason=reason,
        now=now,
    )


def expired(session: Session, *, member_id: str, need_id: str, now: datetime) -> None:
    """The member's invitation ran out unanswered."""
    repository.set_outcome(
        session, member_id=member_id, need_id=need_id, kind="invitation", outcome="expired", now=now
    )


def snoozed_until(starts_at: datetime, *, now: datetime, snooze_days: float) -> datetime:
    """When a "maybe later" ends: after ``snooze_days``, or 24 hours before the need starts,
    whichever is sooner (a need starting within a day is not snoozed at all: it is the last
    chance to take it)."""
    return min(now + timedelta(days=snooze_days), starts_at - SNOOZE_BEFORE_START)


def give_verdict(
    session: Session,
    *,
    principal: Principal,
    member_id: str,
    need_id: str,
    verdict: FeedbackVerdict,
    now: datetime,
    snooze_days: float,
) -> FeedbackOut:
    """Hide (``not_for_me``) or snooze (``maybe_later``) a need in the member's suggestions.

    The member, their coordinators and admins; 404 unless the caller sees the member and the
    member the need. Repeating a verdict changes nothing (a snooze is not extended).
    """
    member = members.get(session, principal=principal, member_id=member_id)
    need, _ = needs.get(session, principal=Principal.acting_as(member), need_id=need_id)
    event = repository.suggestion_event(session, member_id=member.id, need_id=need.id)
    if event is None:  # a need the member found themself, never suggested: remember the word
        zone = repository.member_timezone(session, member_id=member.id)
        role = need.roles[0].name if need.roles else ""
        shown = Shown(need.id, role, None, None, None, need.category, need.starts_at)
        record_suggestions(session, member_id=member.id, zone=zone, shown=[shown], now=now)
        event = repository.suggestion_event(session, member_id=member.id, need_id=need.id)
        assert event is not None
    if event.outcome != verdict:
        event.outcome, event.outcome_at, event.decline_reason = verdict, now, None
        event.snoozed_until = (
            snoozed_until(need.starts_at, now=now, snooze_days=snooze_days)
            if verdict == "maybe_later"
            else None
        )
        session.flush()
    assert event.outcome_at is not None
    return FeedbackOut(
        member_id=member.id,
        need_id=need.id,
        verdict=verdict,
        hidden_until=event.snoozed_until,
        recorded_at=event.outcome_at,
    )


def sweep(session: Session, *, now: datetime, retention_days: float) -> tuple[int, int]:
    """Mark unanswered suggestions of started needs ``ignored`` and delete shown matches older
    than the retention, each in one statement; returns (ignored, deleted)."""
    ignored = repository.mark_ignored(session, now=now)
    deleted = repository.delete_shown_before(session, cutoff=now - timedelta(days=retention_days))
    return ignored, deleted


def erase_member(session: Session, *, member_id: str) -> int:
    """Forget what a member was shown and how they answered (personal behaviour data)."""
    return repository.delete_member_events(session, member_id=member_id)


# --- the re-ranker ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Training:
    """What ``train`` did: the model stored (None when there was too little to learn from),
    its evaluation, and a sentence saying why."""

    model: RankingModel | None
    evaluation: Evaluation | None
    events: int
    message: str


def train(
    session: Session, *, now: datetime, min_events: int, min_gain: float, min_auc: float
) -> Training:
    """Fit the re-ranker on the answered shown matches, compare it with the hand weights on
    the later quarter, and store it; it ranks only if it beats them on both figures.

    With fewer than ``min_events`` answers, or held-out answers of one kind only, nothing is
    stored and the ranking stays as it was. A model stored without beating the hand weights
    switches any earlier learned model off: the latest answers are the ones to trust.
    """
    rows = repository.training_rows(session, now=now)
    if len(rows) < min_events:
        message = f"{len(rows)} answered suggestions; at least {min_events} are needed to train"
        return Training(None, None, len(rows), message)
    components = np.array([[row.components[name] for name in COMPONENTS] for row in rows])
    X = features(
        components=components,
        categories=[row.category for row in rows],
        weekdays=np.array([row.local_weekday for row in rows], dtype=np.int64),
        hours=np.array([row.local_hour for row in rows]),
        lead_hours=np.array(
            [(row.starts_at - row.shown_at).total_seconds() / 3600 for row in rows]
        ),
        category_names=CATEGORIES,
    )
    taken = np.array([row.outcome in TAKEN_OUTCOMES for row in rows], dtype=np.int64)
    try:
        evaluation, _ = evaluate(
            X,
            taken,
            hand_score=np.array([row.score for row in rows]),
            member_ids=[row.member_id for row in rows],
            shown_at_s=np.array([epoch_seconds(row.shown_at) for row in rows], dtype=np.int64),
            estimator=AcceptanceModel(),
            min_gain=min_gain,
            min_auc=min_auc,
        )
    except NotEnoughFeedback as error:
        return Training(None, None, len(rows), f"{len(rows)} answers, but {error}")
    # Evaluated on the earlier three quarters; what ranks is refitted on every answer.
    fitted = AcceptanceModel().fit(X, taken)
    active = evaluation.beats_hand_weights
    model = RankingModel(
        trained_at=now,
        events=len(rows),
        figures={
            "learned": {"auc": evaluation.model.auc, "ndcg_at_5": evaluation.model.ndcg_at_5},
            "hand_weights": {
                "auc": evaluation.hand_weights.auc,
                "ndcg_at_5": evaluation.hand_weights.ndcg_at_5,
            },
            "train_events": evaluation.train_events,
            "test_events": evaluation.test_events,
            "members_evaluated": evaluation.members_evaluated,
        },
        parameters={"categories": list(CATEGORIES), "model": fitted.to_params()},
        active=active,
        reason=("ranks: " if active else "stays off: ") + evaluation.why(),
    )
    if not active:
        repository.deactivate_all(session)
    repository.store_model(session, model)
    return Training(model, evaluation, len(rows), model.reason)


def _trained(model: RankingModel) -> TrainedModel:
    figures = model.figures
    return TrainedModel(
        id=model.id,
        trained_at=model.trained_at,
        events=model.events,
        train_events=figures["train_events"],
        test_events=figures["test_events"],
        members_evaluated=figures["members_evaluated"],
        learned=Figures(**figures["learned"]),
        hand_weights=Figures(**figures["hand_weights"]),
        active=model.active,
        reason=model.reason,
    )


def status(session: Session, *, weights: Weights) -> RankingStatus:
    """Which ordering ranks suggestions now, the latest model's figures and why."""
    latest = repository.latest_model(session)
    active = repository.active_model(session)
    shares = {name: round(share, 4) for name, share in weights.normalised().items()}
    if active is not None:
        why = f"the learned model trained {active.trained_at:%Y-%m-%d %H:%M} UTC {active.reason}"
        return RankingStatus(
            ranked_by="learned",
            why=why,
            hand_weights=shares,
            latest_model=_trained(latest or active),
        )
    if latest is None:
        why = "no model trained yet (`servematch train`): the hand weights rank"
    else:
        why = f"the hand weights rank: the latest learned model {latest.reason}"
    return RankingStatus(
        ranked_by="hand_weights",
        why=why,
        hand_weights=shares,
        latest_model=None if latest is None else _trained(latest),
    )
