"""Attainment status and gaps (SPEC §6): pure, in both directions."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.targets.calculations import attainment_status, gap, is_ordered
from apps.targets.charts import sparkline_svg

UP = {"threshold": D(80), "target": D(85), "stretch": D(90), "higher_is_better": True}
DOWN = {"threshold": D(8), "target": D(5), "stretch": D(3), "higher_is_better": False}


@pytest.mark.parametrize(
    ("actual", "levels", "status"),
    [
        (D("79.9"), UP, "below_threshold"),
        (D(80), UP, "below_target"),
        (D("84.99"), UP, "below_target"),
        (D(85), UP, "on_target"),
        (D("89.9"), UP, "on_target"),
        (D(90), UP, "at_stretch"),
        (D(99), UP, "at_stretch"),
        (D("8.1"), DOWN, "below_threshold"),
        (D(8), DOWN, "below_target"),
        (D(5), DOWN, "on_target"),
        (D(3), DOWN, "at_stretch"),
        (D(0), DOWN, "at_stretch"),
        (None, UP, "no_data"),
        (D(90), {**UP, "target": None}, "no_data"),
        (D(84), {**UP, "threshold": None}, "below_threshold"),
        (D(95), {**UP, "stretch": None}, "on_target"),
    ],
)
def test_status(actual, levels, status):
    assert attainment_status(actual, **levels) == status


def test_gaps_are_positive_when_ahead_in_either_direction():
    assert gap(D("87.5"), D(85), higher_is_better=True) == D("2.5")
    assert gap(D("6.5"), D(5), higher_is_better=False) == D("-1.5")
    assert gap(D(4), D(5), higher_is_better=False) == D(1)
    assert gap(None, D(5), higher_is_better=False) is None


def test_order_of_levels():
    assert is_ordered(D(80), D(85), D(90), True)
    assert not is_ordered(D(90), D(85), D(80), True)
    assert is_ordered(D(8), D(5), D(3), False)
    assert not is_ordered(D(3), D(5), D(8), False)
    assert is_ordered(None, D(5), None, False)


levels = st.decimals(min_value=-1000, max_value=1000, allow_nan=False, places=2)


@given(a=levels, b=levels, t=levels, s=levels, higher=st.booleans())
def test_status_never_gets_worse_as_the_actual_improves(a, b, t, s, higher):
    band = sorted([t, s]) if higher else sorted([t, s], reverse=True)
    kwargs = {"threshold": None, "target": band[0], "stretch": band[1], "higher_is_better": higher}
    rank = ["no_data", "below_threshold", "below_target", "on_target", "at_stretch"]
    worse, better = (min(a, b), max(a, b)) if higher else (max(a, b), min(a, b))
    assert rank.index(attainment_status(better, **kwargs)) >= rank.index(
        attainment_status(worse, **kwargs)
    )


def test_sparkline_draws_gaps_target_and_latest_point():
    svg = sparkline_svg([D(1), None, D(3), D(4)], target=D(2), title="a<b")
    assert svg.startswith("<svg")
    assert svg.count("<polyline") == 1  # 3 → 4 joined; 1 stands alone (a dot), the gap unjoined
    assert 'stroke-dasharray="3 3"' in svg  # the target line
    assert "a&lt;b" in svg
    empty = sparkline_svg([None, None])
    assert "<polyline" not in empty
