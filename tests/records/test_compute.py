"""Computing KPI results from records: written through the kpis services (source computed,
numerator / denominator / sample size), re-running replaces them, per department, the command,
the tasks and the stewards' limits."""

import io

import pytest
from django.core.management import CommandError, call_command

from apps.departments import roles
from apps.departments.models import Department
from apps.kpis import services as kpi_services
from apps.kpis.models import KPI, KPIResult
from apps.records import services, tasks
from cxoffice.errors import ApplicationError, RowsError

from .factories import shipment, shipments, survey, surveys

pytestmark = pytest.mark.django_db


def result(code: str, department: str | None = None, period: str = "2026-03") -> KPIResult:
    query = KPIResult.objects.filter(kpi__code=code, period=period)
    if department:
        return query.get(scope="department", department__code=department)
    return query.get(scope="company")


def test_results_for_company_and_departments(catalog):
    shipments(
        shipment("2026-03-10", "2026-03-09", department="DIST"),
        shipment("2026-03-10", "2026-03-12", department="DIST"),
        shipment("2026-03-10", "2026-03-10"),
    )
    surveys(survey("csat", 5, department="CS"), survey("csat", 2, department="CS"))
    summary = services.kpi_results_compute(period="2026-03")
    assert summary["created"] == summary["results"] > 0
    company = result("delivery.on_time_rate")
    assert (company.numerator, company.denominator, company.sample_size) == (2, 3, 3)
    assert company.source == "computed"
    dist = result("delivery.on_time_rate", "DIST")
    assert (dist.numerator, dist.denominator) == (1, 2)
    assert result("delivery.late_rate", "DIST").value == 50
    csat = result("service.csat", "CS")
    assert (csat.numerator, csat.denominator, csat.value) == (1, 2, 50)
    assert "low sample" in csat.note
    assert "Wilson" in csat.note
    # No answers at all for NPS: no result (the KPI reads null, never 0).
    assert not KPIResult.objects.filter(kpi__code="cx.nps").exists()


def test_rerunning_replaces_and_removes(catalog):
    surveys(survey("nps", 10, source_record_id="s1", source_system="crm"))
    services.kpi_results_compute(period="2026-03")
    assert result("cx.nps").value == 100
    # The answer is corrected: it belongs to April, and March has no answers any more.
    surveys(survey("nps", 3, "2026-04-02", source_record_id="s1", source_system="crm"))
    summary = services.kpi_results_compute(period="2026-03")
    assert summary["removed"] == 1
    assert not KPIResult.objects.filter(kpi__code="cx.nps", period="2026-03").exists()
    services.kpi_results_compute(period="2026-04")
    assert result("cx.nps", period="2026-04").value == -100


def test_a_number_entered_by_a_person_is_kept_not_overwritten(catalog):
    shipments(shipment("2026-03-10", "2026-03-09"), shipment("2026-03-10", "2026-03-12"))
    kpi_services.kpi_result_upsert(
        user=None, kpi=KPI.objects.get(code="delivery.on_time_rate"), scope="company",
        period="2026-03", value=90, note="typed by the steward",
    )  # fmt: skip
    summary = services.kpi_results_compute(period="2026-03")
    assert summary["kept"] == 1
    typed = result("delivery.on_time_rate")
    assert (typed.value, typed.source, typed.note) == (90, "manual", "typed by the steward")
    assert result("delivery.late_rate").value == 50  # the others are computed
    out = io.StringIO()
    call_command("compute_kpis", "2026-03", stdout=out)
    assert "kept 1 entered by people" in out.getvalue()


def test_one_department_only(catalog):
    shipments(shipment("2026-03-10", "2026-03-09", department="DIST"), shipment("2026-03-10"))
    services.kpi_results_compute(period="2026-03", department=Department.objects.get(code="DIST"))
    assert KPIResult.objects.filter(scope="company").count() == 0
    assert result("delivery.on_time_rate", "DIST").value == 100


def test_bad_period_names_the_field(catalog):
    with pytest.raises(ApplicationError) as refused:
        services.kpi_results_compute(period="2026-13")
    assert refused.value.field == "period"


def test_a_steward_computes_only_their_departments(catalog, make_user):
    shipments(shipment("2026-03-10", "2026-03-09", department="DIST"))
    steward = make_user(roles.DATA_STEWARD)
    Department.objects.get(code="CS").stewards.add(steward)
    with pytest.raises(RowsError) as refused:
        services.kpi_results_compute(
            period="2026-03", department=Department.objects.get(code="DIST"), user=steward
        )
    assert refused.value.status_code == 403
    assert not KPIResult.objects.exists()


def test_command_and_tasks(catalog):
    shipments(shipment("2026-03-10", "2026-03-09"))
    out = io.StringIO()
    call_command("compute_kpis", "2026-03", stdout=out)
    assert "2026-03:" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("compute_kpis", "2026-3x")
    with pytest.raises(CommandError):
        call_command("compute_kpis", "2026-03", "--department", "NOPE")
    summary = tasks.compute_kpis.delay("2026-03").get()
    assert summary["unchanged"] == summary["results"]
    assert tasks.compute_last_week.delay().get()["period"].count("-W") == 1
