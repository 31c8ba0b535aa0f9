"""Attainment of an actual against a target band (SPEC §6). Pure: plain Decimals in, words out.

Gaps are signed in the KPI's better direction: positive = better than the reference
(target or benchmark), negative = behind it, whatever the direction of the KPI.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

BELOW_THRESHOLD = "below_threshold"  # red
BELOW_TARGET = "below_target"  # amber
ON_TARGET = "on_target"  # green
AT_STRETCH = "at_stretch"  # blue
NO_DATA = "no_data"

STATUS_COLOURS = {
    BELOW_THRESHOLD: "red",
    BELOW_TARGET: "amber",
    ON_TARGET: "green",
    AT_STRETCH: "blue",
    NO_DATA: "grey",
}


def _signed(value: Decimal, higher_is_better: bool) -> Decimal:
    return value if higher_is_better else -value


def is_ordered(
    threshold: Decimal | None,
    target: Decimal | None,
    stretch: Decimal | None,
    higher_is_better: bool,
) -> bool:
    """threshold ≤ target ≤ stretch in the KPI's better direction (missing values skipped)."""
    levels = [_signed(v, higher_is_better) for v in (threshold, target, stretch) if v is not None]
    return all(a <= b for a, b in pairwise(levels))


def attainment_status(
    actual: Decimal | None,
    *,
    threshold: Decimal | None,
    target: Decimal | None,
    stretch: Decimal | None,
    higher_is_better: bool,
) -> str:
    """at_stretch at or beyond stretch; on_target at or beyond target; below_target at or beyond
    the threshold; below_threshold worse than the threshold — or worse than the target when
    there is no threshold. no_data without an actual or without a target."""
    if actual is None or target is None:
        return NO_DATA
    a = _signed(actual, higher_is_better)
    if stretch is not None and a >= _signed(stretch, higher_is_better):
        return AT_STRETCH
    if a >= _signed(target, higher_is_better):
        return ON_TARGET
    if threshold is not None and a >= _signed(threshold, higher_is_better):
        return BELOW_TARGET
    return BELOW_THRESHOLD


def gap(
    actual: Decimal | None, reference: Decimal | None, *, higher_is_better: bool
) -> Decimal | None:
    """actual − reference in the better direction (positive = ahead), None if either is missing."""
    if actual is None or reference is None:
        return None
    return _signed(actual - reference, higher_is_better)
