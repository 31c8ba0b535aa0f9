"""Acceptance on the Olist sample: the orders load with the shipped mapping, cxoffice's
on-time rate per month equals an independent count by the rule of SPEC §5, loading twice
changes nothing; the reviews load as CSAT answers."""

import csv
import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command

from apps.kpis.models import KPIResult
from apps.kpis.periods import Period
from apps.records import selectors, services
from apps.records.models import (
    RecordMapping,
    Shipment,
    ShipmentStatus,
    SurveyResponse,
    SurveyType,
)

from .conftest import OLIST_ORDERS, OLIST_REVIEWS

pytestmark = pytest.mark.django_db


def load_orders():
    return services.records_load(
        kind="shipments",
        table=services.open_table(str(OLIST_ORDERS)),
        mapping=RecordMapping.objects.get(name="olist-orders"),
    )


def independent_on_time_by_month() -> dict[str, tuple[int, int]]:
    """Plain Python over the file: orders whose estimated delivery date falls in the month, not
    canceled/unavailable; on time = delivered on or before that date; undelivered = late."""
    on_time, due = Counter(), Counter()
    with OLIST_ORDERS.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["order_status"] in ("canceled", "unavailable"):
                continue
            promised = row["order_estimated_delivery_date"][:10]
            delivered = row["order_delivered_customer_date"][:10]
            month = promised[:7]
            due[month] += 1
            if delivered and delivered <= promised:
                on_time[month] += 1
    return {month: (on_time[month], due[month]) for month in due}


def test_orders_load_with_the_shipped_mapping(catalog):
    report = load_orders()
    with OLIST_ORDERS.open(encoding="utf-8", newline="") as handle:
        statuses = Counter(row["order_status"] for row in csv.DictReader(handle))
    total = sum(statuses.values())
    assert (report.read, report.created, report.rejected) == (total, total, 0)
    cancelled = statuses["canceled"] + statuses["unavailable"]
    assert cancelled > 0
    assert Shipment.objects.filter(status=ShipmentStatus.CANCELLED).count() == cancelled
    assert Shipment.objects.filter(status=ShipmentStatus.DELIVERED).count() == statuses["delivered"]
    assert Shipment.objects.filter(status=ShipmentStatus.IN_TRANSIT).count() == (
        total - cancelled - statuses["delivered"]
    )
    first = Shipment.objects.get(source_record_id="e481f51cbdc54678b7cc49136f2d6af7")
    # 2017-10-02 10:56:33 in São Paulo (UTC−3 then) is 13:56:33 UTC.
    assert first.ordered_at == dt.datetime(2017, 10, 2, 13, 56, 33, tzinfo=dt.UTC)
    assert first.promised_on == dt.date(2017, 10, 18)
    assert first.delivered_on == dt.date(2017, 10, 10)
    assert first.source_system == "olist"


def test_on_time_rate_per_month_equals_an_independent_count(catalog):
    load_orders()
    expected = independent_on_time_by_month()
    assert len(expected) > 10
    for month, (on_time, due) in sorted(expected.items()):
        counts = selectors.delivery_metrics(Period.parse(month), as_of=dt.date(2026, 1, 1))
        company = counts["company"]
        assert (company.on_time, company.due) == (on_time, due), month
        assert company.pending == 0


def test_computed_on_time_results_equal_the_independent_count(catalog):
    load_orders()
    expected = independent_on_time_by_month()
    months = sorted(expected)[:: max(len(expected) // 4, 1)]
    for month in months:
        call_command("compute_kpis", month, stdout=open("/dev/null", "w"))  # noqa: SIM115
        result = KPIResult.objects.get(
            kpi__code="delivery.on_time_rate", scope="company", period=month
        )
        on_time, due = expected[month]
        assert (result.numerator, result.denominator, result.sample_size) == (on_time, due, due)
        assert result.source == "computed"
        assert result.value == (Decimal(on_time) * 100 / due).quantize(Decimal("0.00000001"))


def test_loading_twice_changes_nothing(catalog):
    load_orders()
    before = list(Shipment.objects.order_by("pk").values())
    services.kpi_results_compute(period="2018-03")
    results = list(
        KPIResult.objects.order_by("pk").values("pk", "value", "numerator", "denominator")
    )
    again = load_orders()
    assert (again.created, again.updated, again.skipped) == (0, 0, again.read)
    assert list(Shipment.objects.order_by("pk").values()) == before
    summary = services.kpi_results_compute(period="2018-03")
    assert summary["created"] == summary["updated"] == summary["removed"] == 0
    assert (
        list(KPIResult.objects.order_by("pk").values("pk", "value", "numerator", "denominator"))
        == results
    )


def test_reviews_load_as_csat_answers(catalog):
    report = services.records_load(
        kind="surveys",
        table=services.open_table(str(OLIST_REVIEWS)),
        mapping=RecordMapping.objects.get(name="olist-reviews-csat"),
    )
    with OLIST_REVIEWS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    distinct = {row["review_id"] for row in rows}
    assert (report.read, report.created, report.skipped) == (
        len(rows),
        len(distinct),
        len(rows) - len(distinct),
    )
    assert SurveyResponse.objects.exclude(survey_type=SurveyType.CSAT).count() == 0
    scores = Counter(SurveyResponse.objects.values_list("score", flat=True))
    first_scores = {}
    for row in rows:
        first_scores.setdefault(row["review_id"], int(row["review_score"]))
    assert scores == Counter(first_scores.values())
    assert set(scores) <= {1, 2, 3, 4, 5}
