"""Pure arithmetic of KPI values: deriving a ratio's value and rolling values up.

No ORM here: selectors load results into :class:`Point` objects and call these functions.
Values are ``Decimal``. A value derived by division is quantized to 8 decimal places with
ROUND_HALF_EVEN (the storage precision of ``KPIResult.value``); nothing else is rounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, Decimal

VALUE_PLACES = Decimal("0.00000001")

# Aggregations (kept as plain strings so this module has no Django import).
RATIO, MEAN, SUM, LAST, MIN, MAX, MEDIAN = "ratio", "mean", "sum", "last", "min", "max", "median"


def quantize_value(value: Decimal) -> Decimal:
    """The one rounding of KPI values: 8 places, half-even (the storage precision)."""
    return value.quantize(VALUE_PLACES, rounding=ROUND_HALF_EVEN)


def ratio_value(numerator: Decimal, denominator: Decimal, scale: int) -> Decimal:
    """numerator / denominator × scale (100 for percent, 1,000 per thousand, 1 for a ratio)."""
    return quantize_value(numerator * scale / denominator)


@dataclass(frozen=True)
class Point:
    """One known value: an explicit result or an already rolled-up one."""

    value: Decimal
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    sample_size: int | None = None
    leaves: int = 1  # how many explicit results stand behind it
    computed: bool = False  # from records (source computed), every result behind it


def _total_sample(points: Sequence[Point]) -> int | None:
    sizes = [p.sample_size for p in points]
    return None if any(s is None for s in sizes) else sum(sizes)  # type: ignore[arg-type]


def combine(aggregation: str, points: Sequence[Point], *, scale: int = 100) -> Point | None:
    """:func:`_combine`, computed when every point is."""
    point = _combine(aggregation, points, scale=scale)
    if point is not None and all(p.computed for p in points):
        return replace(point, computed=True)
    return point


def _combine(aggregation: str, points: Sequence[Point], *, scale: int = 100) -> Point | None:
    """Roll ``points`` (in chronological order for ``last``) up into one, or None.

    - ratio: Σ numerators / Σ denominators × scale — never a mean of rates. Every point must
      carry numerator and denominator (else None: a mean of rates would be wrong), and the
      denominators must not sum to 0.
    - mean: weighted by sample size when every point has one, else the plain mean.
    - sum / min / max: as named; last: the latest point.
    - median (and percentiles): None — medians are never averaged; only an explicit value
      (or one computed from raw records) counts.
    """
    if not points or aggregation == MEDIAN:
        return None
    leaves = sum(p.leaves for p in points)
    sample = _total_sample(points)
    if aggregation == RATIO:
        if any(p.numerator is None or p.denominator is None for p in points):
            return None
        numerator = sum((p.numerator for p in points), Decimal(0))  # type: ignore[misc]
        denominator = sum((p.denominator for p in points), Decimal(0))  # type: ignore[misc]
        if denominator == 0:
            return None
        return Point(
            ratio_value(numerator, denominator, scale), numerator, denominator, sample, leaves
        )
    if aggregation == MEAN:
        if sample:
            weighted = sum((p.value * p.sample_size for p in points), Decimal(0))  # type: ignore[operator]
            return Point(quantize_value(weighted / sample), None, None, sample, leaves)
        mean = sum((p.value for p in points), Decimal(0)) / len(points)
        return Point(quantize_value(mean), None, None, sample, leaves)
    if aggregation == SUM:
        return Point(sum((p.value for p in points), Decimal(0)), None, None, sample, leaves)
    if aggregation == LAST:
        last = points[-1]
        return Point(last.value, last.numerator, last.denominator, last.sample_size, leaves)
    if aggregation == MIN:
        return Point(min(p.value for p in points), None, None, sample, leaves)
    if aggregation == MAX:
        return Point(max(p.value for p in points), None, None, sample, leaves)
    raise ValueError(f"unknown aggregation {aggregation!r}")
