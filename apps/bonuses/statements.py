"""A line's plain-language statement (SPEC §10: the same text the employee's statement shows),
built as translatable messages from the line's inputs and result: each segment's actual, basis,
band and payout, what the missing-data policy did, the weights, gates, cap, proration, amount
and adjustments. Percentages and amounts are rounded for display only. Pure: no ORM."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.utils.translation import gettext_noop

from .calculations import (
    BLOCK,
    LOW_SAMPLE_DEPARTMENT,
    LOW_SAMPLE_MISSING,
    LOW_SAMPLE_OWN,
    ZERO,
    GateResult,
    LineInput,
    LineResult,
    SegmentResult,
    round_money,
)
from .messages import message, render, segment_label

__all__ = ["BASIS_LABELS", "basis_label", "explain", "render", "statement"]


# Display formatting repeats the same few numbers (bands, payouts, weights) across thousands
# of lines: cache it.
@lru_cache(maxsize=8192)
def _num(value: Decimal | None) -> str:
    """A plain number without trailing zeros or exponent (display only); None → —."""
    return "—" if value is None else format(value.normalize(), "f")


@lru_cache(maxsize=8192)
def _money(value: Decimal, exponent: int) -> str:
    """An amount to the currency's minor unit (display): 525 → 525.00."""
    return format(round_money(value, exponent), "f")


@lru_cache(maxsize=8192)
def _pct(value: Decimal) -> str:
    """A fraction as a percentage to at most 2 decimals (display only): 1.25 → 125%."""
    return _num((value * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) + "%"


BASIS_LABELS = {
    "explicit": gettext_noop("as entered"),
    "rolled_up": gettext_noop("rolled up from shorter periods"),
    "children": gettext_noop("from sub-departments"),
    "none": gettext_noop("no data"),
    LOW_SAMPLE_OWN: gettext_noop("own value, from fewer records than the minimum sample"),
    LOW_SAMPLE_DEPARTMENT: gettext_noop(
        "the department's value: own records fewer than the minimum sample"
    ),
    LOW_SAMPLE_MISSING: gettext_noop(
        "own records fewer than the minimum sample: counted as missing"
    ),
}


_BASIS_MESSAGES = {basis: message(msgid) for basis, msgid in BASIS_LABELS.items()}


def basis_label(basis: str):
    """How an actual was obtained, in words (the value selectors' basis codes)."""
    return _BASIS_MESSAGES.get(basis, basis)


# A run explains thousands of lines that share most of their sentences (the same department's
# actual and band, the same company gate): messages that depend only on their arguments are
# built once. They are immutable tuples, so sharing them is safe.
def _segment_text(kpi: str, seg: SegmentResult) -> tuple:
    label = segment_label(kpi, seg.department, seg.days)
    if seg.actual is None:
        return message(
            gettext_noop("%(label)s: no actual (%(basis)s)."),
            label=label,
            basis=basis_label(seg.basis),
        )
    if seg.band is None or seg.payout is None:
        return message(gettext_noop("%(label)s: no target band."), label=label)
    return message(
        gettext_noop(
            "%(label)s: actual %(actual)s (%(basis)s); threshold %(threshold)s, "
            "target %(target)s, stretch %(stretch)s; payout %(payout)s."
        ),
        label=label,
        actual=_num(seg.actual),
        basis=basis_label(seg.basis),
        threshold=_num(seg.band.threshold),
        target=_num(seg.band.target),
        stretch=_num(seg.band.stretch),
        payout=_pct(seg.payout),
    )


_segment_message = lru_cache(maxsize=8192)(_segment_text)


@lru_cache(maxsize=1024)
def _gate_message(g: GateResult) -> tuple:
    if g.actual is None:
        msgid = gettext_noop(
            "Gate %(kpi)s: no actual, counted as missed (minimum %(minimum)s): "
            "factor × %(multiplier)s."
        )
    elif g.met:
        msgid = gettext_noop("Gate %(kpi)s: actual %(actual)s, minimum %(minimum)s: met.")
    else:
        msgid = gettext_noop(
            "Gate %(kpi)s: actual %(actual)s, minimum %(minimum)s: missed, factor × %(multiplier)s."
        )
    return message(
        msgid,
        kpi=g.kpi_code,
        actual=_num(g.actual),
        minimum=_num(g.minimum),
        multiplier=_pct(g.multiplier),
    )


@lru_cache(maxsize=1024)
def _proration_message(eligible: int, days: int, proration: Decimal) -> tuple:
    return message(
        gettext_noop("Eligible %(eligible)s of %(days)s days: proration %(proration)s."),
        eligible=eligible,
        days=days,
        proration=_pct(proration),
    )


def explain(line: LineInput, result: LineResult) -> tuple:
    """The plain-language statement of a line as messages (:func:`render` them to read).

    Per component: each segment's actual and its basis, the band and the payout, what the
    missing-data policy did, the weight used and the share of the target bonus; then the
    gates, the cap, the proration, the amount and the adjustments. Percentages and amounts
    are rounded for display only (percentages to 2 decimals, amounts to the minor unit)."""
    text: list = []
    add = text.append
    policy, exponent = line.missing_data_policy, line.currency_exponent
    for c in result.components:
        kpi = c.kpi_code
        has_data = False
        for seg in c.segments:
            # An employee's own actual is theirs alone: caching it would only cost a hash.
            add(_segment_text(kpi, seg) if c.scope == "employee" else _segment_message(kpi, seg))
            has_data = has_data or seg.payout is not None
        if c.missing and policy == BLOCK:
            add(
                message(
                    gettext_noop(
                        "%(kpi)s: missing data pays 0 for now; the run cannot be approved."
                    ),
                    kpi=kpi,
                )
            )
        elif c.missing and policy == ZERO:
            add(message(gettext_noop("%(kpi)s: missing data pays 0."), kpi=kpi))
        elif c.missing and has_data:
            add(message(gettext_noop("%(kpi)s: only the days with data count."), kpi=kpi))
        elif c.missing:
            add(
                message(
                    gettext_noop("%(kpi)s: no data; its weight goes to the components with data."),
                    kpi=kpi,
                )
            )
        if c.weight_used != c.weight and has_data:
            add(
                message(
                    gettext_noop(
                        "%(kpi)s: weight %(nominal)s raised to %(weight)s (others have no data)."
                    ),
                    kpi=kpi,
                    nominal=_pct(c.weight),
                    weight=_pct(c.weight_used),
                )
            )
        add(
            (
                gettext_noop(
                    "%(kpi)s: payout %(payout)s × weight %(weight)s = %(contribution)s of the "
                    "target bonus (%(amount)s before gates and cap)."
                ),
                {
                    "kpi": kpi,
                    "payout": _pct(c.payout),
                    "weight": _pct(c.weight_used),
                    "contribution": _pct(c.contribution),
                    "amount": _money(c.amount, exponent),
                },
            )
        )
    add((gettext_noop("Payout factor: %(factor)s."), {"factor": _pct(result.raw_factor)}))
    for g in result.gates:
        add(_gate_message(g))
    factor, cap = _pct(result.factor_after_gates), _pct(result.cap)
    if result.capped:
        add(
            message(
                gettext_noop("Factor %(factor)s is above the cap of %(cap)s; the cap is paid."),
                factor=factor,
                cap=cap,
            )
        )
    else:
        add(
            (
                gettext_noop("Factor after gates: %(factor)s (cap %(cap)s)."),
                {"factor": factor, "cap": cap},
            )
        )
    add(_proration_message(line.eligible_days, line.period_days, result.proration))
    add(
        (
            gettext_noop(
                "Target bonus %(target)s × proration %(proration)s × factor %(factor)s = "
                "%(amount)s."
            ),
            {
                "target": _money(line.target_amount, exponent),
                "proration": _pct(result.proration),
                "factor": _pct(result.factor),
                "amount": _money(result.amount_before_adjustments, exponent),
            },
        )
    )
    for adjustment in line.adjustments:
        add(
            message(
                gettext_noop("Adjustment: %(amount)s."),
                amount=format(round_money(adjustment, exponent), "+f"),
            )
        )
    add((gettext_noop("Amount to pay: %(amount)s."), {"amount": _money(result.amount, exponent)}))
    return tuple(text)


def statement(line: LineInput, result: LineResult) -> tuple[str, ...]:
    """The statement in the active language."""
    return render(explain(line, result))
