"""The one loader behind the three doors (``load_records`` command, admin upload task, bulk API).

A file or request becomes batches of raw cells (:mod:`.reading`), every batch passes through the
record's rules (:mod:`apps.records.rules`: types, ranges, checks between cells, derived columns,
all on whole columns), and the accepted rows go to the database's one writer (:mod:`.writing`).
The same rules, the same stored rows and the same report whatever the door.

The whole load is one transaction: a refused file, an error or a killed process leaves nothing
half-written; loading the same rows again changes nothing (idempotent on the source's record
id). Within one load the first occurrence of a record id wins; later repeats are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow.compute as pc
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.departments.models import Department, Employee
from apps.kpis.services.writers import NumbersWriter
from cxoffice.errors import ApplicationError, RowError, RowsError

from .. import rules
from ..fields import FIELDS, PEOPLE
from ..models import Carrier, LoadDoor, LoadJob, LoadStatus, RecordKind, RecordMapping, Warehouse
from ..tables import Mapper, Reread, Table, open_table, table_from_rows
from .writing import Repeated, writer_for

__all__ = ["Table", "open_table", "table_from_rows"]

Progress = Callable[[int, int], None]
ERRORS_KEPT = 1000  # refused rows listed in a report (all are counted)
MAX_API_ROWS = 100_000


@dataclass
class LoadReport:
    """What a load did. ``skipped``: rows that changed nothing (same as stored) or repeated a
    record id seen earlier in the file; ``rejected``: bad rows left out (``--skip-bad-rows``).
    ``errors``: the first :data:`ERRORS_KEPT` refused rows as ``{row, column, detail, code}``
    (``row`` counts data rows from 1; ``None`` for the header)."""

    read: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    errors: list[dict] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.read - self.rejected - self.created - self.updated

    def as_dict(self) -> dict:
        return {
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "errors": self.errors,
        }


def mapping_check_kind(*, kind: str, mapping: RecordMapping | None) -> None:
    """A saved column mapping reads one kind of records: using it for another is refused."""
    if mapping is not None and mapping.kind != kind:
        raise ApplicationError(
            _("The mapping “%(name)s” is for %(kind)s.")
            % {"name": mapping.name, "kind": mapping.get_kind_display()},
            field="mapping",
            code="wrong_kind",
        )


def _context(kind: str, mapping: RecordMapping | None, load_job_id, user) -> rules.Context:
    """What the rules need from the database: the codes records name (once per load, so a
    million rows cost a fixed number of queries) and who loads. Records feed the KPIs of their
    department, so a data steward loads only for the departments they steward, and records
    without one (company numbers) need the company permission."""
    refs = {"department": dict(Department.objects.values_list("code", "id"))}
    if kind == RecordKind.SHIPMENTS:
        refs["warehouse"] = dict(Warehouse.objects.values_list("code", "id"))
        refs["carrier"] = dict(Carrier.objects.values_list("code", "id"))
    credited = [name for name in PEOPLE if name in FIELDS[kind]]
    if credited:  # one query and one mapping for all of a kind's people (ex-employees too)
        people = dict(Employee.objects.values_list("employee_number", "id"))
        refs.update(dict.fromkeys(credited, people))
    stewarded, company = None, True
    writer = NumbersWriter.for_user(user) if user is not None else None
    if writer is not None and not writer.everything:
        stewarded, company = frozenset(writer.departments), writer.company
    zone = (mapping.time_zone if mapping else "") or settings.TIME_ZONE
    if not rules.zone_known(zone):  # (a mapping saved before the check)
        raise ApplicationError(
            _("Unknown time zone “%(zone)s”.") % {"zone": zone}, field="time_zone", code="invalid"
        )
    return rules.Context(
        kind=kind,
        refs=refs,
        zone=zone,
        date_format=mapping.date_format if mapping else "",
        default_source_system=str((mapping.constants or {}).get("source_system", ""))
        if mapping
        else "",
        load_job_id=load_job_id,
        stewarded=stewarded,
        company=company,
    )


def records_load(
    *,
    kind: str,
    table: Table,
    mapping: RecordMapping | None = None,
    skip_bad_rows: bool = False,
    load_job_id: int | None = None,
    progress: Progress | None = None,
    user=None,
) -> LoadReport:
    """Load one table of records, all or nothing.

    A bad row (unknown code, bad timestamp, score outside the scale, delivered before ordered …)
    refuses the whole table with :class:`RowsError` listing every bad row by number and column
    (the first :data:`ERRORS_KEPT`), unless ``skip_bad_rows``, which leaves them out and lists
    them in the report. ``user``: who loads (None: an operator's command or the system); a data
    steward's rows must name departments they steward (else refused like any bad row,
    ``not_steward``). ``progress(done, total)`` is called while a ``COPY`` is in flight on this
    thread's database connection: it must not use the database (the task reports to Celery's
    result backend, the command to the terminal).
    """
    kind = RecordKind(kind)
    mapping_check_kind(kind=kind, mapping=mapping)
    mapper = Mapper(kind, table, mapping)
    context = _context(kind, mapping, load_job_id, user)
    straight = True
    while True:
        try:
            with transaction.atomic():
                report = _load(kind, table, mapper, context, skip_bad_rows, progress, straight)
            break
        except Reread:  # a CSV Arrow cannot read as a table: Python's csv reads it
            table.reread()
        except Repeated:  # a record id repeats: through the staging table, first one wins
            straight = False
    if progress:
        done, total = table.position()
        progress(total or done, total or done)
    return report


def _load(kind, table: Table, mapper: Mapper, context, skip_bad_rows, progress, straight):
    report = LoadReport()
    unwritten = rules.always_null(kind, mapper.given(), context)
    with writer_for(
        kind, rows_expected=table.rows_expected, straight=straight, unwritten=unwritten
    ) as writer:
        for raw in table.batches():
            checked = rules.check(mapper.cells(raw), context, keep=ERRORS_KEPT - len(report.errors))
            report.errors.extend(
                {"row": report.read + r.index + 1, "column": mapper.column(r.field),
                 "detail": r.message, "code": r.code}
                for r in checked.refusals
            )  # fmt: skip
            report.rejected += checked.rejected
            if len(checked.accepted) and (skip_bad_rows or not report.rejected):
                writer.write(checked.columns, pc.add(checked.accepted, report.read + 1))
            report.read += raw.size
            if progress:
                progress(*table.position())
        if report.rejected and not skip_bad_rows:
            error = RowsError(
                [RowError(e["row"] - 1, e["column"], e["detail"], e["code"]) for e in report.errors]
            )
            error.report = report
            raise error
        report.created, report.updated = writer.finish()
    return report


# --- jobs (the history of loads) ------------------------------------------------------------
def load_job_start(
    *,
    kind: str,
    door: str,
    user=None,
    file_name: str = "",
    file_path: str = "",
    mapping: RecordMapping | None = None,
    skip_bad_rows: bool = False,
) -> LoadJob:
    """Record a load about to run (committed at once, so the history shows it running)."""
    return LoadJob.objects.create(
        kind=RecordKind(kind),
        door=LoadDoor(door),
        created_by=user if getattr(user, "pk", None) else None,
        file_name=file_name[:255],
        file_path=file_path,
        mapping=mapping,
        skip_bad_rows=skip_bad_rows,
        status=LoadStatus.RUNNING,
    )


def _finish(job: LoadJob, *, status: str, report: dict, message: str = "") -> None:
    job.status = status
    job.report = report
    job.message = message
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "report", "message", "finished_at"])


def load_job_run(*, job: LoadJob, table: Table | None = None, progress: Progress | None = None):
    """Run a recorded load (its file, or ``table`` for the API) and keep its report.

    Refusals are kept on the job and raised again (ApplicationError / RowsError); anything else
    marks the job failed and propagates. Running a job again (a worker was killed, a retry)
    loads the file again from the start: the earlier attempt wrote nothing.
    """
    if job.status != LoadStatus.RUNNING:
        job.status = LoadStatus.RUNNING
        job.save(update_fields=["status"])
    try:
        if table is None:
            table = open_table(job.file_path, job.file_name)
        report = records_load(
            kind=job.kind,
            table=table,
            mapping=job.mapping,
            skip_bad_rows=job.skip_bad_rows,
            load_job_id=job.pk,
            progress=progress,
            user=job.created_by,  # the admin's or API's user; none for the command
        )
    except RowsError as error:
        refused = getattr(error, "report", None) or LoadReport()
        _finish(
            job, status=LoadStatus.REFUSED, report=refused.as_dict(), message=str(error.message)
        )
        raise
    except ApplicationError as error:
        report = {
            "read": 0, "created": 0, "updated": 0, "skipped": 0, "rejected": 0,
            "errors": [{"row": None, "column": error.field, "detail": str(error.message),
                        "code": error.code}],
        }  # fmt: skip
        _finish(job, status=LoadStatus.REFUSED, report=report, message=str(error.message))
        raise
    except Exception as error:
        _finish(job, status=LoadStatus.FAILED, report={}, message=repr(error)[:2000])
        raise
    _finish(job, status=LoadStatus.DONE, report=report.as_dict())
    return report


def records_bulk_load(*, kind: str, rows: Any, user) -> tuple[LoadJob, LoadReport]:
    """The bulk API: a list of row objects keyed by field name, all or nothing."""
    if not isinstance(rows, list):
        raise ApplicationError(
            _("Send a list of records (JSON objects keyed by field name)."),
            field=None,
            code="not_a_list",
        )
    if not rows:
        raise ApplicationError(_("The list is empty."), field=None, code="empty")
    if len(rows) > MAX_API_ROWS:
        raise ApplicationError(
            _("At most %(max)s records per request; load larger files with the command.")
            % {"max": MAX_API_ROWS},
            field=None,
            code="too_many_rows",
        )
    job = load_job_start(kind=kind, door=LoadDoor.API, user=user)
    report = load_job_run(job=job, table=table_from_rows(rows))
    return job, report
