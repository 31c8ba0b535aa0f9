"""The impact of a project on a KPI (SPEC §8): latest vs baseline vs goal, in the KPI's better
direction. Pure arithmetic, no database."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.bpi.calculations import impact


@pytest.mark.parametrize(
    ("baseline", "goal", "latest", "higher", "status", "improvement", "closed"),
    [
        # late-delivery rate, lower is better: 10% → goal 5%
        ("10", "5", "7", False, "improved", "3", "60.0"),
        ("10", "5", "5", False, "achieved", "5", "100.0"),
        ("10", "5", "4", False, "achieved", "6", "120.0"),
        ("10", "5", "10", False, "unchanged", "0", "0.0"),
        ("10", "5", "12", False, "worse", "-2", "-40.0"),
        # CSAT, higher is better: 80 → 90
        ("80", "90", "85", True, "improved", "5", "50.0"),
        ("80", "90", "90", True, "achieved", "10", "100.0"),
        ("80", "90", "79", True, "worse", "-1", "-10.0"),
        ("80", "90", "83.33", True, "improved", "3.33", "33.3"),
    ],
)
def test_impact_in_the_kpis_direction(baseline, goal, latest, higher, status, improvement, closed):
    result = impact(baseline=D(baseline), goal=D(goal), latest=D(latest), higher_is_better=higher)
    assert result.status == status
    assert result.improvement == D(improvement)
    assert result.gap_closed_percent == D(closed)


def test_missing_values_are_unknown_not_zero():
    assert impact(baseline=D(10), goal=D(5), latest=None, higher_is_better=False).status == (
        "unknown"
    )
    no_baseline = impact(baseline=None, goal=D(5), latest=D(7), higher_is_better=False)
    assert (no_baseline.status, no_baseline.improvement) == ("unknown", None)
    # Without a baseline a latest value at the goal is still achieved.
    assert impact(baseline=None, goal=D(5), latest=D(5), higher_is_better=False).status == (
        "achieved"
    )
    same = impact(baseline=D(5), goal=D(5), latest=D(6), higher_is_better=True)
    assert same.gap_closed_percent is None  # no gap to close


values = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False)


@given(baseline=values, goal=values, latest=values, higher=st.booleans())
def test_improvement_sign_matches_the_status(baseline, goal, latest, higher):
    result = impact(baseline=baseline, goal=goal, latest=latest, higher_is_better=higher)
    if result.status == "improved":
        assert result.improvement > 0
    elif result.status == "worse":
        assert result.improvement < 0
    elif result.status == "unchanged":
        assert result.improvement == 0
