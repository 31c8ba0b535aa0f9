"""Reading values (SPEC §4): explicit, rolled up over periods, from child departments."""

from decimal import Decimal

import pytest

from apps.kpis.models import Aggregation, Unit
from apps.kpis.periods import Period
from apps.kpis.selectors import Holder, kpi_series, kpi_value_for, result_book
from tests.factories import DepartmentFactory, KPIFactory, KPIResultFactory

pytestmark = pytest.mark.django_db
D = Decimal


def dept(holder_department):
    return Holder("department", holder_department.pk)


def test_explicit_result_wins():
    kpi = KPIFactory()
    KPIResultFactory(kpi=kpi, period="2026-11", numerator=90, denominator=100)
    KPIResultFactory(kpi=kpi, period="2026-W45", numerator=1, denominator=100)
    value = kpi_value_for(kpi, Holder.company(), Period.parse("2026-11"))
    assert value.basis == "explicit"
    assert value.value == D("90")


def test_weeks_roll_up_to_their_thursdays_month_as_sum_of_numerators_over_denominators():
    kpi = KPIFactory()
    ops = DepartmentFactory(code="OPS")
    # 2026-W44 runs Mon 26 Oct – Sun 1 Nov: its Thursday (29 Oct) is in October → not November.
    # 2026-W49 runs Mon 30 Nov – Sun 6 Dec: its Thursday (3 Dec) is in December → not November.
    weeks = {
        "2026-W44": (1, 1000),
        "2026-W45": (90, 100),
        "2026-W46": (45, 60),
        "2026-W47": (300, 400),
        "2026-W48": (9, 10),
        "2026-W49": (0, 1000),
    }
    for period, (num, den) in weeks.items():
        KPIResultFactory(kpi=kpi, department=ops, period=period, numerator=num, denominator=den)
    value = kpi_value_for(kpi, dept(ops), Period.parse("2026-11"))
    # Σnum / Σden of W45–W48 = 444 / 570 = 77.89473684…% (not the mean of the four rates, 81.25%)
    assert value.basis == "rolled_up"
    assert value.periods == 4
    assert value.numerator == D(444)
    assert value.denominator == D(570)
    assert value.value == D("77.89473684")


def test_rolls_up_across_levels_without_double_counting():
    kpi = KPIFactory(aggregation=Aggregation.SUM, unit=Unit.COUNT)
    # One explicit month (October) and weeks for November; the quarter takes October as given
    # and November from its weeks; the October weeks are ignored in favour of the explicit month.
    KPIResultFactory(kpi=kpi, period="2026-10", value=D(100))
    KPIResultFactory(kpi=kpi, period="2026-W41", value=D(999))
    KPIResultFactory(kpi=kpi, period="2026-W46", value=D(7))
    KPIResultFactory(kpi=kpi, period="2026-W47", value=D(5))
    value = kpi_value_for(kpi, Holder.company(), Period.parse("2026-Q4"))
    assert value.value == D(112)
    assert value.basis == "rolled_up"


def test_company_value_comes_from_its_departments_for_ratio_kpis():
    kpi = KPIFactory()
    root = DepartmentFactory(code="CO")
    north = DepartmentFactory(code="N", parent=root)
    south = DepartmentFactory(code="S", parent=root)
    KPIResultFactory(kpi=kpi, department=north, period="2026-W46", numerator=90, denominator=100)
    KPIResultFactory(kpi=kpi, department=north, period="2026-W47", numerator=80, denominator=100)
    KPIResultFactory(kpi=kpi, department=south, period="2026-11", numerator=10, denominator=50)
    value = kpi_value_for(kpi, Holder.company(), Period.parse("2026-11"))
    assert value.basis == "children"
    assert (value.numerator, value.denominator) == (D(180), D(250))
    assert value.value == D(72)


def test_sum_kpis_add_children_mean_kpis_do_not_roll_up_from_children():
    incidents = KPIFactory(aggregation=Aggregation.SUM, unit=Unit.COUNT)
    score = KPIFactory(aggregation=Aggregation.MEAN, unit=Unit.SCORE)
    root = DepartmentFactory()
    for child, count in ((DepartmentFactory(parent=root), 3), (DepartmentFactory(parent=root), 4)):
        KPIResultFactory(kpi=incidents, department=child, period="2026-11", value=D(count))
        KPIResultFactory(kpi=score, department=child, period="2026-11", value=D(count))
    month = Period.parse("2026-11")
    assert kpi_value_for(incidents, dept(root), month).value == D(7)
    assert kpi_value_for(incidents, dept(root), month).basis == "children"
    assert kpi_value_for(score, dept(root), month).basis == "none"


def test_medians_are_never_averaged():
    kpi = KPIFactory(aggregation=Aggregation.MEDIAN, unit=Unit.HOURS)
    KPIResultFactory(kpi=kpi, period="2026-W46", value=D(2))
    KPIResultFactory(kpi=kpi, period="2026-W47", value=D(4))
    value = kpi_value_for(kpi, Holder.company(), Period.parse("2026-11"))
    assert value.value is None
    assert value.basis == "none"


def test_mean_is_weighted_by_sample_size():
    kpi = KPIFactory(aggregation=Aggregation.MEAN, unit=Unit.SCORE)
    KPIResultFactory(kpi=kpi, period="2026-W46", value=D(60), sample_size=100)
    KPIResultFactory(kpi=kpi, period="2026-W47", value=D(-20), sample_size=300)
    value = kpi_value_for(kpi, Holder.company(), Period.parse("2026-11"))
    assert value.value == D(0)
    assert value.sample_size == 400


def test_ratio_results_without_numerators_do_not_roll_up_to_a_mean_of_rates():
    kpi = KPIFactory()
    KPIResultFactory(kpi=kpi, period="2026-W46", value=D(90))
    KPIResultFactory(kpi=kpi, period="2026-W47", numerator=1, denominator=2)
    assert kpi_value_for(kpi, Holder.company(), Period.parse("2026-11")).basis == "none"


def test_nothing_covering_the_period_is_null_not_zero():
    kpi = KPIFactory()
    KPIResultFactory(kpi=kpi, period="2026-W40", numerator=1, denominator=2)
    value = kpi_value_for(kpi, Holder.company(), Period.parse("2026-11"))
    assert value.value is None
    assert value.basis == "none"


def test_series_over_a_range():
    kpi = KPIFactory()
    KPIResultFactory(kpi=kpi, period="2026-W46", numerator=1, denominator=2)
    periods = [Period.parse(k) for k in ("2026-W45", "2026-W46", "2026-W47")]
    assert [(p.key, v.value, v.basis) for p, v in kpi_series(kpi, Holder.company(), periods)] == [
        ("2026-W45", None, "none"),
        ("2026-W46", D(50), "explicit"),
        ("2026-W47", None, "none"),
    ]


def test_a_whole_book_costs_two_queries(django_assert_num_queries):
    kpis = [KPIFactory() for _ in range(5)]
    departments = [DepartmentFactory() for _ in range(4)]
    for kpi in kpis:
        for department in departments:
            for week in range(40, 48):
                KPIResultFactory(
                    kpi=kpi,
                    department=department,
                    period=f"2026-W{week}",
                    numerator=1,
                    denominator=2,
                )
    months = [Period.parse("2026-10"), Period.parse("2026-11")]
    with django_assert_num_queries(2):
        book = result_book(kpis=kpis, holders=[Holder.company()], periods=months)
        values = [book.value(k, Holder.company(), m) for k in kpis for m in months]
    assert {v.value for v in values} == {D(50)}
    assert {v.basis for v in values} == {"children"}
