"""kpi_latest_results: the latest explicit result per (KPI, holder), before a date when asked —
what BPI baselines and current values are read from."""

import datetime as dt
from decimal import Decimal as D

import pytest

from apps.kpis.selectors import Holder, kpi_latest_results
from tests.factories import DepartmentFactory, KPIFactory, KPIResultFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def late():
    return KPIFactory(code="delivery.late_rate")


def test_latest_result_before_a_date_in_each_scope(late):
    north, south = DepartmentFactory(code="NORTH"), DepartmentFactory(code="SOUTH")
    for period, value in [("2026-08", "9"), ("2026-09", "8"), ("2026-10", "7")]:
        KPIResultFactory(kpi=late, department=north, period=period, value=D(value))
    KPIResultFactory(kpi=late, department=south, period="2026-09", value=D("3"))
    KPIResultFactory(kpi=late, period="2026-08", value=D("6"))  # the company
    north_holder = Holder("department", north.pk)
    pairs = [(late.pk, north_holder), (late.pk, Holder.company())]

    latest = kpi_latest_results(pairs, before=dt.date(2026, 10, 15))  # October not over yet
    assert latest[(late.pk, north_holder)].value == D("8")
    assert latest[(late.pk, north_holder)].period == "2026-09"
    assert latest[(late.pk, Holder.company())].value == D("6")
    assert (late.pk, Holder("department", south.pk)) not in latest  # not asked for

    now = kpi_latest_results(pairs)
    assert now[(late.pk, north_holder)].period == "2026-10"


def test_a_finer_period_ending_on_the_same_day_wins_and_missing_pairs_are_absent(late):
    KPIResultFactory(kpi=late, period="2026-09", value=D("8"))
    KPIResultFactory(kpi=late, period="2026-Q3", value=D("9"))  # also ends on 30 September
    other = KPIFactory(code="delivery.on_time_rate")
    latest = kpi_latest_results([(late.pk, Holder.company()), (other.pk, Holder.company())])
    assert latest[(late.pk, Holder.company())].period == "2026-09"
    assert (other.pk, Holder.company()) not in latest
    assert kpi_latest_results([(late.pk, Holder.company())], before=dt.date(2026, 9, 30)) == {}


def test_one_query_whatever_the_number_of_pairs(late, django_assert_num_queries):
    departments = DepartmentFactory.create_batch(12)
    for department in departments:
        KPIResultFactory(kpi=late, department=department, period="2026-10")
    pairs = [(late.pk, Holder("department", d.pk)) for d in departments]
    with django_assert_num_queries(1):
        latest = kpi_latest_results(pairs)
    assert len(latest) == 12
