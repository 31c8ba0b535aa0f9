"""Pure arithmetic of the survey metrics over counts (no ORM): rates, NPS, intervals.

Every value is an exact ``Decimal`` computed with 28 significant digits (square roots included)
and rounded half-even to :data:`PLACES` decimal places only at the end. Rates and NPS are in
percent (``66.6667`` = 66.6667%); intervals are clipped to the scale (0–100, −100–100).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

Z95 = Decimal("1.959963984540054")  # the two-sided 95% normal quantile
PLACES = Decimal("0.0001")
HUNDRED = Decimal(100)


def _round(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Interval:
    low: Decimal
    high: Decimal


def wilson_interval(successes: int, n: int, *, z: Decimal = Z95) -> Interval | None:
    """Wilson score interval of a proportion, in percent; None when n = 0.

    centre = (p + z²/2n) / (1 + z²/n), half width = z·√(p(1−p)/n + z²/4n²) / (1 + z²/n).
    """
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError("successes must lie in 0..n")
    with localcontext() as ctx:
        ctx.prec = 28
        p = Decimal(successes) / n
        z2 = z * z
        denominator = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denominator
        half = z * (p * (1 - p) / n + z2 / (4 * n * n)).sqrt() / denominator
        low, high = max(centre - half, Decimal(0)), min(centre + half, Decimal(1))
        return Interval(_round(low * HUNDRED), _round(high * HUNDRED))


def nps_adjusted_wald(promoters: int, detractors: int, n: int, *, z: Decimal = Z95):
    """Adjusted-Wald 95% interval of an NPS (Rocks 2016): add 3 answers — ¾ promoter,
    ¾ detractor, 1½ passive — then NPS' ± z·√((p'+d' − (p'−d')²) / (n+3)), in NPS points
    (−100…100). None when n = 0."""
    if n <= 0:
        return None
    if promoters < 0 or detractors < 0 or promoters + detractors > n:
        raise ValueError("promoters + detractors must lie in 0..n")
    with localcontext() as ctx:
        ctx.prec = 28
        n_adj = Decimal(n) + 3
        p = (Decimal(promoters) + Decimal("0.75")) / n_adj
        d = (Decimal(detractors) + Decimal("0.75")) / n_adj
        centre = p - d
        variance = (p + d - centre * centre) / n_adj
        half = z * variance.sqrt()
        low, high = max(centre - half, Decimal(-1)), min(centre + half, Decimal(1))
        return Interval(_round(low * HUNDRED), _round(high * HUNDRED))


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole in percent, None for an empty whole (never 0% or 100% for no data)."""
    if whole <= 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 28
        return _round(Decimal(part) * HUNDRED / whole)


def nps(promoters: int, detractors: int, n: int) -> Decimal | None:
    """% promoters (9–10) − % detractors (0–6), in points; None for no answers."""
    if n <= 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 28
        return _round(Decimal(promoters - detractors) * HUNDRED / n)


def mean(total: int | Decimal, n: int) -> Decimal | None:
    if n <= 0:
        return None
    with localcontext() as ctx:
        ctx.prec = 28
        return _round(Decimal(total) / n)


def hours(seconds: int | Decimal | None) -> Decimal | None:
    """Seconds as hours, rounded to :data:`PLACES`."""
    if seconds is None:
        return None
    with localcontext() as ctx:
        ctx.prec = 28
        return _round(Decimal(seconds) / 3600)
