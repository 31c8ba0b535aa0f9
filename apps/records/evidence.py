"""The records behind one person's number (SPEC §5): the drill-down that ends disputes.

"Your on-time rate was 91.3 % = 1,204 of 1,319 deliveries; these 115 were late." For each KPI
the calculators write per credited person (``services.computing.PERSON_KPIS``), the records it
counted for that person and period, picked by the very tests the calculators count with
(:func:`apps.records.selectors.delivery_conditions` and the ticket and survey filters), and the
ones that count against them: late deliveries with the stages their delay was spent in, failed
first attempts, tickets that needed more than one contact, unsatisfied answers; for the
durations (first response, resolution) every ticket, slowest first.

Two queries whatever the number of records (the count of those counted, then the page the
caller paginates).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.kpis.periods import Period

from . import selectors
from .models import Shipment, Stage, SupportTicket, SurveyResponse, SurveyType

SHIPMENTS, TICKETS, SURVEY_RESPONSES = "shipments", "tickets", "survey_responses"


@dataclass(frozen=True)
class Evidence:
    """``records``: those counting against the person (durations: all, slowest first), in the
    order to read them; ``counted``: how many records the number counted (its denominator or
    sample), as the records stand now."""

    kind: str
    measure: str  # late | first_attempt | stage | fcr | first_response | resolution | csat
    records: QuerySet
    counted: int
    standards: dict[str, Decimal]

    @property
    def all_listed(self) -> bool:
        """A duration: every counted record is listed (slowest first), not only some."""
        return self.measure in ("first_response", "resolution")


def _shipments(code: str, column: str, person: int, period: Period, as_of: dt.date):
    standards = selectors.stage_standards()
    tests = selectors.delivery_conditions(as_of, standards)
    base = selectors.shipments_of(period).filter(**{column: person})
    if code == "delivery.first_attempt_success_rate":
        measure, counted, against = (
            "first_attempt",
            tests["attempted"],
            tests["first_attempt_failed"],
        )
    elif code == "delivery.on_time_rate":
        measure, counted, against = "late", tests["due"], tests["late"]
    else:  # a stage's share of late orders: late, and late in the person's stage
        stage = Stage.PICKING if column == "picker_id" else Stage.PACKING
        measure, counted, against = "stage", tests["due"], tests["late"] & tests[f"stage:{stage}"]
    records = base.filter(against).order_by("promised_on", "id")
    return Evidence(SHIPMENTS, measure, records, base.filter(counted).count(), standards)


def _tickets(code: str, person: int, period: Period):
    start, end = selectors.period_bounds(period)
    base = SupportTicket.objects.filter(agent_id=person)
    if code == "service.first_response_time":
        counted = base.filter(
            opened_at__gte=start, opened_at__lt=end, first_response_seconds__isnull=False
        )
        records = counted.order_by("-first_response_seconds", "id")
        return Evidence(TICKETS, "first_response", records, counted.count(), {})
    resolved = base.filter(resolved_at__gte=start, resolved_at__lt=end)
    if code == "service.resolution_time":
        counted = resolved.filter(resolution_seconds__isnull=False)
        records = counted.order_by("-resolution_seconds", "id")
        return Evidence(TICKETS, "resolution", records, counted.count(), {})
    counted = resolved.filter(contacts_to_resolve__isnull=False)  # FCR
    records = counted.filter(contacts_to_resolve__gt=1).order_by("resolved_at", "id")
    return Evidence(TICKETS, "fcr", records, counted.count(), {})


def _answers(person: int, period: Period):
    start, end = selectors.period_bounds(period)
    counted = SurveyResponse.objects.filter(
        agent_id=person, survey_type=SurveyType.CSAT, answered_at__gte=start, answered_at__lt=end
    )
    records = counted.filter(score__lt=4).order_by("answered_at", "id")
    return Evidence(SURVEY_RESPONSES, "csat", records, counted.count(), {})


# KPI code → the credited role whose records it counts (SPEC §5).
ROLES = {
    "delivery.on_time_rate": "courier",
    "delivery.first_attempt_success_rate": "courier",
    "delivery.late.warehouse.picking": "picker",
    "delivery.late.warehouse.packing": "packer",
    "service.fcr_rate": "agent",
    "service.first_response_time": "agent",
    "service.resolution_time": "agent",
    "service.csat": "agent",
}


def evidence_for(
    kpi_code: str, employee_id: int, period: Period, *, as_of: dt.date | None = None
) -> Evidence | None:
    """The records behind ``employee_id``'s number of ``kpi_code`` for ``period`` (None: the
    KPI is not one the records credit to a person). ``as_of`` (default today) decides, as for
    the calculators, whether an undelivered order is late or still pending."""
    role = ROLES.get(kpi_code)
    if role is None:
        return None
    if role == "agent":
        if kpi_code == "service.csat":
            return _answers(employee_id, period)
        return _tickets(kpi_code, employee_id, period)
    as_of = as_of or timezone.localdate()
    return _shipments(kpi_code, selectors.CREDITED_BY[role], employee_id, period, as_of)


def _hours(seconds: int | None) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(seconds) / 3600).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def late_stages(shipment: Shipment, standards: dict[str, Decimal]) -> list[str]:
    """The stages a shipment overran (or is stuck in), in the order of the process."""
    return [
        stage
        for stage, column in selectors.STAGE_SECONDS_COLUMN.items()
        if (getattr(shipment, column) or 0) > int(standards[stage] * 3600)
        or shipment.stuck_stage == stage
    ]


def record_rows(evidence: Evidence, records) -> list[dict]:
    """The page's records as the drill-down shows them: what the record is, when it counted,
    and in words why it counts against the person (or its duration)."""
    rows = []
    labels = dict(Stage.choices)
    for record in records:
        row = {
            "id": record.pk,
            "source_record_id": record.source_record_id,
            "order_ref": getattr(record, "order_ref", "") or "",
            "stages": [],
            "hours": None,
            "score": None,
        }
        measure = evidence.measure
        if evidence.kind == SHIPMENTS:
            stages = late_stages(record, evidence.standards)
            row.update(date=record.promised_on, stages=stages)
            if measure == "first_attempt":
                reason = _("not delivered at the first attempt")
            elif record.delivered_on is None:
                reason = _("not delivered; promised for %(promised)s") % {
                    "promised": record.promised_on
                }
            else:
                reason = _("delivered %(days)s days after the promised %(promised)s") % {
                    "days": (record.delivered_on - record.promised_on).days,
                    "promised": record.promised_on,
                }
            if stages and measure != "first_attempt":
                reason += " · " + _("time lost in: %(stages)s") % {
                    "stages": ", ".join(str(labels[s]) for s in stages)
                }
        elif measure == "resolution":
            row.update(date=timezone.localtime(record.resolved_at).date())
            row["hours"] = _hours(record.resolution_seconds)
            reason = _("resolved after %(hours)s hours") % {"hours": row["hours"]}
        elif measure == "first_response":
            row.update(date=timezone.localtime(record.opened_at).date())
            row["hours"] = _hours(record.first_response_seconds)
            reason = _("first reply after %(hours)s hours") % {"hours": row["hours"]}
        elif measure == "fcr":
            row.update(date=timezone.localtime(record.resolved_at).date())
            reason = _("resolved after %(count)s contacts") % {"count": record.contacts_to_resolve}
        else:
            row.update(date=timezone.localtime(record.answered_at).date(), score=record.score)
            reason = _("score %(score)s of 5") % {"score": record.score}
        row["reason"] = reason
        rows.append(row)
    return rows
