"""The calculators against hand-computed values: surveys (NPS, CSAT, CES with intervals and the
low-sample flag), tickets (median / p90 / mean, backlog, FCR), deliveries (on time, pending,
OTIF and perfect order counted jointly, the late-delivery tree), in a fixed number of queries."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.kpis.models import KPIResult
from apps.kpis.periods import Period
from apps.records import selectors, services
from apps.records.models import Carrier, StageStandard, Warehouse

from .factories import at, shipment, shipments, survey, surveys, tickets

pytestmark = pytest.mark.django_db
MARCH = Period.parse("2026-03")


# --- surveys ---------------------------------------------------------------------------------
def test_a_period_without_answers_is_null_not_zero():
    surveys(survey("nps", 10, "2026-02-10"), survey("csat", 5, "2026-04-01"))
    metrics = selectors.survey_metrics(MARCH)
    assert "company" not in metrics or metrics["company"].nps.value is None
    company = metrics.get("company")
    if company is not None:
        for metric in (company.nps, company.csat, company.ces):
            assert metric.value is None
            assert metric.interval is None
            assert metric.n == 0


def test_a_single_answer_gives_a_wide_interval_and_the_low_sample_flag():
    surveys(survey("csat", 5), survey("nps", 10))
    company = selectors.survey_metrics(MARCH)["company"]
    assert company.csat.value == Decimal("100.0000")
    assert company.csat.low_sample is True
    # Wilson with n = 1, p = 1: low = 1 / (1 + z²) = 20.65…%, high = 100%.
    assert company.csat.interval.low == Decimal("20.6549")
    assert company.csat.interval.high == Decimal("100.0000")
    assert company.nps.value == Decimal("100.0000")
    assert company.nps.low_sample is True
    assert company.nps.interval.high - company.nps.interval.low > 100


@pytest.mark.parametrize(
    ("score", "expected"),
    [(10, 100), (9, 100), (8, 0), (7, 0), (6, -100), (0, -100)],
)
def test_nps_boundaries_9_10_promote_0_6_detract(score, expected):
    surveys(survey("nps", score))
    assert selectors.survey_metrics(MARCH)["company"].nps.value == Decimal(expected)


def test_nps_csat_ces_hand_computed(settings):
    settings.RECORDS_MIN_SAMPLE = 3
    surveys(
        *[survey("nps", s) for s in (10, 9, 9, 8, 7, 6)],
        *[survey("csat", s) for s in (5, 4, 3, 2)],
        *[survey("ces", s, scale="easy_1_7") for s in (7, 6, 2)],
        survey("ces", 1, scale="effort_1_5"),  # another wording: never mixed in
    )
    company = selectors.survey_metrics(MARCH)["company"]
    assert company.nps.value == Decimal("33.3333")  # (3 − 1) / 6
    assert company.nps.n == 6
    assert company.nps.low_sample is False
    # Adjusted Wald: p' = 3.75/9, d' = 1.75/9 → NPS' = 22.22…, ± 1.96·√((5.5/9 − (2/9)²)/9).
    assert company.nps.interval.low == Decimal("-26.7433")
    assert company.nps.interval.high == Decimal("71.1877")
    assert company.csat.value == Decimal("50.0000")  # 3 is not satisfied
    assert (company.csat.numerator, company.csat.n) == (2, 4)
    assert company.ces.value == Decimal("5.0000")
    assert company.ces.n == 3


def test_survey_metrics_per_department(catalog):
    surveys(
        survey("csat", 5, department="CS"), survey("csat", 1, department="CS"), survey("csat", 4)
    )
    metrics = selectors.survey_metrics(MARCH)
    from apps.departments.models import Department

    cs = Department.objects.get(code="CS").pk
    assert metrics[cs].csat.value == Decimal("50.0000")
    assert metrics["company"].csat.value == Decimal("66.6667")


# --- tickets ---------------------------------------------------------------------------------
def _ticket(day: str, response_hours=None, resolve_hours=None, contacts=None) -> dict:
    opened = dt.datetime.fromisoformat(at(day, 8))
    row = {"opened_at": opened.isoformat()}
    if response_hours is not None:
        row["first_response_at"] = (opened + dt.timedelta(hours=response_hours)).isoformat()
    if resolve_hours is not None:
        row["resolved_at"] = (opened + dt.timedelta(hours=resolve_hours)).isoformat()
    if contacts is not None:
        row["contacts_to_resolve"] = contacts
    return row


def test_ticket_durations_backlog_and_fcr_hand_computed():
    tickets(
        _ticket("2026-03-02", 1, 10, 1),
        _ticket("2026-03-03", 2, 20, 2),
        _ticket("2026-03-04", 3, 30, 1),
        _ticket("2026-03-05", 10),
        _ticket("2026-03-06"),  # unanswered: the backlog
        _ticket("2026-02-27", 0.5, 1, 1),  # opened in February, resolved there
    )
    company = selectors.ticket_metrics(MARCH)["company"]
    assert (company.opened, company.backlog) == (5, 1)
    frt = company.first_response
    assert (frt.n, frt.median, frt.p90, frt.mean) == (
        4, Decimal("2.5000"), Decimal("10.0000"), Decimal("4.0000"),
    )  # fmt: skip
    resolution = company.resolution
    assert (resolution.n, resolution.median, resolution.p90, resolution.mean) == (
        3, Decimal("20.0000"), Decimal("30.0000"), Decimal("20.0000"),
    )  # fmt: skip
    assert (company.fcr_first_contact, company.fcr_resolved) == (2, 3)
    assert company.fcr_rate == Decimal("66.6667")


def test_odd_median_and_p90_nearest_rank():
    tickets(*[_ticket("2026-03-10", h) for h in (5, 1, 4, 2, 3, 9, 8, 7, 6, 10, 11)])
    frt = selectors.ticket_metrics(MARCH)["company"].first_response
    assert (frt.median, frt.p90) == (Decimal("6.0000"), Decimal("10.0000"))  # rank ⌈9.9⌉ = 10


# --- shipments -------------------------------------------------------------------------------
def _late_tree_records():
    Warehouse.objects.create(code="W1", name="North")
    Carrier.objects.create(code="C1", name="Fast")
    ordered_b = dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC)
    ordered_c = dt.datetime(2026, 3, 7, 12, tzinfo=dt.UTC)
    hours = dt.timedelta(hours=1)
    shipments(
        shipment("2026-03-10", "2026-03-10", items_ordered=2, items_delivered=2,
                 first_attempt_ok="yes", damaged="no", lost="no"),  # a1: perfect
        shipment("2026-03-10", "2026-03-09", items_ordered=2, items_delivered=1,
                 first_attempt_ok="no"),  # a2: on time, not in full (damage not reported)
        shipment("2026-03-11", "2026-03-11", items_ordered=1, items_delivered=1,
                 damaged="true"),  # a3: OTIF, damaged
        shipment("2026-03-12", "2026-03-12", items_ordered=1, items_delivered=1,
                 damaged="no", documents_ok="0"),  # a4: OTIF, wrong papers
        {  # b: late; its payment took 30 h (standard 24 h)
            "ordered_at": ordered_b.isoformat(),
            "paid_at": (ordered_b + 30 * hours).isoformat(),
            "shipped_at": (ordered_b + 40 * hours).isoformat(),
            "delivered_at": at("2026-03-11"),
            "promised_at": at("2026-03-10"),
            "carrier": "C1",
        },
        {  # c: undelivered and overdue; picking took 20 h (8 h), waiting for dispatch, lost
            "ordered_at": ordered_c.isoformat(),
            "paid_at": (ordered_c + hours).isoformat(),
            "warehouse_received_at": (ordered_c + 3 * hours).isoformat(),
            "picked_at": (ordered_c + 23 * hours).isoformat(),
            "packed_at": (ordered_c + 24 * hours).isoformat(),
            "promised_at": at("2026-03-12"),
            "warehouse": "W1",
            "lost": "yes",
        },
        shipment("2026-03-31"),  # d: promised today, not delivered: pending
        shipment("2026-03-05", "2026-03-20", status="cancelled"),  # e: left out
        shipment("2026-04-01", "2026-04-09"),  # another period
    )  # fmt: skip


def test_delivery_counts_jointly_per_order():
    _late_tree_records()
    company = selectors.delivery_metrics(MARCH, as_of=dt.date(2026, 3, 31))["company"]
    assert (company.due, company.on_time, company.late, company.pending) == (6, 4, 2, 1)
    # Each rate over the due orders whose source reported what it needs: items for OTIF
    # (a1–a4; b and c did not say), damage or loss (a1, a3, a4, c), both for perfect order.
    assert (company.otif, company.fill_known) == (3, 4)
    assert (company.damaged_or_lost, company.damage_known) == (2, 4)
    assert (company.perfect, company.perfect_known) == (1, 3)
    assert (company.first_attempt_ok, company.attempted) == (1, 2)


def test_rates_of_facts_the_source_never_reported_are_null_not_0_or_100(catalog):
    """An export without damage, loss or item columns (the Olist orders) has an on-time rate,
    and no damage/loss, OTIF or perfect-order rate: unknown is not "undamaged" or "in full"."""
    shipments(shipment("2026-03-10", "2026-03-09"), shipment("2026-03-11", "2026-03-12"))
    services.kpi_results_compute(period="2026-03", as_of=dt.date(2026, 3, 31))
    computed = dict(KPIResult.objects.filter(scope="company").values_list("kpi__code", "value"))
    assert computed["delivery.on_time_rate"] == 50
    for code in ("delivery.damage_loss_rate", "delivery.otif_rate", "cx.perfect_order_rate"):
        assert code not in computed


def test_undelivered_orders_are_late_once_the_promised_date_passed():
    _late_tree_records()
    company = selectors.delivery_metrics(MARCH, as_of=dt.date(2026, 4, 1))["company"]
    assert (company.due, company.late, company.pending) == (7, 3, 0)


def test_late_tree_attributes_each_late_order_to_the_stages_that_overran():
    _late_tree_records()
    company = selectors.delivery_metrics(MARCH, as_of=dt.date(2026, 3, 31))["company"]
    assert company.late_by_stage == {
        "payment_confirmation": 1,  # b
        "order_processing": 0,
        "warehouse": 1,  # c, through its children
        "picking": 1,  # c
        "sorting": 0,
        "packing": 0,
        "dispatch": 1,  # c waits there
        "carrier": 0,
    }
    by_warehouse = {
        row.label: row.counts
        for row in selectors.late_tree(MARCH, by="warehouse", as_of=dt.date(2026, 3, 31))
    }
    assert by_warehouse["W1"].late_by_stage["picking"] == 1
    assert by_warehouse["no warehouse recorded"].late_by_stage["payment_confirmation"] == 1
    by_carrier = {
        row.label: row.counts
        for row in selectors.late_tree(MARCH, by="carrier", as_of=dt.date(2026, 3, 31))
    }
    assert by_carrier["C1"].late == 1


def test_stage_standards_are_configurable():
    _late_tree_records()
    StageStandard.objects.create(stage="payment_confirmation", hours=Decimal(48))
    company = selectors.delivery_metrics(MARCH, as_of=dt.date(2026, 3, 31))["company"]
    assert company.late_by_stage["payment_confirmation"] == 0


def test_delivered_on_the_promised_date_late_in_the_day_is_on_time():
    shipments(
        {"ordered_at": at("2026-03-01"), "promised_at": "2026-03-10T00:00:00+00:00",
         "delivered_at": "2026-03-10T23:59:00+00:00"},
    )  # fmt: skip
    company = selectors.delivery_metrics(MARCH, as_of=dt.date(2026, 4, 1))["company"]
    assert (company.on_time, company.late) == (1, 0)


# --- query counts ----------------------------------------------------------------------------
@pytest.mark.parametrize("size", [3, 60])
def test_calculators_cost_a_fixed_number_of_queries(catalog, size, django_assert_num_queries):
    shipments(*[shipment("2026-03-10", "2026-03-11", department="DIST") for _ in range(size)])
    tickets(*[_ticket("2026-03-02", 1, 5, 1) for _ in range(size)])
    surveys(*[survey("nps", i % 11, department="CS") for i in range(size)])
    with django_assert_num_queries(2):
        selectors.delivery_metrics(MARCH)
    with django_assert_num_queries(5):
        selectors.ticket_metrics(MARCH)
    with django_assert_num_queries(1):
        selectors.survey_metrics(MARCH)
