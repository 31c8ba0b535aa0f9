"""KPI results computed from the loaded records (source ``computed``), through the kpis
services: for the company and every department with records, or for one department.

Running it again replaces the computed results of that period: values are upserted (history
kept), and computed results the records no longer support (e.g. every answer was removed) are
deleted, so an empty period reads ``null`` — never 0%.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.departments.models import Department, Employee
from apps.kpis import services as kpi_services
from apps.kpis.models import KPI, KPIResult, Source
from apps.kpis.periods import Period, PeriodError
from cxoffice.errors import ApplicationError

from .. import selectors
from ..models import Stage
from ..selectors import COMPANY

LATE_TREE_CODES = {
    Stage.ORDER_PROCESSING: "delivery.late.order_processing",
    Stage.PAYMENT_CONFIRMATION: "delivery.late.payment_confirmation",
    Stage.WAREHOUSE: "delivery.late.warehouse",
    Stage.PICKING: "delivery.late.warehouse.picking",
    Stage.SORTING: "delivery.late.warehouse.sorting",
    Stage.PACKING: "delivery.late.warehouse.packing",
    Stage.DISPATCH: "delivery.late.warehouse.dispatch",
    Stage.CARRIER: "delivery.late.carrier",
}
OTIF_CODE = "delivery.otif_rate"
COMPUTED_CODES = (
    "cx.nps", "service.csat", "cx.ces", "service.first_response_time",
    "service.resolution_time", "service.fcr_rate", "delivery.on_time_rate",
    "delivery.first_attempt_success_rate", "delivery.damage_loss_rate", "delivery.late_rate",
    OTIF_CODE, "cx.perfect_order_rate", *LATE_TREE_CODES.values(),
)  # fmt: skip


# What a credited person's results are (SPEC §5): the KPIs their part of the work moves.
PERSON_KPIS = {
    "courier": ("delivery.on_time_rate", "delivery.first_attempt_success_rate"),
    "picker": (LATE_TREE_CODES[Stage.PICKING],),
    "packer": (LATE_TREE_CODES[Stage.PACKING],),
    "agent": (
        "service.fcr_rate", "service.first_response_time", "service.resolution_time",
        "service.csat",
    ),
}  # fmt: skip


# The counts each role's KPIs are made of (the grouped query counts only these).
PERSON_COUNTS = {
    "courier": ("due", "pending", "on_time", "attempted", "first_attempt_ok"),
    "picker": ("due", f"late_{Stage.PICKING}"),
    "packer": ("due", f"late_{Stage.PACKING}"),
}


def _person_rows(period: Period, as_of: dt.date | None) -> list[dict[str, Any]]:
    """Employee-scope rows for every credited person: one grouped query per KPI family and
    role (couriers, pickers and packers over their shipments; agents over their tickets and
    answers), the same counts as for departments, written by employee id.

    A month crediting no picker (or packer) skips that role's pass: an index lookup tells
    (``selectors.credits_anyone``), not a second and third read of the month's shipments."""
    rows = _delivery_person_rows("courier", period, as_of)
    for role in ("picker", "packer"):
        if selectors.credits_anyone(period, selectors.CREDITED_BY[role]):
            rows += _delivery_person_rows(role, period, as_of)
    by, codes = selectors.CREDITED_BY["agent"], PERSON_KPIS["agent"]
    surveys = selectors.survey_metrics(period, by=by)
    tickets = selectors.ticket_metrics(period, by=by)
    for person in set(surveys) | set(tickets):
        for row in _rows_for(person, surveys.get(person), tickets.get(person), None, codes):
            row.update(scope="employee", employee=person)
            rows.append(row)
    return rows


def _delivery_person_rows(role: str, period: Period, as_of: dt.date | None) -> list[dict]:
    """A role's rows straight from the grouped counts (a hundred thousand couriers: no object
    per person), as :func:`_rows_for` would write them. A month that ended before ``as_of``
    has nothing pending (every order is due), so its couriers' query does not count that."""
    as_of = as_of or timezone.localdate()
    counts = PERSON_COUNTS[role]
    closed = period.end < as_of
    if closed:
        counts = tuple(name for name in counts if name != "pending")
    names, found = selectors.delivery_rows(
        period, as_of=as_of, by=selectors.CREDITED_BY[role], only=counts
    )
    at = {name: index for index, name in enumerate(names)}
    rows: list[dict[str, Any]] = []

    def add(code: str, person: int, numerator: int, denominator: int, note: str = "") -> None:
        if denominator:
            rows.append({"kpi": code, "numerator": numerator, "denominator": denominator,
                         "sample_size": denominator, "note": note, "scope": "employee",
                         "employee": person})  # fmt: skip

    if role == "courier":
        pending = _("%(count)s orders pending")
        due, on_time = at["due"], at["on_time"]
        attempted, first_ok = at["attempted"], at["first_attempt_ok"]
        wait = None if closed else at["pending"]
        for row in found:
            if row[due]:
                waiting = 0 if wait is None else row[wait]
                add("delivery.on_time_rate", row[0], row[on_time], row[due],
                    pending % {"count": waiting})  # fmt: skip
            add("delivery.first_attempt_success_rate", row[0], row[first_ok], row[attempted])
    else:
        stage = Stage.PICKING if role == "picker" else Stage.PACKING
        due, late = at["due"], at[f"late_{stage}"]
        for row in found:
            add(LATE_TREE_CODES[stage], row[0], row[late], row[due])
    return rows


def _interval_note(metric: selectors.SurveyMetric, method: str) -> str:
    parts = [_("%(n)s answers") % {"n": metric.n}]
    if metric.interval is not None:
        parts.append(
            _("95%% interval %(low)s to %(high)s (%(method)s)")
            % {"low": metric.interval.low, "high": metric.interval.high, "method": method}
        )
    if metric.low_sample:
        parts.append(
            _("low sample: fewer than %(minimum)s answers") % {"minimum": selectors.min_sample()}
        )
    return "; ".join(parts)


def _durations_note(d: selectors.Durations, extra: str = "") -> str:
    note = _("median %(median)s h, p90 %(p90)s h, mean %(mean)s h over %(n)s tickets") % {
        "median": d.median,
        "p90": d.p90,
        "mean": d.mean,
        "n": d.n,
    }
    return f"{note}; {extra}" if extra else note


def _rows_for(
    key: object,
    surveys: selectors.SurveyMetrics | None,
    tickets: selectors.TicketMetrics | None,
    delivery: selectors.DeliveryCounts | None,
    codes: tuple[str, ...] | None = None,
) -> list[dict[str, Any]]:
    """The result rows of one holder (``codes``: only those KPIs)."""
    rows: list[dict[str, Any]] = []

    def ratio(code: str, numerator: int, denominator: int, note: str = "") -> None:
        if denominator > 0 and (codes is None or code in codes):
            rows.append(
                {
                    "kpi": code,
                    "numerator": numerator,
                    "denominator": denominator,
                    "sample_size": denominator,
                    "note": note,
                }
            )

    def value(code: str, amount, n: int, note: str = "") -> None:
        if amount is not None and n > 0 and (codes is None or code in codes):
            rows.append({"kpi": code, "value": amount, "sample_size": n, "note": note})

    if surveys is not None:
        value(
            "cx.nps", surveys.nps.value, surveys.nps.n, _interval_note(surveys.nps, "adjusted Wald")
        )
        ratio(
            "service.csat",
            surveys.csat.numerator or 0,
            surveys.csat.n,
            _interval_note(surveys.csat, "Wilson"),
        )
        value("cx.ces", surveys.ces.value, surveys.ces.n, _interval_note(surveys.ces, ""))
    if tickets is not None:
        backlog = _("backlog: %(count)s unanswered") % {"count": tickets.backlog}
        frt = tickets.first_response
        value("service.first_response_time", frt.median, frt.n, _durations_note(frt, backlog))
        resolution = tickets.resolution
        value(
            "service.resolution_time",
            resolution.mean,
            resolution.n,
            _durations_note(resolution),
        )
        ratio("service.fcr_rate", tickets.fcr_first_contact, tickets.fcr_resolved)
    if delivery is not None and delivery.due > 0:
        pending = _("%(count)s orders pending") % {"count": delivery.pending}
        ratio("delivery.on_time_rate", delivery.on_time, delivery.due, pending)
        ratio("delivery.first_attempt_success_rate", delivery.first_attempt_ok, delivery.attempted)
        ratio("delivery.damage_loss_rate", delivery.damaged_or_lost, delivery.damage_known)
        ratio("delivery.late_rate", delivery.late, delivery.due, pending)
        ratio(OTIF_CODE, delivery.otif, delivery.fill_known)
        ratio("cx.perfect_order_rate", delivery.perfect, delivery.perfect_known)
        for stage, code in LATE_TREE_CODES.items():
            ratio(code, delivery.late_by_stage[stage], delivery.due)
    return rows


@transaction.atomic
def kpi_results_compute(
    *,
    period: str,
    department: Department | None = None,
    user=None,
    as_of: dt.date | None = None,
) -> dict[str, Any]:
    """Compute and write every record-based KPI of ``period`` (company + each department with
    records + each person the records credit, or only ``department``). ``user`` None is the
    system (scheduled computation); a person must be allowed to write those numbers (data
    stewards: their departments).

    Results entered or imported by people for the same KPI, holder and period are kept, not
    overwritten (``kept`` counts them).

    Returns ``{"period", "results", "created", "updated", "unchanged", "removed", "kept"}``.
    """
    try:
        parsed = Period.parse(period)
    except PeriodError as error:
        raise ApplicationError(str(error), field="period", code="invalid_period") from error
    department_ids = None if department is None else {department.pk}
    surveys = selectors.survey_metrics(parsed, department_ids=department_ids)
    tickets = selectors.ticket_metrics(parsed, department_ids=department_ids)
    delivery = selectors.delivery_metrics(parsed, department_ids=department_ids, as_of=as_of)
    holders = set(surveys) | set(tickets) | set(delivery)
    codes = dict(Department.objects.filter(pk__in=holders - {COMPANY}).values_list("pk", "code"))
    known = set(KPI.objects.filter(code__in=COMPUTED_CODES).values_list("code", flat=True))
    rows: list[dict[str, Any]] = []
    for key in holders:
        for row in _rows_for(key, surveys.get(key), tickets.get(key), delivery.get(key)):
            if row["kpi"] not in known:
                continue
            if key == COMPANY:
                row.update(scope="company")
            else:
                row.update(scope="department", department=codes[key])
            row["period"] = parsed.key
            rows.append(row)
    if department is None:  # people are computed with the whole company
        for row in _person_rows(parsed, as_of):
            if row["kpi"] in known:
                rows.append({**row, "period": parsed.key})
    numbers = dict(
        Employee.objects.filter(
            pk__in={r["employee"] for r in rows if "employee" in r}
        ).values_list("pk", "employee_number")
    )
    # (a record may name an employee deleted outside Django: no database constraint checks it)
    rows = [r for r in rows if r["scope"] != "employee" or r["employee"] in numbers]

    def holder(row) -> str | None:
        if row["scope"] == "employee":
            return numbers[row["employee"]]
        return row.get("department")

    # A number someone entered or imported for the same KPI, holder and period stays: the
    # computation does not overwrite people's numbers (delete that result to compute it).
    entered = {
        (code, scope, department_code or employee_number)
        for code, scope, department_code, employee_number in KPIResult.objects.filter(
            kpi__code__in=COMPUTED_CODES, period=parsed.key
        )
        .exclude(source=Source.COMPUTED)
        .values_list("kpi__code", "scope", "department__code", "employee__employee_number")
    }
    kept = [r for r in rows if (r["kpi"], r["scope"], holder(r)) in entered]
    rows = [r for r in rows if (r["kpi"], r["scope"], holder(r)) not in entered]

    stale = KPIResult.objects.filter(
        kpi__code__in=COMPUTED_CODES, period=parsed.key, source=Source.COMPUTED
    ).select_related("kpi", "department", "employee")
    if department is not None:
        stale = stale.filter(scope="department", department=department)
    written = {(row["kpi"], row["scope"], holder(row)) for row in rows}
    removed = 0
    for result in stale:
        held = (
            result.department.code
            if result.department_id
            else result.employee.employee_number
            if result.employee_id
            else None
        )
        if (result.kpi.code, result.scope, held) not in written:
            kpi_services.kpi_result_delete(user=user, result=result)
            removed += 1
    summary = (
        kpi_services.kpi_results_bulk_upsert(user=user, rows=rows, source=Source.COMPUTED)
        if rows
        else {"created": 0, "updated": 0, "unchanged": 0}
    )
    return {
        "period": parsed.key,
        "results": len(rows),
        **summary,
        "removed": removed,
        "kept": len(kept),
    }
