"""Period keys: parsing, calendar bounds, the ISO Thursday rule and the arithmetic on periods."""

import random
from datetime import date, timedelta
from itertools import pairwise

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from apps.kpis.periods import (
    ACCEPTED_FORMS,
    RANK,
    Period,
    PeriodError,
    PeriodType,
    is_valid_key,
    parse_period,
    period_range,
)

WEEK, MONTH, QUARTER, YEAR = PeriodType.WEEK, PeriodType.MONTH, PeriodType.QUARTER, PeriodType.YEAR
DAY = timedelta(days=1)

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
types = st.sampled_from(list(PeriodType))
periods = st.builds(Period.for_date, days, types)
years = st.integers(min_value=1990, max_value=2100).map(lambda y: Period(YEAR, y, 1))


@st.composite
def period_and_coarser_type(draw: st.DrawFn) -> tuple[Period, PeriodType]:
    period = draw(periods)
    return period, draw(st.sampled_from([t for t in PeriodType if RANK[t] >= RANK[period.type]]))


@st.composite
def period_and_finer_type(draw: st.DrawFn) -> tuple[Period, PeriodType]:
    period = draw(periods)
    return period, draw(st.sampled_from([t for t in PeriodType if RANK[t] <= RANK[period.type]]))


def p(key: str) -> Period:
    return Period.parse(key)


# --- parsing and keys ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "type_", "year", "number", "canonical"),
    [
        ("2026", YEAR, 2026, 1, "2026"),
        ("2026-Q4", QUARTER, 2026, 4, "2026-Q4"),
        ("2026-q1", QUARTER, 2026, 1, "2026-Q1"),
        ("2026-11", MONTH, 2026, 11, "2026-11"),
        ("2026-01", MONTH, 2026, 1, "2026-01"),
        ("2026-W47", WEEK, 2026, 47, "2026-W47"),
        ("2026-w05", WEEK, 2026, 5, "2026-W05"),
        ("2026-W53", WEEK, 2026, 53, "2026-W53"),
        ("2020-W53", WEEK, 2020, 53, "2020-W53"),
        ("2015-W53", WEEK, 2015, 53, "2015-W53"),
        ("2032-W53", WEEK, 2032, 53, "2032-W53"),
        ("  2026-W47\n", WEEK, 2026, 47, "2026-W47"),
        ("1000", YEAR, 1000, 1, "1000"),
        ("9999-12", MONTH, 9999, 12, "9999-12"),
    ],
)
def test_parse_and_key(key, type_, year, number, canonical):
    period = Period.parse(key)
    assert period == Period(type_, year, number)
    assert period.key == str(period) == canonical
    assert Period.parse(period.key) == period
    assert parse_period(key) == period
    assert is_valid_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "2026-13",
        "2026-00",
        "2026-W54",
        "2025-W53",  # 2025 has 52 ISO weeks
        "2026-W00",
        "2026-Q5",
        "2026-Q0",
        "2026-Q04",
        "26",
        "0999",
        "10000",
        "2026-W5",
        "2026-5",
        "2026/11",
        "2026-11-01",
        "2026-M11",
        "2026W47",
        "2026 - W47",
        "２０２６",  # full-width digits are digits to Python's \d, not to us
        "9999-W52",  # would end in the year 10000
        "",
        "   ",
        None,
        2026,
    ],
)
def test_bad_keys_are_rejected_with_a_helpful_message(key):
    with translation.override("en"), pytest.raises(PeriodError) as caught:
        Period.parse(key)
    message = str(caught.value)
    assert f"“{key}”" in message
    assert "2026-W47" in message
    assert str(ACCEPTED_FORMS) in message
    assert caught.value.key == key
    assert not is_valid_key(key)


def test_period_error_is_a_value_error():
    with pytest.raises(ValueError, match="not a period"):
        parse_period("2026-13")


def test_message_is_built_in_the_active_language():
    with translation.override("zh-hans"):
        message = str(PeriodError("x"))
    assert "x" in message
    assert "2026-W47" in message


@pytest.mark.parametrize(
    ("type_", "year", "number"),
    [(WEEK, 2025, 53), (WEEK, 2026, 0), (MONTH, 2026, 13), (QUARTER, 2026, 5), (YEAR, 2026, 2)],
)
def test_constructor_validates(type_, year, number):
    with pytest.raises(PeriodError):
        Period(type_, year, number)


def test_constructor_coerces_the_type_and_rejects_non_integers():
    assert Period("month", 2026, 11) == p("2026-11")  # type: ignore[arg-type]
    assert Period("month", 2026, 11).type is MONTH  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'day'"):
        Period("day", 2026, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Period(MONTH, 2026, 11.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Period(YEAR, 2026, True)


def test_periods_are_hashable_values():
    assert {p("2026-W47"), p("2026-w47"), Period(WEEK, 2026, 47)} == {Period(WEEK, 2026, 47)}
    assert p("2026-11") != p("2026-Q4")


# --- calendar bounds ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "start", "end", "days"),
    [
        ("2026-W01", date(2025, 12, 29), date(2026, 1, 4), 7),
        ("2026-W53", date(2026, 12, 28), date(2027, 1, 3), 7),
        ("2026-W47", date(2026, 11, 16), date(2026, 11, 22), 7),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28), 28),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), 29),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), 90),
        ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31), 91),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), 92),
        ("2026", date(2026, 1, 1), date(2026, 12, 31), 365),
        ("2024", date(2024, 1, 1), date(2024, 12, 31), 366),
    ],
)
def test_bounds(key, start, end, days):
    period = p(key)
    assert (period.start, period.end, period.days) == (start, end, days)


def test_week_starts_monday_and_anchors_on_thursday():
    week = p("2026-W47")
    assert week.start.weekday() == 0
    assert week.end.weekday() == 6
    assert week.anchor == date(2026, 11, 19)
    assert week.anchor.weekday() == 3
    assert p("2026-11").anchor == date(2026, 11, 1)


@pytest.mark.parametrize(
    ("day", "type_", "key"),
    [
        (date(2025, 12, 29), WEEK, "2026-W01"),
        (date(2027, 1, 3), WEEK, "2026-W53"),
        (date(2027, 1, 4), WEEK, "2027-W01"),
        (date(2024, 12, 30), WEEK, "2025-W01"),
        (date(2026, 11, 30), MONTH, "2026-11"),
        (date(2026, 12, 31), QUARTER, "2026-Q4"),
        (date(2026, 4, 1), QUARTER, "2026-Q2"),
        (date(2025, 12, 29), YEAR, "2025"),  # calendar year, even though ISO week 2026-W01
    ],
)
def test_for_date(day, type_, key):
    assert Period.for_date(day, type_) == p(key)


# --- the Thursday rule --------------------------------------------------------------------------


def test_week_straddling_new_year_belongs_where_its_thursday_is():
    week = p("2025-W01")  # Monday 2024-12-30 .. Sunday 2025-01-05, Thursday 2025-01-02
    assert (week.start, week.end) == (date(2024, 12, 30), date(2025, 1, 5))
    assert week.parent(MONTH) == p("2025-01")
    assert week.parent(QUARTER) == p("2025-Q1")
    assert week.parent(YEAR) == p("2025")
    assert p("2025-01").contains(week)
    assert p("2025").contains(week)
    assert not p("2024-12").contains(week)
    assert not p("2024").contains(week)


def test_week_53_belongs_to_december():
    week = p("2026-W53")
    assert week.anchor == date(2026, 12, 31)
    assert week.parent(MONTH) == p("2026-12")
    assert week.parent(YEAR) == p("2026")
    assert p("2026-12").children(WEEK)[-1] == week
    assert not p("2027-01").contains(week)
    assert p("2027-01").children(WEEK)[0] == p("2027-W01")


@pytest.mark.parametrize(
    ("week_key", "month_key", "quarter_key"),
    [
        ("2026-W14", "2026-04", "2026-Q2"),  # Monday 2026-03-30, Thursday 2026-04-02
        ("2026-W27", "2026-07", "2026-Q3"),  # Monday 2026-06-29, Thursday 2026-07-02
        ("2026-W49", "2026-12", "2026-Q4"),  # Monday 2026-11-30, Thursday 2026-12-03
    ],
)
def test_week_with_monday_in_one_month_and_thursday_in_the_next(week_key, month_key, quarter_key):
    week = p(week_key)
    assert week.start.month != week.anchor.month
    assert week.parent(MONTH) == p(month_key)
    assert week.parent(QUARTER) == p(quarter_key)
    assert p(month_key).contains(week)
    assert not p(month_key).previous().contains(week)
    assert week in p(month_key).children(WEEK)
    assert week not in p(month_key).previous().children(WEEK)


def test_week_with_thursday_in_one_month_and_sunday_in_the_next():
    week = p("2026-W44")  # Monday 2026-10-26, Thursday 2026-10-29, Sunday 2026-11-01
    assert week.parent(MONTH) == p("2026-10")
    assert not p("2026-11").contains(week)


@pytest.mark.parametrize(
    ("key", "first", "last", "count"),
    [
        ("2026", "2026-W01", "2026-W53", 53),
        ("2025", "2025-W01", "2025-W52", 52),
        ("2026-12", "2026-W49", "2026-W53", 5),
        ("2026-11", "2026-W45", "2026-W48", 4),
        ("2026-Q2", "2026-W14", "2026-W26", 13),
        ("2026-Q4", "2026-W40", "2026-W53", 14),
    ],
)
def test_weeks_of(key, first, last, count):
    weeks = p(key).children(WEEK)
    assert (weeks[0], weeks[-1], len(weeks)) == (p(first), p(last), count)


def test_children_and_parent_of_coarser_periods():
    assert p("2026").children(QUARTER) == [p(f"2026-Q{q}") for q in range(1, 5)]
    assert p("2026-Q3").children(MONTH) == [p("2026-07"), p("2026-08"), p("2026-09")]
    assert p("2026-11").children(MONTH) == [p("2026-11")]
    assert p("2026-W47").children(WEEK) == [p("2026-W47")]
    assert p("2026-08").parent(QUARTER) == p("2026-Q3")
    assert p("2026-08").parent(MONTH) == p("2026-08")


def test_direction_mistakes_raise_value_error():
    with pytest.raises(ValueError, match="no parent"):
        p("2026").parent(MONTH)
    with pytest.raises(ValueError, match="no child"):
        p("2026-W47").children(MONTH)


def test_contains_only_finer_periods_inside():
    assert p("2026").contains(p("2026"))
    assert p("2026").contains(p("2026-Q4"))
    assert p("2026-Q4").contains(p("2026-11"))
    assert not p("2026-11").contains(p("2026-Q4"))  # coarser
    assert not p("2026-11").contains(p("2026-12"))  # same rank, different period
    assert not p("2026-Q4").contains(p("2027-01"))


# --- arithmetic ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "n", "expected"),
    [
        ("2026-W53", 1, "2027-W01"),
        ("2025-W52", 1, "2026-W01"),
        ("2026-W01", -1, "2025-W52"),
        ("2027-W01", -1, "2026-W53"),
        ("2026-W47", 52, "2027-W46"),
        ("2026-12", 1, "2027-01"),
        ("2026-01", -13, "2024-12"),
        ("2026-Q1", -1, "2025-Q4"),
        ("2026-Q4", 5, "2028-Q1"),
        ("2026", -26, "2000"),
        ("2026-11", 0, "2026-11"),
    ],
)
def test_shift(key, n, expected):
    assert p(key).shift(n) == p(expected)


def test_next_previous_and_last():
    assert p("2026-W53").next() == p("2027-W01")
    assert p("2027-W01").previous() == p("2026-W53")
    assert p("2027-02").last(3) == [p("2026-12"), p("2027-01"), p("2027-02")]
    assert p("2026").last(1) == [p("2026")]
    with pytest.raises(ValueError, match="n >= 1"):
        p("2026").last(0)


def test_shifting_out_of_the_supported_years_is_a_period_error():
    with pytest.raises(PeriodError):
        p("9999").next()
    with pytest.raises(PeriodError):
        p("1000-01").previous()
    with pytest.raises(PeriodError):
        p("9999-W51").next()


def test_period_range():
    assert period_range(p("2026-W52"), p("2027-W02")) == [
        p("2026-W52"),
        p("2026-W53"),
        p("2027-W01"),
        p("2027-W02"),
    ]
    assert period_range(p("2026-Q4"), p("2026-Q4")) == [p("2026-Q4")]
    assert period_range(p("2026-12"), p("2026-11")) == []
    with pytest.raises(PeriodError, match="different kinds"):
        period_range(p("2026-W47"), p("2026-11"))


# --- ordering -----------------------------------------------------------------------------------


def test_sorting_is_chronological():
    weeks = p("2027-W10").last(70)  # crosses the 53-week year 2026
    months = p("2027-03").last(30)
    for chronological in (weeks, months):
        shuffled = chronological.copy()
        random.Random(47).shuffle(shuffled)
        assert sorted(shuffled) == chronological
    assert p("2026-W53") < p("2027-W01") <= p("2027-W01")
    assert p("2027-01") > p("2026-12") >= p("2026-12")


def test_comparing_different_kinds_raises_type_error():
    with pytest.raises(TypeError):
        _ = p("2026-W47") < p("2026-11")
    with pytest.raises(TypeError):
        _ = p("2026") >= p("2026-Q1")
    with pytest.raises(TypeError):
        _ = p("2026") < "2027"  # type: ignore[operator]
    with pytest.raises(TypeError):
        sorted([p("2026"), p("2026-11")])


# --- properties ---------------------------------------------------------------------------------


@given(periods)
def test_key_round_trip(period):
    assert Period.parse(period.key) == period
    assert Period.parse(period.key.lower()) == period


@given(days, types)
def test_for_date_contains_the_day(day, type_):
    period = Period.for_date(day, type_)
    assert period.type == type_
    assert period.start <= day <= period.end
    assert period.days == (period.end - period.start).days + 1


@given(years)
def test_each_week_is_in_exactly_one_month_and_quarter(year):
    weeks = year.children(WEEK)
    assert len(weeks) in (52, 53)
    assert all(w.year == year.year for w in weeks)  # the ISO year of a week is its anchor's year
    for coarser in (MONTH, QUARTER):
        parts = year.children(coarser)
        for week in weeks:
            assert sum(part.contains(week) for part in parts) == 1
        assert sum(len(part.children(WEEK)) for part in parts) == len(weeks)
        assert [w for part in parts for w in part.children(WEEK)] == weeks


@given(period_and_coarser_type())
def test_parent_contains(pair):
    period, type_ = pair
    parent = period.parent(type_)
    assert parent.type == type_
    assert parent.contains(period)
    assert period in parent.children(period.type)


@given(periods, st.integers(min_value=-500, max_value=500))
def test_shift_is_reversible(period, n):
    shifted = period.shift(n)
    assert shifted.type == period.type
    assert shifted.shift(-n) == period
    assert (shifted > period) == (n > 0)
    assert len(period_range(period, shifted)) == (n + 1 if n >= 0 else 0)


@given(periods)
def test_next_follows_without_gap(period):
    following = period.next()
    assert following.start == period.end + DAY
    assert following.previous() == period
    assert period < following


@given(period_and_finer_type())
def test_children_tile_the_period(pair):
    period, type_ = pair
    children = period.children(type_)
    assert children
    assert all(period.contains(child) and child.type == type_ for child in children)
    for before, after in pairwise(children):
        assert after.start == before.end + DAY
    if type_ != WEEK or period.type == WEEK:
        assert children[0].start == period.start
        assert children[-1].end == period.end
        assert sum(child.days for child in children) == period.days
    else:  # the weeks whose Thursday is inside; their neighbours' Thursdays are outside
        assert not period.contains(children[0].previous())
        assert not period.contains(children[-1].next())
        assert abs(children[0].start - period.start) < timedelta(days=4)


@given(periods, st.integers(min_value=1, max_value=60))
def test_last_n(period, n):
    recent = period.last(n)
    assert len(recent) == n
    assert recent[-1] == period
    for before, after in pairwise(recent):
        assert before.next() == after


@given(st.lists(periods, min_size=2, max_size=20), types)
def test_order_is_by_start(mixed, type_):
    same = [Period.for_date(period.start, type_) for period in mixed]
    assert sorted(same) == sorted(same, key=lambda period: period.start)
