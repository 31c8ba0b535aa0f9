"""Pure arithmetic of BPI projects: the impact of a project on each KPI it links (SPEC §8).

Units: values in the KPI's own unit (``Decimal``); ``gap_closed_percent`` in percent, rounded
half-up to one decimal for display only. Nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ACHIEVED, IMPROVED, UNCHANGED, WORSE, UNKNOWN = (
    "achieved",
    "improved",
    "unchanged",
    "worse",
    "unknown",
)


@dataclass(frozen=True)
class Impact:
    """How far a KPI moved from its baseline towards its goal, in its better direction.

    ``improvement`` is (latest − baseline) signed so that positive is better; ``gap_closed_percent``
    is that improvement as a share of (goal − baseline), None when baseline equals goal or a value
    is missing; ``status`` is achieved (at or beyond the goal), improved, unchanged, worse or
    unknown (no baseline or no latest result)."""

    baseline: Decimal | None
    goal: Decimal
    latest: Decimal | None
    improvement: Decimal | None
    gap_closed_percent: Decimal | None
    status: str


def impact(
    *, baseline: Decimal | None, goal: Decimal, latest: Decimal | None, higher_is_better: bool
) -> Impact:
    s = 1 if higher_is_better else -1
    if latest is None:
        return Impact(baseline, goal, latest, None, None, UNKNOWN)
    if s * latest >= s * goal:
        status = ACHIEVED
    elif baseline is None:
        status = UNKNOWN
    elif s * latest > s * baseline:
        status = IMPROVED
    elif latest == baseline:
        status = UNCHANGED
    else:
        status = WORSE
    if baseline is None:
        return Impact(baseline, goal, latest, None, None, status)
    improvement = s * (latest - baseline)
    closed = None
    if goal != baseline:
        closed = (improvement / (s * (goal - baseline)) * 100).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
    return Impact(baseline, goal, latest, improvement, closed, status)
