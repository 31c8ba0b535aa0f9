"""Reads of the records app: record lists, and the KPI calculators of SPEC §5.

Every calculator is a fixed number of SQL aggregates over indexed columns — grouped by
department, the company being the sum of the groups (records without a department included) —
never a loop over records in Python. Medians and p90 come from window functions
(``ROW_NUMBER`` / ``COUNT`` over the ordered durations) that SQLite ≥ 3.25 and PostgreSQL both
run, so they are recomputed from raw durations for every period, never averaged.

Periods: survey answers by ``answered_at`` and tickets by ``opened_at`` (first response, backlog)
or ``resolved_at`` (resolution time, FCR), from 00:00 of the first day to 00:00 after the last,
in the server's time zone; shipments by their promised date (a local date, see the models).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.kpis.models import min_sample
from apps.kpis.periods import Period

from . import calculations as calc
from .models import (
    WAREHOUSE_STAGES,
    Carrier,
    CesScale,
    Shipment,
    ShipmentStatus,
    Stage,
    StageStandard,
    SupportTicket,
    SurveyResponse,
    SurveyType,
    Warehouse,
)

COMPANY = "company"  # the key of company-wide figures in the calculators' answers
DEFAULT_STAGE_HOURS = {
    Stage.PAYMENT_CONFIRMATION: Decimal(24),
    Stage.ORDER_PROCESSING: Decimal(24),
    Stage.WAREHOUSE: Decimal(72),
    Stage.PICKING: Decimal(8),
    Stage.SORTING: Decimal(4),
    Stage.PACKING: Decimal(4),
    Stage.DISPATCH: Decimal(12),
    Stage.CARRIER: Decimal(120),
}
STAGE_SECONDS_COLUMN = {
    Stage.PAYMENT_CONFIRMATION: "payment_seconds",
    Stage.ORDER_PROCESSING: "processing_seconds",
    Stage.WAREHOUSE: "warehouse_seconds",
    Stage.PICKING: "picking_seconds",
    Stage.SORTING: "sorting_seconds",
    Stage.PACKING: "packing_seconds",
    Stage.DISPATCH: "dispatch_seconds",
    Stage.CARRIER: "carrier_seconds",
}


def _rows(condition: Q) -> Count:
    """The rows meeting ``condition``: ``COUNT(1) FILTER (WHERE …)``, which counts without
    reading a column (``COUNT(id)`` reads and tests the id of every row for every count)."""
    return Count(Value(1), filter=condition)


BY_DEPARTMENT = "department_id"
# The people a record credits (SPEC §5), as the columns the calculators group them by.
CREDITED_BY = {
    "courier": "courier_id",
    "picker": "picker_id",
    "packer": "packer_id",
    "agent": "agent_id",
}


# --- lists -----------------------------------------------------------------------------------
def survey_response_list() -> QuerySet[SurveyResponse]:
    return SurveyResponse.objects.select_related("department")


def ticket_list() -> QuerySet[SupportTicket]:
    return SupportTicket.objects.select_related("department")


def shipment_list() -> QuerySet[Shipment]:
    return Shipment.objects.select_related("department", "warehouse", "carrier")


def stage_standards() -> dict[str, Decimal]:
    """Standard hours per stage: the configured ones, the defaults for the rest."""
    hours = dict(DEFAULT_STAGE_HOURS)
    hours.update(dict(StageStandard.objects.values_list("stage", "hours")))
    return hours


def period_bounds(period: Period) -> tuple:
    """[start, end) of the period as aware datetimes in the server's zone, ready as SQL
    parameters on either database."""
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(period.start, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start, end


def _sql_dt(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _department_filter(department_ids: set[int] | None) -> Q:
    return Q() if department_ids is None else Q(department_id__in=department_ids)


def _sum_groups(groups: dict, keys: list[str]) -> dict:
    total = dict.fromkeys(keys, 0)
    for values in groups.values():
        for key in keys:
            total[key] += values[key] or 0
    return total


# --- surveys ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SurveyMetric:
    """One survey KPI for one holder: ``value`` None when nobody answered."""

    n: int
    value: Decimal | None
    interval: calc.Interval | None = None
    numerator: int | None = None  # satisfied answers (CSAT)
    low_sample: bool = True


@dataclass(frozen=True)
class SurveyMetrics:
    nps: SurveyMetric
    csat: SurveyMetric
    ces: SurveyMetric


def survey_metrics(
    period: Period, *, department_ids: set[int] | None = None, by: str = BY_DEPARTMENT
) -> dict[object, SurveyMetrics]:
    """NPS, CSAT and CES (the 1–7 "made it easy" answers only) per department id and for
    :data:`COMPANY` (``by="agent_id"``: per credited agent, no total), in one grouped query.
    NPS = %9–10 − %0–6 with an adjusted-Wald interval; CSAT = % of 4–5 answers with a Wilson
    interval; CES = mean score. Low sample: fewer than :func:`min_sample` answers."""
    start, end = period_bounds(period)
    rows = (
        SurveyResponse.objects.filter(
            _department_filter(department_ids), answered_at__gte=start, answered_at__lt=end
        )
        .values(by)
        .annotate(
            nps_n=_rows(Q(survey_type=SurveyType.NPS)),
            promoters=_rows(Q(survey_type=SurveyType.NPS, score__gte=9)),
            detractors=_rows(Q(survey_type=SurveyType.NPS, score__lte=6)),
            csat_n=_rows(Q(survey_type=SurveyType.CSAT)),
            satisfied=_rows(Q(survey_type=SurveyType.CSAT, score__gte=4)),
            ces_n=_rows(Q(survey_type=SurveyType.CES, scale=CesScale.EASY_1_7)),
            ces_sum=Sum("score", filter=Q(survey_type=SurveyType.CES, scale=CesScale.EASY_1_7)),
        )
        .order_by()
    )
    keys = ["nps_n", "promoters", "detractors", "csat_n", "satisfied", "ces_n", "ces_sum"]
    groups = {row[by]: row for row in rows}
    answer: dict[object, SurveyMetrics] = {
        key: _survey_metrics(values) for key, values in groups.items() if key is not None
    }
    if department_ids is None and by == BY_DEPARTMENT:
        answer[COMPANY] = _survey_metrics(_sum_groups(groups, keys))
    return answer


def _survey_metrics(c: dict) -> SurveyMetrics:
    minimum = min_sample()
    n_nps, n_csat, n_ces = c["nps_n"], c["csat_n"], c["ces_n"]
    return SurveyMetrics(
        nps=SurveyMetric(
            n=n_nps,
            value=calc.nps(c["promoters"], c["detractors"], n_nps),
            interval=calc.nps_adjusted_wald(c["promoters"], c["detractors"], n_nps),
            low_sample=n_nps < minimum,
        ),
        csat=SurveyMetric(
            n=n_csat,
            value=calc.percent(c["satisfied"], n_csat),
            interval=calc.wilson_interval(c["satisfied"], n_csat),
            numerator=c["satisfied"],
            low_sample=n_csat < minimum,
        ),
        ces=SurveyMetric(
            n=n_ces, value=calc.mean(c["ces_sum"] or 0, n_ces), low_sample=n_ces < minimum
        ),
    )


# --- tickets ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Durations:
    """Hours: median, p90 (nearest rank) and mean over ``n`` durations; None when n = 0."""

    n: int = 0
    median: Decimal | None = None
    p90: Decimal | None = None
    mean: Decimal | None = None


@dataclass(frozen=True)
class TicketMetrics:
    opened: int = 0
    backlog: int = 0  # opened in the period and not answered yet: reported, never dropped
    first_response: Durations = field(default_factory=Durations)
    resolved: int = 0
    resolution: Durations = field(default_factory=Durations)
    fcr_resolved: int = 0  # resolved tickets whose contact count is known
    fcr_first_contact: int = 0
    fcr_rate: Decimal | None = None


def _percentiles(
    column: str, time_column: str, start, end, *, by: str | None, department_ids
) -> dict:
    """{group: (n, median seconds, p90 seconds, total seconds)} in one window query; groups
    by the column ``by`` (None: the company)."""
    qn = connection.ops.quote_name
    table = qn(SupportTicket._meta.db_table)
    partition = qn(by) if by else "0"
    params: list = [_sql_dt(start), _sql_dt(end)]
    department_sql = ""
    if department_ids is not None:
        if not department_ids:
            return {}
        department_sql = (
            f" AND {qn('department_id')} IN ({', '.join(['%s'] * len(department_ids))})"
        )
        params.extend(sorted(department_ids))
    person_sql = f" AND {qn(by)} IS NOT NULL" if by and by != BY_DEPARTMENT else ""
    sql = (
        "SELECT grp, n, "  # noqa: S608 - identifiers only; values are parameters
        "AVG(CASE WHEN rn IN ((n + 1) / 2, (n + 2) / 2) THEN v END), "
        "MAX(CASE WHEN rn = (9 * n + 9) / 10 THEN v END), SUM(v) "
        f"FROM (SELECT {partition} AS grp, {qn(column)} AS v, "
        f"ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY {qn(column)}) AS rn, "
        f"COUNT(*) OVER (PARTITION BY {partition}) AS n FROM {table} "
        f"WHERE {qn(time_column)} >= %s AND {qn(time_column)} < %s "
        f"AND {qn(column)} IS NOT NULL{department_sql}{person_sql}) ranked GROUP BY grp, n"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            (grp if by else COMPANY): (
                int(n),
                Decimal(str(median)),
                Decimal(str(p90)),
                Decimal(str(total)),
            )
            for grp, n, median, p90, total in cursor.fetchall()
        }


def _durations(found: tuple | None) -> Durations:
    if not found:
        return Durations()
    n, median, p90, total = found
    return Durations(
        n=n, median=calc.hours(median), p90=calc.hours(p90), mean=calc.hours(total / n)
    )


def ticket_metrics(
    period: Period, *, department_ids: set[int] | None = None, by: str = BY_DEPARTMENT
) -> dict[object, TicketMetrics]:
    """First response time (tickets opened in the period, to the first human reply), the
    backlog of unanswered ones, resolution time and FCR (tickets resolved in the period; FCR =
    resolved with one contact / resolved with a known contact count), per department id and
    for :data:`COMPANY` (``by="agent_id"``: per credited agent, no total). Five queries
    whatever the number of tickets, departments and agents."""
    start, end = period_bounds(period)
    base = SupportTicket.objects.filter(_department_filter(department_ids))
    opened_in = Q(opened_at__gte=start, opened_at__lt=end)
    resolved_in = Q(resolved_at__gte=start, resolved_at__lt=end)
    rows = (
        base.filter(opened_in | resolved_in)
        .values(by)
        .annotate(
            opened=_rows(opened_in),
            backlog=_rows(opened_in & Q(first_response_at__isnull=True)),
            resolved=_rows(resolved_in),
            fcr_resolved=_rows(resolved_in & Q(contacts_to_resolve__isnull=False)),
            fcr_first=_rows(resolved_in & Q(contacts_to_resolve=1)),
        )
        .order_by()
    )
    groups = {row[by]: row for row in rows}
    keys = ["opened", "backlog", "resolved", "fcr_resolved", "fcr_first"]
    counts = {k: v for k, v in groups.items() if k is not None}
    company = department_ids is None and by == BY_DEPARTMENT
    if company:
        counts[COMPANY] = _sum_groups(groups, keys)
    percentiles = {}
    for name, column, time_column in (
        ("frt", "first_response_seconds", "opened_at"),
        ("resolution", "resolution_seconds", "resolved_at"),
    ):
        found = _percentiles(column, time_column, start, end, by=by, department_ids=department_ids)
        if company:
            found.update(
                _percentiles(column, time_column, start, end, by=None, department_ids=None)
            )
        percentiles[name] = found
    return {
        key: TicketMetrics(
            opened=c["opened"],
            backlog=c["backlog"],
            first_response=_durations(percentiles["frt"].get(key)),
            resolved=c["resolved"],
            resolution=_durations(percentiles["resolution"].get(key)),
            fcr_resolved=c["fcr_resolved"],
            fcr_first_contact=c["fcr_first"],
            fcr_rate=calc.percent(c["fcr_first"], c["fcr_resolved"]),
        )
        for key, c in counts.items()
    }


# --- shipments -------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeliveryCounts:
    """Counts of one holder's shipments promised in the period (cancelled ones left out).
    ``due``: delivered, or not delivered with the promised date passed; ``pending``: not
    delivered, promised date today or later (left out of every rate). ``late_by_stage``: late
    orders whose delay was spent in each stage (an order may count in several).

    A rate counts only the due orders whose facts the source reported: ``attempted`` (first
    attempt known), ``damage_known`` (damaged or lost known), ``fill_known`` (items ordered and
    delivered known: OTIF), ``perfect_known`` (both; documents count as right unless reported
    wrong). An export without those columns gives no such rate (null), never 0% or 100%."""

    due: int = 0
    pending: int = 0
    on_time: int = 0
    late: int = 0
    attempted: int = 0
    first_attempt_ok: int = 0
    damage_known: int = 0
    damaged_or_lost: int = 0
    fill_known: int = 0
    otif: int = 0
    perfect_known: int = 0
    perfect: int = 0
    late_by_stage: dict[str, int] = field(default_factory=dict)


def delivery_conditions(as_of: dt.date, standards: dict[str, Decimal]) -> dict[str, Q]:
    """The shipment tests the delivery KPIs count with (see :class:`DeliveryCounts`), by the
    name of the count; ``stage:<stage>`` is "its delay was spent in that stage". The same tests
    pick the records behind a number (``apps.records.evidence``)."""
    # Each condition is written as the database tests it fastest, without negations (Django
    # guards a negated test of a nullable column with IS NOT NULL): a month of shipments is
    # tested against these for every one of its rows.
    delivered = Q(delivered_on__isnull=False)
    due = delivered | Q(promised_on__lt=as_of)
    pending = Q(delivered_on__isnull=True, promised_on__gte=as_of)  # not due
    on_time = Q(delivered_on__lte=F("promised_on"))
    # Due and not on time: delivered after the promised date, or not delivered and past it.
    late = Q(delivered_on__gt=F("promised_on")) | Q(
        delivered_on__isnull=True, promised_on__lt=as_of
    )
    fill_known = Q(items_ordered__isnull=False, items_delivered__isnull=False)
    in_full = fill_known & Q(items_delivered__gte=F("items_ordered"))
    damage_known = Q(damaged__isnull=False) | Q(lost__isnull=False)
    damaged_or_lost = Q(damaged=True) | Q(lost=True)
    # Known, and neither damaged nor lost (an unknown one of the two is not held against it).
    undamaged = (
        (Q(damaged=False) | Q(damaged__isnull=True))
        & (Q(lost=False) | Q(lost__isnull=True))
        & (Q(damaged=False) | Q(lost=False))
    )
    documents = Q(documents_ok=True) | Q(documents_ok__isnull=True)  # unknown counts as right

    def overran(stage: str) -> Q:
        seconds = int(standards[stage] * 3600)
        return Q(**{f"{STAGE_SECONDS_COLUMN[stage]}__gt": seconds}) | Q(stuck_stage=stage)

    stage_q = {stage: overran(stage) for stage in STAGE_SECONDS_COLUMN}
    stage_q[Stage.WAREHOUSE] = stage_q[Stage.WAREHOUSE] | Q(
        *[stage_q[s] for s in WAREHOUSE_STAGES], _connector=Q.OR
    )
    conditions = {
        "due": due,
        "pending": pending,
        "on_time": on_time,
        "late": late,
        "attempted": delivered & Q(first_attempt_ok__isnull=False),
        "first_attempt_ok": delivered & Q(first_attempt_ok=True),
        "first_attempt_failed": delivered & Q(first_attempt_ok=False),
        "damage_known": due & damage_known,
        "damaged_or_lost": due & damaged_or_lost,
        "fill_known": due & fill_known,
        "otif": on_time & in_full,
        "perfect_known": due & fill_known & damage_known,
        "perfect": on_time & in_full & undamaged & documents,
    }
    for stage, condition in stage_q.items():
        conditions[f"stage:{stage}"] = condition
    return conditions


COUNTED = [name for name in DeliveryCounts.__dataclass_fields__ if name != "late_by_stage"]


def _delivery_annotations(
    as_of: dt.date, standards: dict[str, Decimal], only: tuple[str, ...] | None = None
) -> dict:
    """Every count of :class:`DeliveryCounts` (``late_<stage>`` for the tree), or ``only``
    those named (the others read 0)."""
    conditions = delivery_conditions(as_of, standards)
    annotations = {name: _rows(conditions[name]) for name in COUNTED}
    for stage in STAGE_SECONDS_COLUMN:
        annotations[f"late_{stage}"] = _rows(conditions["late"] & conditions[f"stage:{stage}"])
    if only is not None:
        annotations = {name: count for name, count in annotations.items() if name in only}
    return annotations


def _delivery_counts(row: dict) -> DeliveryCounts:
    return DeliveryCounts(
        **{k: row.get(k) or 0 for k in COUNTED},
        late_by_stage={stage: row.get(f"late_{stage}") or 0 for stage in STAGE_SECONDS_COLUMN},
    )


def shipments_of(period: Period) -> QuerySet[Shipment]:
    return Shipment.objects.filter(
        promised_on__gte=period.start, promised_on__lte=period.end
    ).exclude(status=ShipmentStatus.CANCELLED)


@functools.lru_cache(maxsize=256)
def _delivery_statement(
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
    standards: tuple,
    department_ids: frozenset | None,
    vendor: str,
    by: str,
    only: tuple[str, ...] | None = None,
) -> tuple[str, tuple, list[str]]:
    """The grouped query of :func:`delivery_metrics` (SQL, parameters, column names), built
    once for each set of arguments: putting twenty filtered counts together through the ORM
    costs a twentieth of running them on a month of a million shipments."""
    person = Q() if by == BY_DEPARTMENT else Q(**{f"{by}__isnull": False})
    annotations = _delivery_annotations(as_of, dict(standards), only)
    queryset = (
        Shipment.objects.filter(promised_on__gte=start, promised_on__lte=end)
        .exclude(status=ShipmentStatus.CANCELLED)
        .filter(_department_filter(department_ids), person)
        .values(by)
        .annotate(**annotations)
        .order_by()
    )
    statement, params = queryset.query.sql_with_params()
    names = [*queryset.query.values_select, *queryset.query.annotation_select]
    return statement, tuple(params), names


def delivery_rows(
    period: Period,
    *,
    department_ids: set[int] | None = None,
    as_of: dt.date | None = None,
    by: str = BY_DEPARTMENT,
    only: tuple[str, ...] | None = None,
) -> tuple[list[str], list[tuple]]:
    """The grouped counts of :func:`delivery_metrics` as they come from the database: the
    column names (``by`` first) and one tuple per group — for a hundred thousand couriers,
    cheaper to read than one :class:`DeliveryCounts` each."""
    as_of = as_of or timezone.localdate()
    statement, params, names = _delivery_statement(
        period.start,
        period.end,
        as_of,
        tuple(sorted(stage_standards().items())),
        None if department_ids is None else frozenset(department_ids),
        connection.vendor,
        by,
        only,
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return names, cursor.fetchall()


def credits_anyone(period: Period, column: str) -> bool:
    """Whether one of the period's shipments credits someone in ``column`` (``picker_id`` or
    ``packer_id``): found in that column's partial index of promised dates, which holds only
    the shipments crediting someone there — a month crediting nobody costs a lookup, not a
    read of its shipments."""
    return shipments_of(period).filter(**{f"{column}__isnull": False}).exists()


def delivery_metrics(
    period: Period,
    *,
    department_ids: set[int] | None = None,
    as_of: dt.date | None = None,
    by: str = BY_DEPARTMENT,
    only: tuple[str, ...] | None = None,
) -> dict[object, DeliveryCounts]:
    """On time, first attempt, damage/loss, OTIF, perfect order (each counted jointly per
    order) and the late-delivery tree, per department id and for :data:`COMPANY` (``by``
    ``courier_id``, ``picker_id`` or ``packer_id``: per credited person, no total): one
    grouped query. ``as_of`` (default today) decides whether an undelivered order is late or
    pending. ``only``: just these counts (names of :class:`DeliveryCounts`, ``late_<stage>``
    for the tree; the rest read 0) — a person's KPIs need a few of the twenty."""
    names, rows = delivery_rows(
        period, department_ids=department_ids, as_of=as_of, by=by, only=only
    )
    groups = {row[0]: dict(zip(names, row, strict=True)) for row in rows}
    answer: dict[object, DeliveryCounts] = {
        key: _delivery_counts(row) for key, row in groups.items() if key is not None
    }
    if department_ids is None and groups and by == BY_DEPARTMENT:
        keys = list(next(iter(groups.values())).keys())
        keys.remove(by)
        answer[COMPANY] = _delivery_counts(_sum_groups(groups, keys))
    return answer


@dataclass(frozen=True)
class LateTreeRow:
    key: object
    label: str
    counts: DeliveryCounts


def late_tree(
    period: Period, *, by: str | None = None, as_of: dt.date | None = None
) -> list[LateTreeRow]:
    """The late-delivery tree of a period for the company (``by=None``), or per warehouse or
    per carrier (``by="warehouse"`` / ``"carrier"``; shipments without one are grouped as
    "no warehouse recorded" / "no carrier recorded"): one grouped query plus the names."""
    as_of = as_of or timezone.localdate()
    annotations = _delivery_annotations(as_of, stage_standards())
    queryset = shipments_of(period)
    if by is None:
        row = queryset.aggregate(**annotations)
        return [LateTreeRow(COMPANY, "", _delivery_counts(row))]
    column = {"warehouse": "warehouse_id", "carrier": "carrier_id"}[by]
    model = {"warehouse": Warehouse, "carrier": Carrier}[by]
    names = dict(model.objects.values_list("id", "code"))
    rows = queryset.values(column).annotate(**annotations).order_by(column)
    unknown = _("no warehouse recorded") if by == "warehouse" else _("no carrier recorded")
    return [
        LateTreeRow(row[column], names.get(row[column], unknown), _delivery_counts(row))
        for row in rows
    ]


def loaded_periods_of_shipments() -> list[str]:
    """Months that have shipments counted by the delivery KPIs (by promised date, cancelled
    ones left out), newest first — the chart's choices; the first is its default."""
    months = defaultdict(int)
    counted = Shipment.objects.exclude(status=ShipmentStatus.CANCELLED)
    for day in counted.dates("promised_on", "month", order="DESC")[:36]:
        months[Period.for_date(day, "month").key] += 1
    return list(months)
