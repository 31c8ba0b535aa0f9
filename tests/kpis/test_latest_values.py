"""kpi_latest_values: the latest value per (KPI, holder) at the KPI's frequency, read as every
value is read (SPEC §4: explicit, rolled up from finer periods, from sub-departments), before a
date when asked — what BPI baselines and current values are."""

import datetime as dt
from decimal import Decimal as D

import pytest

from apps.kpis.selectors import Holder, kpi_latest_values
from tests.factories import DepartmentFactory, KPIFactory, KPIResultFactory

pytestmark = pytest.mark.django_db


def dept(department) -> Holder:
    return Holder("department", department.pk)


def read(kpi, holder, **kwargs):
    """(period, value, basis) of the latest value, or None."""
    found = kpi_latest_values([(kpi, holder)], **kwargs).get((kpi.pk, holder))
    return None if found is None else (found.period.key, found.value.value, found.value.basis)


@pytest.fixture
def late():
    return KPIFactory(code="delivery.late_rate", frequency="month", aggregation="mean")


def test_the_latest_explicit_value_before_a_date_in_each_scope(late):
    north, south = DepartmentFactory(code="NORTH"), DepartmentFactory(code="SOUTH")
    for period, value in [("2026-08", "9"), ("2026-09", "8"), ("2026-10", "7")]:
        KPIResultFactory(kpi=late, department=north, period=period, value=D(value))
    KPIResultFactory(kpi=late, department=south, period="2026-09", value=D("3"))
    KPIResultFactory(kpi=late, period="2026-08", value=D("6"))  # the company
    before = dt.date(2026, 10, 15)  # October not over yet
    assert read(late, dept(north), before=before) == ("2026-09", 8, "explicit")
    assert read(late, Holder.company(), before=before) == ("2026-08", 6, "explicit")
    assert read(late, dept(north)) == ("2026-10", 7, "explicit")
    # A mean is not made up from departments: the company's own 2026-08 stays its latest.
    assert read(late, Holder.company()) == ("2026-08", 6, "explicit")
    assert read(late, dept(south), before=dt.date(2026, 9, 1)) is None


def test_weekly_results_roll_up_into_the_kpis_month():
    kpi = KPIFactory(code="delivery.on_time_rate", frequency="month")  # a ratio, in percent
    dist = DepartmentFactory(code="DIST")
    # 2026-W37 (Thursday 10 September) is a September week; W41 and W42 are October's.
    KPIResultFactory(kpi=kpi, department=dist, period="2026-W37", numerator=8, denominator=10)
    KPIResultFactory(kpi=kpi, department=dist, period="2026-W41", numerator=9, denominator=10)
    KPIResultFactory(kpi=kpi, department=dist, period="2026-W42", numerator=3, denominator=10)
    found = kpi_latest_values([(kpi, dept(dist))])[(kpi.pk, dept(dist))]
    assert (found.period.key, found.value.value, found.value.basis) == ("2026-10", 60, "rolled_up")
    assert found.value.periods == 2
    # Before 20 October: October is not complete, so September (from its one week).
    assert read(kpi, dept(dist), before=dt.date(2026, 10, 20)) == ("2026-09", 80, "rolled_up")


def test_a_department_without_results_of_its_own_reads_its_sub_departments():
    ratio = KPIFactory(code="delivery.on_time_rate", frequency="month")
    mean = KPIFactory(code="delivery.late_minutes", frequency="month", aggregation="mean")
    dist = DepartmentFactory(code="DIST")
    north = DepartmentFactory(code="DIST-N", parent=dist)
    south = DepartmentFactory(code="DIST-S", parent=dist)
    for kpi in (ratio, mean):
        KPIResultFactory(kpi=kpi, department=north, period="2026-09", numerator=9, denominator=10)
        KPIResultFactory(kpi=kpi, department=south, period="2026-09", numerator=6, denominator=10)
    assert read(ratio, dept(dist)) == ("2026-09", 75, "children")
    assert read(ratio, Holder.company()) == ("2026-09", 75, "children")
    assert read(mean, dept(dist)) is None  # means are not rolled up from departments
    assert read(mean, dept(north)) == ("2026-09", 90, "explicit")


def test_medians_are_read_only_from_results_of_the_kpis_frequency():
    median = KPIFactory(code="service.frt_median", unit="hours", frequency="month",
                        aggregation="median")  # fmt: skip
    KPIResultFactory(kpi=median, period="2026-08", value=D("4.5"))
    KPIResultFactory(kpi=median, period="2026-W41", value=D("3"))  # never rolled up
    assert read(median, Holder.company()) == ("2026-08", D("4.5"), "explicit")


def test_a_latest_period_that_cannot_be_read_gives_way_to_an_earlier_one():
    kpi = KPIFactory(code="delivery.on_time_rate", frequency="month")
    dist = DepartmentFactory(code="DIST")
    north = DepartmentFactory(code="DIST-N", parent=dist)
    KPIResultFactory(kpi=kpi, department=north, period="2026-09", numerator=7, denominator=10)
    # October's only result has no numerator and denominator: a ratio cannot be rolled up from it.
    KPIResultFactory(kpi=kpi, department=north, period="2026-10", value=D(50))
    assert read(kpi, dept(dist)) == ("2026-09", 70, "children")
    assert read(kpi, dept(north)) == ("2026-10", 50, "explicit")


def test_three_queries_whatever_the_number_of_pairs(late, django_assert_num_queries):
    departments = DepartmentFactory.create_batch(12)
    for department in departments:
        KPIResultFactory(kpi=late, department=department, period="2026-10")
    pairs = [(late, dept(d)) for d in departments] + [(late, Holder.company())]
    with django_assert_num_queries(3):
        latest = kpi_latest_values(pairs)
    assert len(latest) == 12  # the company has no value of its own (a mean)
    with django_assert_num_queries(0):
        assert kpi_latest_values([]) == {}
