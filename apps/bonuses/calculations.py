"""Bonus arithmetic (SPEC §10). Pure: plain values in, plain values out, no ORM.

Units: weights, payouts, factors, proration, gate multipliers and the cap are fractions
(``Decimal("0.6")`` = 60%); amounts are in the currency's major unit (``Decimal("1000.00")``).

Rounding: only the line amount is rounded — half-up (a tie goes away from zero) to the
currency's minor unit by :func:`round_money`. Divisions (curve interpolation, proration,
day-weighting, reweighting) are exact where the quotient terminates and otherwise carried at
the precision of the current decimal context (28 significant digits by default); nothing is
quantized before the amount. The amount is computed as target × E × F / D, which equals
target × proration × F but keeps the one division last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise

from django.utils.translation import gettext_noop

from apps.targets.calculations import is_ordered

from .messages import message, segment_label
from .money import round_to

BLOCK, ZERO, REWEIGHT = "block", "zero", "reweight"
# How a person's actual was chosen when their own sample was below the minimum (a plan
# component's ``low_sample`` rule, SPEC §5): the segment's basis, flagged ``low_sample:<kpi>``.
LOW_SAMPLE_OWN = "low_sample_own"
LOW_SAMPLE_DEPARTMENT = "low_sample_department"
LOW_SAMPLE_MISSING = "low_sample_missing"
LOW_SAMPLE_BASES = (LOW_SAMPLE_OWN, LOW_SAMPLE_DEPARTMENT, LOW_SAMPLE_MISSING)
MISSING_DATA_POLICIES = (BLOCK, ZERO, REWEIGHT)
_D0, _D1 = Decimal(0), Decimal(1)


def _hashed_once(self) -> int:
    """``__hash__`` of the frozen dataclasses below, computed once per object: a run looks up
    the same shared inputs (a department's actual and band, the company gate) thousands of
    times in its caches."""
    value = self.__dict__.get("_hash")
    if value is None:
        value = hash(tuple([getattr(self, name) for name in self.__dataclass_fields__]))
        object.__setattr__(self, "_hash", value)
    return value


@dataclass(frozen=True)
class Band:
    """The levels of a KPI for one scope and period; threshold and stretch are optional."""

    threshold: Decimal | None
    target: Decimal
    stretch: Decimal | None
    __hash__ = _hashed_once


@dataclass(frozen=True)
class Segment:
    """Days of a component measured by one actual: the whole eligible time for `employee` and
    `company` scope, the days in one department for `department` scope. ``basis`` says how the
    actual was obtained (shown on the statement); a missing actual or band is missing data."""

    days: int
    actual: Decimal | None
    band: Band | None
    basis: str
    department: str | None = None
    __hash__ = _hashed_once


@dataclass(frozen=True)
class ComponentInput:
    key: str
    kpi_code: str
    weight: Decimal  # fraction: 0.6 = 60%
    higher_is_better: bool
    segments: tuple[Segment, ...]
    payout_at_threshold: Decimal = Decimal("0.5")
    payout_at_stretch: Decimal = Decimal("1.5")
    scope: str = "employee"
    __hash__ = _hashed_once


@dataclass(frozen=True)
class GateInput:
    kpi_code: str
    minimum: Decimal  # met at or beyond it, in the KPI's better direction
    higher_is_better: bool
    actual: Decimal | None
    multiplier_when_missed: Decimal = _D0
    __hash__ = _hashed_once


@dataclass(frozen=True)
class LineInput:
    target_amount: Decimal  # for one full period
    eligible_days: int
    period_days: int
    components: tuple[ComponentInput, ...]
    gates: tuple[GateInput, ...] = ()
    cap: Decimal = Decimal(2)  # 200%
    missing_data_policy: str = BLOCK
    adjustments: tuple[Decimal, ...] = ()  # whole minor units, added after rounding
    currency_exponent: int = 2  # 2 for EUR/USD/CNY, 0 for JPY


@dataclass(frozen=True)
class SegmentResult:
    department: str | None
    days: int
    actual: Decimal | None
    band: Band | None
    basis: str
    payout: Decimal | None  # None: no data for these days
    __hash__ = _hashed_once

    @property
    def missing(self) -> bool:
        return self.payout is None


@dataclass(frozen=True)
class ComponentResult:
    key: str
    kpi_code: str
    scope: str
    weight: Decimal  # as configured
    weight_used: Decimal  # after reweighting (equal to weight under block / zero)
    payout: Decimal  # day-weighted mean of the segments' payouts; 0 when it has no data
    contribution: Decimal  # weight_used × payout
    amount: Decimal  # target × proration × contribution: before gates and cap, not rounded
    segments: tuple[SegmentResult, ...]
    missing: bool  # at least one segment had no data


@dataclass(frozen=True)
class GateResult:
    kpi_code: str
    minimum: Decimal
    actual: Decimal | None
    met: bool
    multiplier: Decimal  # applied: 1 when met
    __hash__ = _hashed_once


@dataclass(frozen=True)
class LineResult:
    proration: Decimal
    components: tuple[ComponentResult, ...]
    raw_factor: Decimal  # Σ weight_used × payout
    gates: tuple[GateResult, ...]
    gate_multiplier: Decimal  # product of the missed gates' multipliers
    factor_after_gates: Decimal
    cap: Decimal
    capped: bool
    factor: Decimal  # after the cap
    amount_before_adjustments: Decimal  # the one rounded value
    adjustments_total: Decimal
    amount: Decimal
    flags: tuple[str, ...]  # missing_actual:<kpi>, missing_target:<kpi>, low_sample:<kpi>,
    # gate_missed:<kpi>, capped
    issues: tuple  # non-empty: the run cannot be approved (block policy); messages

    @property
    def blocked(self) -> bool:
        return bool(self.issues)


# --- rounding and display --------------------------------------------------------------------


def round_money(value: Decimal, exponent: int) -> Decimal:
    """The one rounding: to 10^-exponent (the currency's minor unit), ROUND_HALF_UP."""
    return round_to(value, exponent)


# --- the curve and proration -----------------------------------------------------------------


def _linear(x: Decimal, x0: Decimal, x1: Decimal, y0: Decimal, y1: Decimal) -> Decimal:
    """y0 at x0, y1 at x1 (x0 < x1), straight in between; one division, done last."""
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def payout_factor(
    actual: Decimal,
    band: Band,
    higher_is_better: bool,
    payout_at_threshold: Decimal = Decimal("0.5"),
    payout_at_stretch: Decimal = Decimal("1.5"),
) -> Decimal:
    """Payout as a fraction of target (SPEC §10 step 3), comparing s·actual with s·levels.

    Worse than threshold → 0; at threshold → payout_at_threshold; straight to 1 at target;
    straight to payout_at_stretch at stretch; at or beyond stretch → payout_at_stretch.
    No stretch → 1 at or beyond target. No threshold → 0 below target.
    Equal levels never divide by zero: the better level wins at the shared point, so
    threshold = target pays 1 there (0 below) and target = stretch pays payout_at_stretch there.
    Raises ValueError when the band is out of order for the KPI's direction.
    """
    if not is_ordered(band.threshold, band.target, band.stretch, higher_is_better):
        raise ValueError(f"band out of order for the KPI's direction: {band}")
    s = 1 if higher_is_better else -1
    a, target = s * actual, s * band.target
    if band.stretch is not None and a >= s * band.stretch:
        return payout_at_stretch
    if a >= target:
        if band.stretch is None:
            return _D1
        return _linear(a, target, s * band.stretch, _D1, payout_at_stretch)
    if band.threshold is not None and a >= s * band.threshold:
        return _linear(a, s * band.threshold, target, payout_at_threshold, _D1)
    return _D0


def proration(eligible_days: int, period_days: int) -> Decimal:
    """E / D as an unrounded Decimal fraction (context precision if it does not terminate)."""
    if period_days < 1 or not 0 <= eligible_days <= period_days:
        raise ValueError(f"need 0 ≤ eligible days ≤ period days ≥ 1: {eligible_days}/{period_days}")
    return Decimal(eligible_days) / Decimal(period_days)


# --- days ------------------------------------------------------------------------------------


def eligible_window(
    period_start: date,
    period_end: date,
    enrollment_start: date,
    enrollment_end: date | None,
    hire_date: date | None,
    leave_date: date | None,
) -> tuple[date, date] | None:
    """First and last day of the period inside both the enrollment and the employment, or None.

    All dates are inclusive: leave_date is the last day employed. None ends mean open-ended
    (no hire date: employed since before the period)."""
    start = max(d for d in (period_start, enrollment_start, hire_date) if d is not None)
    end = min(d for d in (period_end, enrollment_end, leave_date) if d is not None)
    return (start, end) if start <= end else None


def eligible_days(
    period_start: date,
    period_end: date,
    enrollment_start: date,
    enrollment_end: date | None,
    hire_date: date | None,
    leave_date: date | None,
) -> int:
    """Days (inclusive) of the period inside both the enrollment and the employment."""
    window = eligible_window(
        period_start, period_end, enrollment_start, enrollment_end, hire_date, leave_date
    )
    return 0 if window is None else (window[1] - window[0]).days + 1


def department_segments(
    period_start: date,
    period_end: date,
    windows: Sequence[tuple[date, date | None]],
    assignments: Sequence[tuple[str, date, date | None]],
) -> list[tuple[str | None, int]]:
    """Eligible days of the period split by department: [(department, days), …].

    ``windows`` are eligible (start, end) ranges (overlaps count once); ``assignments`` are
    (department, start, end) with inclusive dates, end None = still there. One entry per
    department, in order of its first eligible day; days with no assignment go to None. If
    two assignments cover a day, the one that started later wins (ties: the first listed)."""
    if len(windows) == 1 and len(assignments) == 1:  # the common case: one stint, one team
        (start, end), (department, a_start, a_end) = windows[0], assignments[0]
        start, end = max(start, period_start), min(end or period_end, period_end)
        if a_start <= start and (a_end is None or a_end >= end):
            return [(department, (end - start).days + 1)] if start <= end else []
    one = timedelta(days=1)
    spans = sorted(
        (max(start, period_start), min(end or period_end, period_end)) for start, end in windows
    )
    merged: list[tuple[date, date]] = []
    for start, end in spans:
        if start > end:
            continue
        if merged and start <= merged[-1][1] + one:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    days: dict[str | None, int] = {}
    # Between two consecutive boundaries (window ends, assignment starts and ends) the covering
    # assignment cannot change: count whole stretches instead of walking day by day.
    for first, last in merged:
        cuts = {first, last + one}
        for _department, start, end in assignments:
            if start <= last and (end is None or end >= first):
                if start > first:
                    cuts.add(start)
                if end is not None and end < last:
                    cuts.add(end + one)
        ordered = sorted(cuts)
        for begin, stop in pairwise(ordered):
            covering = [
                (start, -index, department)
                for index, (department, start, end) in enumerate(assignments)
                if start <= begin and (end is None or begin <= end)
            ]
            department = max(covering)[2] if covering else None
            days[department] = days.get(department, 0) + (stop - begin).days
    return list(days.items())


# --- the line --------------------------------------------------------------------------------


def _add(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


def _segments(c: ComponentInput, policy: str, flags: list[str], issues: list[str]):
    """The component's segment results; missing data is flagged (and blocking under block)."""
    results = []
    for seg in c.segments:
        if seg.days < 1:
            raise ValueError(f"a segment of {c.kpi_code} has {seg.days} days")
        payout = None
        if seg.actual is not None and seg.band is not None:
            payout = payout_factor(
                seg.actual, seg.band, c.higher_is_better, c.payout_at_threshold, c.payout_at_stretch
            )
        results.append(
            SegmentResult(seg.department, seg.days, seg.actual, seg.band, seg.basis, payout)
        )
        if seg.basis in LOW_SAMPLE_BASES:
            _add(flags, f"low_sample:{c.kpi_code}")
        if payout is None:
            _add(flags, f"missing_{'actual' if seg.actual is None else 'target'}:{c.kpi_code}")
            if policy == BLOCK:
                label = segment_label(c.kpi_code, seg.department, seg.days)
                if seg.actual is None:
                    _add(issues, message(gettext_noop("No actual for %(label)s."), label=label))
                else:
                    _add(
                        issues, message(gettext_noop("No target band for %(label)s."), label=label)
                    )
    if not results:
        _add(flags, f"missing_actual:{c.kpi_code}")
        if policy == BLOCK:
            _add(issues, message(gettext_noop("No actual for %(label)s."), label=c.kpi_code))
    return tuple(results)


def _evaluate(c: ComponentInput, policy: str) -> tuple:
    """A component's segments, payout, flags and blocking issues (as messages)."""
    flags: list[str] = []
    issues: list[str] = []
    segments = _segments(c, policy, flags, issues)
    return segments, _component_payout(segments, policy), tuple(flags), tuple(issues)


# The department and company components of a run are the same for every employee of a
# department (services.runs.line_inputs shares the objects): evaluate each once. An employee
# component is its employee's own, so caching it would only cost a hash.
_evaluate_shared = lru_cache(maxsize=4096)(_evaluate)


@lru_cache(maxsize=1024)
def _gate_result(g: GateInput) -> GateResult:
    """A gate met at or beyond its minimum in the KPI's better direction; a gate without an
    actual counts as missed. Cached: a run's gate inputs are shared (the company's, a
    department's) — see ``services.runs.line_inputs``."""
    s = 1 if g.higher_is_better else -1
    met = g.actual is not None and s * g.actual >= s * g.minimum
    return GateResult(
        g.kpi_code, g.minimum, g.actual, met, _D1 if met else g.multiplier_when_missed
    )


def _component_payout(segments: Sequence[SegmentResult], policy: str) -> Decimal | None:
    """Day-weighted mean of the segments' payouts; None when no segment has data.

    Under block / zero a segment without data pays 0 for its days; under reweight only the
    segments with data count."""
    known = [s for s in segments if s.payout is not None]
    if not known:
        return None
    counted = known if policy == REWEIGHT else segments
    if len(counted) == 1:
        return known[0].payout
    weighted = sum((s.days * s.payout for s in known), _D0)  # type: ignore[operator]
    return weighted / sum(s.days for s in counted)


def _check(line: LineInput) -> None:
    if line.missing_data_policy not in MISSING_DATA_POLICIES:
        raise ValueError(f"unknown missing-data policy {line.missing_data_policy!r}")
    if line.eligible_days < 1:
        raise ValueError("no eligible days: no line (SPEC §10 step 1)")
    if line.target_amount < 0 or line.cap < 0 or line.currency_exponent < 0:
        raise ValueError("target amount, cap and currency exponent cannot be negative")
    if any(c.weight < 0 for c in line.components):
        raise ValueError("component weights cannot be negative")
    if any(g.multiplier_when_missed < 0 for g in line.gates):
        raise ValueError("gate multipliers cannot be negative")
    for adjustment in line.adjustments:
        if adjustment != round_money(adjustment, line.currency_exponent):
            raise ValueError(f"adjustment {adjustment} is not in whole minor units")


def calculate_line(line: LineInput) -> LineResult:
    """One employee's line for one plan and period (SPEC §10 steps 2–6).

    Missing data (an actual or a band) follows ``missing_data_policy``: ``block`` pays 0 for
    it, flags the line and adds a blocking issue naming the KPI; ``zero`` pays 0 for it;
    ``reweight`` leaves it out — within a department component only the days with data count,
    and a component with no data at all hands its weight to the components with data, pro rata
    to their weights (factor 0 if none has data). A gate without an actual counts as missed
    under every policy (never pay more than may be due) and is a blocking issue under ``block``.
    Raises ValueError for a line that cannot exist (no eligible days, negative weights, …).
    """
    _check(line)
    policy, flags, issues = line.missing_data_policy, [], []
    evaluated = []
    for c in line.components:
        evaluate = _evaluate if c.scope == "employee" else _evaluate_shared
        segments, payout, component_flags, component_issues = evaluate(c, policy)
        for flag in component_flags:
            _add(flags, flag)
        for issue in component_issues:
            _add(issues, issue)
        evaluated.append((c, segments, payout))
    nominal = sum((c.weight for c in line.components), _D0)
    known = sum((c.weight for c, _s, payout in evaluated if payout is not None), _D0)
    components = []
    for c, segments, payout in evaluated:
        used = c.weight
        if policy == REWEIGHT and known != nominal:
            # No weight left with data (none has data, or only 0%-weighted ones): pays 0.
            has_data = payout is not None and known > 0
            used = c.weight * nominal / known if has_data else _D0
        pay = _D0 if payout is None else payout
        contribution = used * pay
        components.append(
            ComponentResult(
                key=c.key,
                kpi_code=c.kpi_code,
                scope=c.scope,
                weight=c.weight,
                weight_used=used,
                payout=pay,
                contribution=contribution,
                amount=line.target_amount * line.eligible_days * contribution / line.period_days,
                segments=segments,
                missing=not segments or any(s.missing for s in segments),
            )
        )
    raw_factor = sum((r.contribution for r in components), _D0)

    gates, gate_multiplier = [], _D1
    for g in line.gates:
        gate = _gate_result(g)
        met = gate.met
        gate_multiplier *= gate.multiplier
        gates.append(gate)
        if g.actual is None:
            _add(flags, f"missing_actual:{g.kpi_code}")
            if policy == BLOCK:
                _add(issues, message(gettext_noop("No actual for gate %(kpi)s."), kpi=g.kpi_code))
        if not met:
            _add(flags, f"gate_missed:{g.kpi_code}")

    factor_after_gates = raw_factor * gate_multiplier
    capped = factor_after_gates > line.cap
    if capped:
        flags.append("capped")
    factor = line.cap if capped else factor_after_gates
    before = round_money(
        line.target_amount * line.eligible_days * factor / line.period_days, line.currency_exponent
    )
    adjustments_total = sum(line.adjustments, _D0)
    result = LineResult(
        proration=proration(line.eligible_days, line.period_days),
        components=tuple(components),
        raw_factor=raw_factor,
        gates=tuple(gates),
        gate_multiplier=gate_multiplier,
        factor_after_gates=factor_after_gates,
        cap=line.cap,
        capped=capped,
        factor=factor,
        amount_before_adjustments=before,
        adjustments_total=adjustments_total,
        amount=before + adjustments_total,
        flags=tuple(flags),
        issues=tuple(issues),
    )
    return result
