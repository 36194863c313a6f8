"""Members' hidden behaviour: what no policy sees, only its consequences.

The model, in full (docs/quality.md repeats it for readers of the figures):

- **Preference** per category in [0, 1]: Beta(2, 3), plus 0.35 where the member has the
  category's skill (people like what they are good at), clipped.
- **Capacity**: places a month they truly want, ``max(1, round(stated × U(0.4, 1)))``: at most
  what they told the service, often less.
- **Answering an invitation**: ignored with probability ``1 − (1 − b)·exp(−0.3·(k − 1))``,
  ``b`` ~ Beta(2, 12) per member (about 0.14) and ``k`` the invitations received in the last
  7 days, this one included; an ignored invitation expires after 48 h (the service's TTL;
  sooner on a need that keeps asking: `invitation_hold_h`). Otherwise the member answers
  after a log-normal delay (median 6 h), too late if the invitation has expired by then,
  and accepts with probability ``0.1 + 0.8·preference``, times 0.3 when the places they hold
  within two weeks either side already reach their capacity.
- **A sign-up sheet**: a member looks at it on a day with probability ``r`` ~ Beta(2, 16)
  (about once in nine days; new members half as often), sees the places they are eligible
  for, considers the one they like best and signs up with the same acceptance probability.
- **Burnout**: a member whose places in the last 28 days exceed their capacity at three
  weekly checks running leaves (60 % chance at each check from then on).
- **Neglect**: a member neither invited nor signed up for 8 weeks leaves with 20 % chance at
  each weekly check from then on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scripts.simulate.city import CATEGORIES, ROLE_SHAPES, Members

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SKILL_PREFERENCE_BONUS = 0.35
FATIGUE_PER_MESSAGE = 0.3
MESSAGE_MEMORY_H = 7 * 24.0
EXPIRY_H = 48.0  # the service's invitation TTL (SERVEMATCH_INVITATION_TTL_HOURS)
# On a need that keeps asking, the service's shorter hold as the need draws near
# (api.signups.service.KEEP_ASKING_HOLD_SHARE, KEEP_ASKING_MIN_HOLD_H).
KEEP_ASKING_HOLD_SHARE = 0.5
KEEP_ASKING_MIN_HOLD_H = 12.0
ANSWER_MEDIAN_H = 6.0
ACCEPT_FLOOR, ACCEPT_SLOPE = 0.1, 0.8
FULL_FACTOR = 0.3
LOAD_WINDOW_H = 14 * 24.0  # either side of a need: the places that feel like "this month"
BURNOUT_WINDOW_H = 28 * 24.0
BURNOUT_WEEKS = 3
BURNOUT_LEAVE = 0.6
NEGLECT_H = 8 * 7 * 24.0
NEGLECT_LEAVE = 0.2


@dataclass(frozen=True, slots=True)
class Hidden:
    """Per member, what only the members themselves know."""

    preference: FloatArray  # (members, CATEGORIES)
    capacity: IntArray  # places a month they truly want
    ignore_base: FloatArray  # chance of ignoring a message in a quiet week
    browse_rate: FloatArray  # chance of looking at a sign-up sheet on a given day


def generate_hidden(rng: np.random.Generator, members: Members) -> Hidden:
    """Hidden traits drawn per member, partly tied to what the service can see (skills)."""
    count = len(members)
    category_skill = np.array([ROLE_SHAPES[name][0][1] for name in CATEGORIES])
    skilled = np.where(
        category_skill[None, :] >= 0,
        members.skill_levels[:, np.maximum(category_skill, 0)] > 0,
        False,
    )
    preference = np.clip(
        rng.beta(2.0, 3.0, size=(count, len(CATEGORIES))) + SKILL_PREFERENCE_BONUS * skilled,
        0.0,
        1.0,
    )
    capacity = np.maximum(1, np.round(members.stated_limit * rng.uniform(0.4, 1.0, size=count)))
    browse = rng.beta(2.0, 16.0, size=count) * np.where(members.stage == 0, 0.5, 1.0)
    return Hidden(
        preference=preference,
        capacity=capacity.astype(np.int64),
        ignore_base=rng.beta(2.0, 12.0, size=count),
        browse_rate=browse,
    )


def ignore_probability(ignore_base: float, messages_last_week: int) -> float:
    """The chance an invitation goes unanswered, rising with the week's messages."""
    extra = max(messages_last_week - 1, 0)
    return 1.0 - (1.0 - ignore_base) * float(np.exp(-FATIGUE_PER_MESSAGE * extra))


def accept_probability(preference: float, *, held_nearby: int, capacity: int) -> float:
    """The chance a member who reads an offer (or a sheet) takes the place."""
    chance = ACCEPT_FLOOR + ACCEPT_SLOPE * preference
    return chance * (FULL_FACTOR if held_nearby >= capacity else 1.0)


def invitation_hold_h(lead_h: float, *, keep_asking: bool) -> float:
    """Hours an invitation sent `lead_h` before its need starts holds its place unanswered,
    as the service's: the TTL, or on a need that keeps asking a share of the lead time when
    that is shorter (never less than the floor); the need's start still cuts it off."""
    if not keep_asking:
        return EXPIRY_H
    return min(EXPIRY_H, max(KEEP_ASKING_HOLD_SHARE * lead_h, KEEP_ASKING_MIN_HOLD_H))


def answer_delay_h(rng: np.random.Generator) -> float:
    """Hours until a member who does answer, answers."""
    return float(rng.lognormal(np.log(ANSWER_MEDIAN_H), 0.8))
