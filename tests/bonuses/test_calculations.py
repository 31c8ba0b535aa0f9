"""Bonus arithmetic (SPEC §10): pure, no database, exact Decimals."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from apps.bonuses.calculations import (
    Band,
    ComponentInput,
    GateInput,
    LineInput,
    Segment,
    department_segments,
    eligible_days,
    eligible_window,
    payout_factor,
    proration,
    round_money,
)
from apps.bonuses.calculations import calculate_line as compute_line
from apps.bonuses.messages import render
from apps.bonuses.statements import statement


class Explained:
    """A line's result with what a reader sees of it: the statement (statements.py) and the
    blocking issues, rendered in the active language."""

    def __init__(self, line: LineInput) -> None:
        self.result = compute_line(line)
        self.explanation = statement(line, self.result)
        self.blocking_issues = render(self.result.issues)

    def __getattr__(self, name: str):
        return getattr(self.result, name)


def calculate_line(line: LineInput) -> Explained:
    return Explained(line)


UP = Band(D(80), D(85), D(90))
DOWN = Band(D(8), D(5), D(3))


def component(kpi, weight, actual, band=UP, *, up=True, days=46, **kwargs):
    segment = Segment(days, None if actual is None else D(actual), band, "employee result")
    return ComponentInput(kpi.lower(), kpi, D(weight), up, (segment,), **kwargs)


def worked_example(**kwargs):
    """SPEC §10: 1,000.00 for a 92-day quarter, enrolled 46 days; CSAT 60%, late delivery 40%."""
    csat = component("CSAT", "0.6", "87.5")
    late = component("LATE", "0.4", "6.5", DOWN, up=False)
    return LineInput(D("1000.00"), 46, 92, (csat, late), **kwargs)


def single(payout_band_actual="90", *, target="1000.00", e=46, d=92, **kwargs):
    """A one-component line (CSAT weight 100%); actual 90 pays 150%, 85 pays 100%."""
    return LineInput(D(target), e, d, (component("CSAT", 1, payout_band_actual, days=e),), **kwargs)


# --- the worked example ----------------------------------------------------------------------


def test_spec_worked_example_to_the_cent():
    result = calculate_line(worked_example())
    assert result.proration == D("0.5")
    csat, late = result.components
    assert (csat.payout, late.payout) == (D("1.25"), D("0.75"))
    assert (csat.contribution, late.contribution) == (D("0.75"), D("0.3"))
    assert result.raw_factor == result.factor == D("1.05")
    assert result.gate_multiplier == 1
    assert not result.capped
    assert str(result.amount_before_adjustments) == str(result.amount) == "525.00"
    assert result.flags == ()
    assert result.blocking_issues == ()
    assert not result.blocked


def test_explanation_names_each_kpi_its_payout_and_the_amount():
    text = "\n".join(calculate_line(worked_example()).explanation)
    for fragment in ("CSAT", "LATE", "125%", "75%", "87.5", "6.5", "105%", "50%", "525.00"):
        assert fragment in text
    assert "employee result" in text  # how the actual was obtained


# --- the payout curve ------------------------------------------------------------------------

NO_STRETCH_UP = Band(D(80), D(85), None)
NO_THRESHOLD_UP = Band(None, D(85), D(90))
NO_STRETCH_DOWN = Band(D(8), D(5), None)
NO_THRESHOLD_DOWN = Band(None, D(5), D(3))


@pytest.mark.parametrize(
    ("actual", "band", "up", "payout"),
    [
        ("79.9", UP, True, "0"),  # worse than threshold
        ("80", UP, True, "0.5"),  # at threshold
        ("82.5", UP, True, "0.75"),  # between threshold and target
        ("85", UP, True, "1"),  # at target
        ("87.5", UP, True, "1.25"),  # between target and stretch
        ("90", UP, True, "1.5"),  # at stretch
        ("97", UP, True, "1.5"),  # beyond stretch
        ("85", NO_STRETCH_UP, True, "1"),
        ("99", NO_STRETCH_UP, True, "1"),
        ("82.5", NO_STRETCH_UP, True, "0.75"),
        ("84.99", NO_THRESHOLD_UP, True, "0"),
        ("85", NO_THRESHOLD_UP, True, "1"),
        ("8.1", DOWN, False, "0"),
        ("8", DOWN, False, "0.5"),
        ("6.5", DOWN, False, "0.75"),
        ("5", DOWN, False, "1"),
        ("4", DOWN, False, "1.25"),
        ("3", DOWN, False, "1.5"),
        ("0.5", DOWN, False, "1.5"),
        ("5", NO_STRETCH_DOWN, False, "1"),
        ("1", NO_STRETCH_DOWN, False, "1"),
        ("6.5", NO_STRETCH_DOWN, False, "0.75"),
        ("5.01", NO_THRESHOLD_DOWN, False, "0"),
        ("5", NO_THRESHOLD_DOWN, False, "1"),
    ],
)
def test_payout_curve(actual, band, up, payout):
    assert payout_factor(D(actual), band, up) == D(payout)


def test_custom_payouts_at_threshold_and_stretch():
    assert payout_factor(D("82.5"), UP, True, D(0), D(2)) == D("0.5")
    assert payout_factor(D("87.5"), UP, True, D(0), D(2)) == D("1.5")
    assert payout_factor(D(80), UP, True, D("0.25"), D(3)) == D("0.25")


@pytest.mark.parametrize(
    ("actual", "band", "payout"),
    [
        ("85", Band(D(85), D(85), D(90)), "1"),  # threshold = target: target wins
        ("84.99", Band(D(85), D(85), D(90)), "0"),
        ("85", Band(D(80), D(85), D(85)), "1.5"),  # target = stretch: stretch wins
        ("84", Band(D(80), D(85), D(85)), "0.9"),
        ("85", Band(D(85), D(85), D(85)), "1.5"),
        ("84", Band(D(85), D(85), D(85)), "0"),
    ],
)
def test_equal_levels_never_divide_by_zero(actual, band, payout):
    assert payout_factor(D(actual), band, True) == D(payout)


def test_band_out_of_order_is_refused():
    with pytest.raises(ValueError, match="out of order"):
        payout_factor(D(85), UP, False)  # 80/85/90 is backwards for a ↓ KPI


# --- department segments ---------------------------------------------------------------------


def transferred(policy="block", second_actual="90"):
    """30 days in SUP paying 50% (at threshold), 16 in OPS paying 150% (at stretch)."""
    segments = (
        Segment(30, D(80), UP, "department result", "SUP"),
        Segment(16, None if second_actual is None else D(second_actual), UP, "dept", "OPS"),
    )
    csat = ComponentInput("csat", "CSAT", D(1), True, segments, scope="department")
    return LineInput(D("1000.00"), 46, 92, (csat,), missing_data_policy=policy)


def test_transferred_employee_pays_the_day_weighted_mean():
    result = calculate_line(transferred())
    (csat,) = result.components
    assert [s.payout for s in csat.segments] == [D("0.5"), D("1.5")]
    assert csat.payout == (30 * D("0.5") + 16 * D("1.5")) / 46
    assert result.amount == round_money(D(1000) * 46 * csat.payout / 92, 2) == D("423.91")
    text = "\n".join(result.explanation)
    assert "SUP" in text
    assert "OPS" in text


@pytest.mark.parametrize(
    ("policy", "payout", "blocked"),
    [
        ("block", 30 * D("0.5") / 46, True),  # the missing days pay 0 for now
        ("zero", 30 * D("0.5") / 46, False),
        ("reweight", D("0.5"), False),  # only the days with data count
    ],
)
def test_department_segment_without_actual(policy, payout, blocked):
    result = calculate_line(transferred(policy, second_actual=None))
    (csat,) = result.components
    assert csat.payout == payout
    assert csat.missing
    assert csat.weight_used == 1
    assert "missing_actual:CSAT" in result.flags
    assert result.blocked is blocked
    if blocked:
        assert result.blocking_issues == ("No actual for CSAT in OPS (16 days).",)


def test_department_segments_split_eligible_days():
    q2 = (date(2025, 4, 1), date(2025, 6, 30))  # 91 days
    window = [(q2[0], q2[1])]
    moves = [("SUP", date(2024, 1, 1), date(2025, 5, 10)), ("OPS", date(2025, 5, 11), None)]
    assert department_segments(*q2, window, moves) == [("SUP", 40), ("OPS", 51)]
    late_start = [("OPS", date(2025, 4, 11), None)]
    assert department_segments(*q2, window, late_start) == [(None, 10), ("OPS", 81)]
    back_and_forth = [
        ("SUP", date(2025, 4, 1), date(2025, 4, 30)),
        ("OPS", date(2025, 5, 1), date(2025, 5, 31)),
        ("SUP", date(2025, 6, 1), None),
    ]
    assert department_segments(*q2, window, back_and_forth) == [("SUP", 60), ("OPS", 31)]
    overlapping = [("SUP", date(2025, 1, 1), None), ("OPS", date(2025, 6, 1), None)]
    assert department_segments(*q2, window, overlapping) == [("SUP", 61), ("OPS", 30)]
    two_windows = [(date(2025, 3, 1), date(2025, 4, 10)), (date(2025, 6, 21), None)]
    assert department_segments(*q2, two_windows, moves) == [("SUP", 10), ("OPS", 10)]


@pytest.mark.parametrize(
    ("enrolled", "employed", "days"),
    [
        ((date(2025, 1, 1), None), (date(2020, 1, 1), None), 91),
        ((date(2025, 5, 16), None), (date(2020, 1, 1), None), 46),
        ((date(2025, 1, 1), date(2025, 4, 30)), (date(2020, 1, 1), None), 30),
        ((date(2025, 1, 1), None), (date(2025, 6, 30), None), 1),  # hired on the last day
        ((date(2025, 1, 1), None), (date(2020, 1, 1), date(2025, 4, 1)), 1),  # leave inclusive
        ((date(2025, 1, 1), None), (None, date(2025, 4, 10)), 10),
        ((date(2025, 7, 1), None), (date(2020, 1, 1), None), 0),
        ((date(2025, 1, 1), None), (date(2020, 1, 1), date(2025, 3, 31)), 0),
    ],
)
def test_eligible_days(enrolled, employed, days):
    q2 = (date(2025, 4, 1), date(2025, 6, 30))
    assert eligible_days(*q2, *enrolled, *employed) == days
    assert (eligible_window(*q2, *enrolled, *employed) is None) is (days == 0)


def test_proration_is_an_exact_fraction():
    assert proration(46, 92) == D("0.5")
    assert proration(1, 3) == D(1) / D(3)
    assert proration(92, 92) == 1
    with pytest.raises(ValueError, match="eligible days"):
        proration(93, 92)


# --- gates and cap ---------------------------------------------------------------------------


def gate(kpi, minimum, actual, *, up=True, multiplier=None):
    extra = {} if multiplier is None else {"multiplier_when_missed": D(multiplier)}
    return GateInput(kpi, D(minimum), up, None if actual is None else D(actual), **extra)


def test_missed_gate_pays_nothing_by_default():
    result = calculate_line(worked_example(gates=(gate("NPS", 30, "29.9"),)))
    assert result.gate_multiplier == 0
    assert result.factor == 0
    assert result.amount == D("0.00")
    assert "gate_missed:NPS" in result.flags
    assert not result.blocked


def test_met_gate_changes_nothing():
    gates = (gate("NPS", 30, 30), gate("ERR", 2, "1.5", up=False))  # at the minimum = met
    result = calculate_line(worked_example(gates=gates))
    assert result.gate_multiplier == 1
    assert [g.met for g in result.gates] == [True, True]
    assert result.amount == D("525.00")
    assert result.flags == ()


def test_two_missed_gates_multiply():
    gates = (gate("NPS", 30, 20, multiplier="0.5"), gate("ERR", 2, 3, up=False, multiplier="0.8"))
    result = calculate_line(worked_example(gates=gates))
    assert result.gate_multiplier == D("0.4")
    assert result.factor == D("0.42")
    assert result.amount == D("210.00")
    assert {"gate_missed:NPS", "gate_missed:ERR"} <= set(result.flags)


@pytest.mark.parametrize(("policy", "blocked"), [("block", True), ("zero", False)])
def test_gate_without_actual_counts_as_missed(policy, blocked):
    gates = (gate("NPS", 30, None, multiplier="0.5"),)
    result = calculate_line(worked_example(gates=gates, missing_data_policy=policy))
    assert result.gate_multiplier == D("0.5")
    assert result.amount == D("262.50")
    assert {"missing_actual:NPS", "gate_missed:NPS"} <= set(result.flags)
    assert result.blocked is blocked


def test_factor_above_the_cap_is_capped_and_flagged():
    result = calculate_line(single("90", cap=D("1.2")))
    assert result.factor_after_gates == D("1.5")
    assert result.capped
    assert result.factor == D("1.2")
    assert result.amount == D("600.00")
    assert "capped" in result.flags
    assert "120%" in "\n".join(result.explanation)


def test_factor_at_the_cap_is_not_capped():
    result = calculate_line(single("90", cap=D("1.5")))
    assert not result.capped
    assert result.factor == D("1.5")


# --- missing data ----------------------------------------------------------------------------


@pytest.mark.parametrize(("policy", "blocked"), [("block", True), ("zero", False)])
def test_missing_actual_pays_zero_under_block_and_zero(policy, blocked):
    late = component("LATE", "0.4", "6.5", DOWN, up=False)
    components = (component("CSAT", "0.6", None), late)
    result = calculate_line(LineInput(D("1000.00"), 46, 92, components, **_policy(policy)))
    assert result.components[0].missing
    assert result.components[0].payout == 0
    assert result.components[0].weight_used == D("0.6")
    assert result.raw_factor == D("0.3")
    assert result.amount == D("150.00")
    assert "missing_actual:CSAT" in result.flags
    assert result.blocked is blocked
    assert any("CSAT" in issue for issue in result.blocking_issues) is blocked


def _policy(policy):
    return {"missing_data_policy": policy}


def test_reweight_shares_the_missing_weight_pro_rata():
    components = (
        component("CSAT", "0.5", "85"),
        component("FCR", "0.3", "85"),
        component("NPS", "0.2", None),
    )
    result = calculate_line(LineInput(D("1000.00"), 92, 92, components, **_policy("reweight")))
    assert [c.weight_used for c in result.components] == [D("0.625"), D("0.375"), D(0)]
    assert result.raw_factor == 1
    assert result.amount == D("1000.00")
    assert result.flags == ("missing_actual:NPS",)
    assert not result.blocked
    assert "62.5%" in "\n".join(result.explanation)


def test_reweight_with_no_data_at_all_pays_zero():
    components = (component("CSAT", "0.5", None), component("FCR", "0.5", None))
    result = calculate_line(LineInput(D("1000.00"), 92, 92, components, **_policy("reweight")))
    assert result.raw_factor == 0
    assert result.amount == D("0.00")
    assert not result.blocked


def test_reweight_when_only_a_zero_weighted_component_has_data_pays_zero():
    # Found by hypothesis: 0 of the weight has data, so nothing can be shared (no 0 / 0).
    components = (component("CSAT", "0", "85"), component("FCR", "1", None))
    result = calculate_line(LineInput(D("1000.00"), 92, 92, components, **_policy("reweight")))
    assert [c.weight_used for c in result.components] == [D(0), D(0)]
    assert result.amount == D("0.00")


def test_missing_band_is_missing_data():
    csat = ComponentInput("csat", "CSAT", D(1), True, (Segment(46, D(87), None, "employee"),))
    result = calculate_line(LineInput(D("1000.00"), 46, 92, (csat,)))
    assert result.amount == D("0.00")
    assert result.flags == ("missing_target:CSAT",)
    assert "CSAT" in result.blocking_issues[0]


def test_lines_that_cannot_exist_are_refused():
    with pytest.raises(ValueError, match="no eligible days"):
        calculate_line(single("85", e=0))
    with pytest.raises(ValueError, match="policy"):
        calculate_line(single("85", missing_data_policy="ignore"))
    with pytest.raises(ValueError, match="minor units"):
        calculate_line(single("85", adjustments=(D("0.005"),)))


# --- rounding --------------------------------------------------------------------------------


def test_round_money_is_half_up():
    assert round_money(D("5.005"), 2) == D("5.01")
    assert round_money(D("5.00499999"), 2) == D("5.00")
    assert round_money(D("-5.005"), 2) == D("-5.01")  # half away from zero
    assert round_money(D("500.5"), 0) == D(501)


def test_amount_ending_in_half_a_cent_rounds_up():
    result = calculate_line(single("85", target="10.01", e=1, d=2))
    assert result.amount == D("5.01")


def test_currency_without_minor_unit_rounds_to_whole_units():
    result = calculate_line(single("85", target="1001", e=1, d=2, currency_exponent=0))
    assert str(result.amount) == "501"
    assert "501" in result.explanation[-1]


def test_adjustments_are_added_after_rounding():
    line = single("85", target="10.01", e=1, d=2, adjustments=(D("0.10"), D("-1.00")))
    result = calculate_line(line)
    assert result.amount_before_adjustments == D("5.01")
    assert result.adjustments_total == D("-0.90")
    assert result.amount == D("4.11")
    assert any("+0.10" in text for text in result.explanation)


# --- properties ------------------------------------------------------------------------------

levels = st.decimals(min_value=-1000, max_value=1000, places=2)
fraction = st.decimals(min_value=0, max_value=1, places=2)


@st.composite
def bands(draw):
    """(band, higher_is_better): three ordered levels, threshold and stretch optional."""
    low, mid, high = sorted(draw(st.lists(levels, min_size=3, max_size=3)))
    up = draw(st.booleans())
    threshold, stretch = (low, high) if up else (high, low)
    return Band(
        threshold if draw(st.booleans()) else None, mid, stretch if draw(st.booleans()) else None
    ), up


@given(
    bands(),
    levels,
    levels,
    fraction,
    st.decimals(min_value=1, max_value=3, places=2),
)
def test_payout_is_monotone_and_bounded(band_up, x, y, at_threshold, at_stretch):
    band, up = band_up
    worse, better = sorted((x, y)) if up else sorted((x, y), reverse=True)
    low = payout_factor(worse, band, up, at_threshold, at_stretch)
    high = payout_factor(better, band, up, at_threshold, at_stretch)
    assert low <= high
    assert 0 <= low <= at_stretch
    assert 0 <= high <= at_stretch


@st.composite
def lines(draw):
    period = draw(st.integers(1, 366))
    days = draw(st.integers(1, period))
    components = []
    for index in range(draw(st.integers(0, 3))):
        band, up = draw(bands())
        actual = draw(st.none() | levels)
        segment = Segment(days, actual, draw(st.none() | st.just(band)), "employee")
        components.append(
            ComponentInput(
                f"c{index}",
                f"KPI{index}",
                draw(fraction),
                up,
                (segment,),
                draw(fraction),
                draw(st.decimals(min_value=1, max_value=3, places=2)),
            )
        )
    gates = [
        GateInput(
            f"G{i}", draw(levels), draw(st.booleans()), draw(st.none() | levels), draw(fraction)
        )
        for i in range(draw(st.integers(0, 2)))
    ]
    return LineInput(
        draw(st.decimals(min_value=0, max_value=100_000, places=2)),
        days,
        period,
        tuple(components),
        tuple(gates),
        cap=draw(st.decimals(min_value=0, max_value=3, places=2)),
        missing_data_policy=draw(st.sampled_from(["block", "zero", "reweight"])),
    )


@given(lines())
def test_line_amount_is_between_zero_and_the_cap(line):
    result = calculate_line(line)
    ceiling = round_money(line.target_amount * line.eligible_days * line.cap / line.period_days, 2)
    assert 0 <= result.amount_before_adjustments <= ceiling
    assert result.amount == result.amount_before_adjustments
    assert result.factor <= line.cap


dates = st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31))


@given(
    dates,
    st.integers(0, 365),
    dates,
    st.none() | dates,
    st.none() | dates,
    st.none() | dates,
    st.lists(st.tuples(st.sampled_from(["SUP", "OPS", "FIN"]), dates, st.none() | dates)),
)
def test_eligible_days_and_segments_add_up(start, length, enrolled, until, hired, left, moves):
    end = start + timedelta(days=length)
    days = eligible_days(start, end, enrolled, until, hired, left)
    assert 0 <= days <= length + 1
    window = eligible_window(start, end, enrolled, until, hired, left)
    windows = [] if window is None else [window]
    segments = department_segments(start, end, windows, moves)
    assert sum(d for _department, d in segments) == days
    assert all(d > 0 for _department, d in segments)


def _segments_day_by_day(period_start, period_end, windows, assignments):
    """The reference: walk every eligible day (the first, slow implementation)."""
    dates = set()
    for start, end in windows:
        day, last = max(start, period_start), min(end or period_end, period_end)
        while day <= last:
            dates.add(day)
            day += timedelta(days=1)
    days = {}
    for day in sorted(dates):
        covering = [(s, d) for d, s, e in assignments if s <= day and (e is None or day <= e)]
        department = max(covering, key=lambda c: c[0])[1] if covering else None
        days[department] = days.get(department, 0) + 1
    return list(days.items())


_day = st.integers(min_value=-20, max_value=110).map(lambda n: date(2026, 7, 1) + timedelta(days=n))


@given(
    windows=st.lists(st.tuples(_day, st.one_of(st.none(), _day)), min_size=1, max_size=3),
    assignments=st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), _day, st.one_of(st.none(), _day)), max_size=5
    ),
)
def test_department_segments_agree_with_walking_every_day(windows, assignments):
    start, end = date(2026, 7, 1), date(2026, 9, 30)
    assert department_segments(start, end, windows, assignments) == _segments_day_by_day(
        start, end, windows, assignments
    )


def test_shared_components_are_explained_in_each_readers_language():
    """Department components are evaluated once per run and cached: the cache must not leak
    one language's blocking issue into another's."""
    line = transferred("block", second_actual=None)
    english = calculate_line(line).blocking_issues
    with translation.override("zh-hans"):
        chinese = calculate_line(line).blocking_issues
    assert english == calculate_line(line).blocking_issues
    assert chinese != english
    assert "CSAT" in chinese[0]
    assert "OPS" in chinese[0]
