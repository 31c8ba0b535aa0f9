"""Per-person results (SPEC §5): computing a period also writes employee-scope results for
every person the records credit — couriers' on-time and first-attempt rates, pickers' and
packers' share of orders late in their stage, agents' FCR, FRT, resolution time and CSAT —
with numerator, denominator, sample size and the low-sample flag; a person's own entered
number is kept; a person no longer credited loses the computed result."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.departments.models import Department
from apps.kpis import services as kpi_services
from apps.kpis.models import KPIResult
from apps.records import services
from apps.records.models import Shipment
from tests.factories import EmployeeFactory

from .factories import at, shipment, shipments, survey, surveys, tickets

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 4, 1)  # March is over: an undelivered March order is late


@pytest.fixture
def people(catalog):
    return {n: EmployeeFactory(employee_number=n) for n in ("R1", "R2", "P1", "K1", "A1")}


def mine(code: str, number: str, period: str = "2026-03") -> KPIResult:
    return KPIResult.objects.get(
        kpi__code=code, scope="employee", employee__employee_number=number, period=period
    )


def stuck_in_picking(promised: str, **extra) -> dict:
    """Received by the warehouse, never picked: late, waiting in the picking stage."""
    row = shipment(promised, **extra)
    row.update(paid_at=at(promised, 1), warehouse_received_at=at(promised, 2))
    row["ordered_at"] = at(promised, 0)
    return row


def test_each_credited_person_gets_their_own_results(people):
    shipments(
        shipment("2026-03-10", "2026-03-09", courier="R1", first_attempt_ok="yes"),
        shipment("2026-03-11", "2026-03-11", courier="R1", first_attempt_ok="no"),
        shipment("2026-03-12", "2026-03-10", courier="R1", first_attempt_ok="yes"),
        shipment("2026-03-13", "2026-03-15", courier="R1", packer="K1"),
        shipment("2026-03-14", "2026-03-16", courier="R2", picker="P1", packer="K1"),
        stuck_in_picking("2026-03-20", picker="P1"),
        shipment("2026-03-21", "2026-03-20", picker="P1"),
    )
    tickets(
        *(
            {"opened_at": at("2026-03-05", 9), "first_response_at": at("2026-03-05", 9 + h),
             "resolved_at": at("2026-03-06", 9), "contacts_to_resolve": c, "agent": "A1"}
            for h, c in ((1, 1), (2, 1), (3, 2))
        )
    )  # fmt: skip
    surveys(survey("csat", 5, agent="A1"), survey("csat", 2, agent="A1"), survey("csat", 4))
    services.kpi_results_compute(period="2026-03", as_of=AS_OF)

    on_time = mine("delivery.on_time_rate", "R1")
    assert (on_time.numerator, on_time.denominator, on_time.sample_size) == (3, 4, 4)
    assert on_time.source == "computed"
    assert on_time.low_sample  # 4 deliveries, fewer than the minimum of 30
    first = mine("delivery.first_attempt_success_rate", "R1")
    assert (first.numerator, first.denominator) == (2, 3)
    late = mine("delivery.on_time_rate", "R2")
    assert (late.numerator, late.denominator) == (0, 1)
    picking = mine("delivery.late.warehouse.picking", "P1")  # the stuck order of his three
    assert (picking.numerator, picking.denominator) == (1, 3)
    packing = mine("delivery.late.warehouse.packing", "K1")
    assert (packing.numerator, packing.denominator) == (0, 2)
    fcr = mine("service.fcr_rate", "A1")
    assert (fcr.numerator, fcr.denominator) == (2, 3)
    frt = mine("service.first_response_time", "A1")
    assert (frt.value, frt.sample_size) == (2, 3)  # median hours
    csat = mine("service.csat", "A1")
    assert (csat.numerator, csat.denominator) == (1, 2)
    # A courier is measured on what couriers move, not on an agent's KPIs (and vice versa).
    assert not KPIResult.objects.filter(
        scope="employee", employee__employee_number="R1", kpi__code="service.fcr_rate"
    ).exists()
    assert not KPIResult.objects.filter(
        scope="employee", employee__employee_number="A1", kpi__code__startswith="delivery."
    ).exists()


def test_a_persons_entered_number_is_kept_and_a_person_no_longer_credited_loses_theirs(
    people, hr_api
):
    shipments(
        shipment("2026-03-10", "2026-03-09", courier="R1", source_record_id="o1"),
        shipment("2026-03-10", "2026-03-12", courier="R2", source_record_id="o2"),
    )
    kpi_services.kpi_results_bulk_upsert(
        user=None,
        rows=[{"kpi": "delivery.on_time_rate", "employee": "R1", "period": "2026-03",
               "numerator": 9, "denominator": 10}],
        source="manual",
    )  # fmt: skip
    summary = services.kpi_results_compute(period="2026-03", as_of=AS_OF)
    assert summary["kept"] == 1
    kept = mine("delivery.on_time_rate", "R1")
    assert (kept.numerator, kept.source, kept.low_sample) == (9, "manual", False)
    assert mine("delivery.on_time_rate", "R2").denominator == 1

    # The order is corrected: someone else delivered it.
    shipments(
        shipment("2026-03-10", "2026-03-12", courier="R1", source_record_id="o2"),
    )
    assert Shipment.objects.get(source_record_id="o2").courier == people["R1"]
    summary = services.kpi_results_compute(period="2026-03", as_of=AS_OF)
    assert not KPIResult.objects.filter(
        scope="employee", employee__employee_number="R2", kpi__code="delivery.on_time_rate"
    ).exists()
    assert summary["removed"] >= 1

    row = hr_api.get("/api/v1/kpi-results/", {"employee": "R1", "kpi": "delivery.on_time_rate"})
    assert row.status_code == 200, row.json()
    assert [(r["source"], r["low_sample"]) for r in row.json()["results"]] == [("manual", False)]


def test_one_departments_computation_leaves_the_peoples_results_alone(people):
    shipments(shipment("2026-03-10", "2026-03-09", courier="R1", department="DIST"))
    services.kpi_results_compute(period="2026-03", as_of=AS_OF)
    assert mine("delivery.on_time_rate", "R1").numerator == 1
    services.kpi_results_compute(
        period="2026-03", department=Department.objects.get(code="DIST"), as_of=AS_OF
    )
    assert mine("delivery.on_time_rate", "R1").numerator == 1


def test_the_per_person_computation_costs_the_same_queries_for_ten_couriers_or_forty(
    people,
):
    def credited(count: int, prefix: str, promised: str) -> None:
        for n in range(count):
            EmployeeFactory(employee_number=f"{prefix}{n}")
        rows = [shipment(promised, promised, courier=f"{prefix}{n}") for n in range(count)]
        shipments(*rows)

    credited(10, "X", "2026-03-10")
    credited(40, "Y", "2026-04-10")
    with CaptureQueriesContext(connection) as ten:
        services.kpi_results_compute(period="2026-03", as_of=AS_OF)
    with CaptureQueriesContext(connection) as forty:
        services.kpi_results_compute(period="2026-04", as_of=dt.date(2026, 5, 1))

    def reads(context) -> int:  # the writes are batched (SQLite's batches are smaller)
        return sum(not q["sql"].startswith("INSERT") for q in context.captured_queries)

    assert reads(forty) == reads(ten)
    assert len(forty) <= len(ten) + 2
    couriers = KPIResult.objects.filter(scope="employee", kpi__code="delivery.on_time_rate")
    assert couriers.filter(period="2026-03").count() == 10
    assert couriers.filter(period="2026-04").count() == 40


def test_a_month_crediting_no_picker_or_packer_reads_its_shipments_once_for_people(people):
    shipments(shipment("2026-03-10", "2026-03-09", courier="R1"))
    with CaptureQueriesContext(connection) as none_credited:
        services.kpi_results_compute(period="2026-03", as_of=AS_OF)
    shipments(shipment("2026-04-10", "2026-04-09", courier="R1", packer="K1"))
    with CaptureQueriesContext(connection) as a_packer:
        services.kpi_results_compute(period="2026-04", as_of=dt.date(2026, 5, 1))

    def grouped_by(context, column: str) -> int:  # the grouped column comes first
        select = f'SELECT "records_shipment"."{column}" AS '
        return sum(q["sql"].startswith(select) for q in context.captured_queries)

    assert [grouped_by(none_credited, c) for c in ("courier_id", "picker_id", "packer_id")] == [
        1, 0, 0
    ]  # fmt: skip
    assert [grouped_by(a_packer, c) for c in ("courier_id", "picker_id", "packer_id")] == [1, 0, 1]
    assert mine("delivery.late.warehouse.packing", "K1", "2026-04").denominator == 1
