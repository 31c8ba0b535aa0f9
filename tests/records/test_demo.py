"""The demo's records need nothing but the repository: a quarter of shipments, tickets and
answers crediting the demo's people, loaded through the loader, their KPIs computed."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from apps.departments import demo as people_demo
from apps.departments.models import Assignment
from apps.kpis.models import KPIResult, Source
from apps.records import demo
from apps.records.models import LoadJob, Shipment, SupportTicket, SurveyResponse

pytestmark = pytest.mark.django_db


def staff(*codes: str) -> set[int]:
    return set(
        Assignment.objects.filter(department__code__in=codes, end_date__isnull=True).values_list(
            "employee_id", flat=True
        )
    )


def test_a_new_machine_gets_a_quarter_of_credited_records_and_their_kpis(clock, settings, tmp_path):
    settings.OLIST_SAMPLE_DIR = str(tmp_path / "no-olist-here")
    clock("2026-08-14 09:00")  # the last complete quarter: 2026-Q2
    call_command("load_catalog", stdout=io.StringIO())
    people_demo.load()

    summary = demo.load()
    assert summary["loaded_files"] == 3
    days = (dt.date(2026, 6, 30) - dt.date(2026, 4, 1)).days + 1
    assert Shipment.objects.count() == days * demo.ORDERS_A_DAY
    assert SupportTicket.objects.count() == days * demo.TICKETS_A_DAY
    assert SurveyResponse.objects.count() == days * demo.ANSWERS_A_DAY
    promised = Shipment.objects.order_by("promised_on").values_list("promised_on", flat=True)
    assert (promised.first(), promised.last()) == (dt.date(2026, 4, 4), dt.date(2026, 7, 3))
    # every record credits the people of its own front line
    assert set(Shipment.objects.values_list("courier_id", flat=True)) <= staff("DIST-N", "DIST-S")
    assert set(Shipment.objects.values_list("picker_id", flat=True)) <= staff("WH")
    assert set(SupportTicket.objects.values_list("agent_id", flat=True)) <= staff("CS")
    assert not Shipment.objects.filter(courier__isnull=True).exists()
    assert set(LoadJob.objects.values_list("status", flat=True)) == {"done"}
    # the record-based KPIs of each month, computed from them
    on_time = KPIResult.objects.filter(
        kpi__code="delivery.on_time_rate", scope="department", department__code="DIST-N"
    )
    months = {r.period: r for r in on_time.filter(source=Source.COMPUTED)}
    assert set(months) == {"2026-04", "2026-05", "2026-06"}
    for result in months.values():
        assert 0.7 < result.numerator / result.denominator < 1  # most on time, some late
    # every order promised in those months is due (the quarter is past), delivered or not
    due = Shipment.objects.filter(department__code="DIST-N", promised_on__lte="2026-06-30")
    assert sum(r.denominator for r in months.values()) == due.count()

    again = demo.load()
    assert again["loaded_files"] == 0
    assert Shipment.objects.count() == days * demo.ORDERS_A_DAY
