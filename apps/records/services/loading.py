"""The one loader behind the three doors (``load_records`` command, admin upload task, bulk API).

Streams the rows (a file is never read whole, so memory stays flat as files grow), checks each
with :class:`~apps.records.fields.RowParser`, and writes set-based:

* PostgreSQL: ``COPY`` into a temporary staging table (psycopg 3's ``cursor.copy``), then one
  ``INSERT … SELECT DISTINCT ON … ON CONFLICT (source_system, source_record_id) DO UPDATE …
  WHERE <something changed>``;
* SQLite: batches of the same upsert through ``executemany``.

A CSV file on PostgreSQL skips the per-row Python: :mod:`.fast_load` copies the raw bytes into a
staging table and checks, converts and upserts in SQL, handing only the rows SQL cannot vouch
for to RowParser — same rules, same stored rows, same report. The first large load of an empty
table reads the file in columns instead (:mod:`.arrow_load`) and copies it straight in. XLSX
files, the bulk API's rows and anything the fast path does not translate take the row-by-row
path above.

The whole load is one transaction: a refused file, an error or a killed process leaves nothing
half-written; loading the same rows again changes nothing (idempotent on the source's record
id). Within one file the first occurrence of a record id wins; later repeats are skipped.
"""

from __future__ import annotations

import csv
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.kpis.services.writers import NumbersWriter
from cxoffice.errors import ApplicationError, RowError, RowsError

from ..fields import BOOKKEEPING_COLUMNS, COLUMNS, FIELDS, MODELS, RowParser
from ..models import LoadDoor, LoadJob, LoadStatus, RecordKind, RecordMapping
from .fast_load import FastLoad, Untranslatable, fast_load_possible

Progress = Callable[[int, int], None]
ERRORS_KEPT = 1000  # refused rows listed in a report (all are counted)
PROGRESS_EVERY = 5000  # rows between progress reports
SQLITE_BATCH = 1000
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


# --- sources ---------------------------------------------------------------------------------
@dataclass
class Table:
    """The header and a stream of rows (dicts keyed by the header) of a file or request."""

    header: list[str]
    rows: Iterator[Any]
    position: Callable[[], tuple[int, int]] = lambda: (0, 0)  # (done, total) for progress
    # Files: every column must be known (or mapped); a request's objects are checked per row.
    strict_header: bool = True
    # A CSV file: its path, for PostgreSQL's fast path (which reads the bytes itself).
    path: str = ""
    format: str = ""
    close: Callable[[], None] = lambda: None


def open_table(path: str, name: str = "") -> Table:
    """Stream a CSV (UTF-8, BOM or not) or XLSX file; refuses an unreadable one (``file``)."""
    name = (name or path).lower()
    if name.endswith(".xlsx"):
        return _open_xlsx(path)
    try:
        handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed at the end
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
    except UnicodeDecodeError as error:
        raise ApplicationError(
            _("The file is not UTF-8 text (save the CSV as UTF-8)."),
            field="file",
            code="invalid_file",
        ) from error
    except OSError as error:
        raise ApplicationError(
            _("The file cannot be read: %(error)s") % {"error": error},
            field="file",
            code="invalid_file",
        ) from error
    total = os.fstat(handle.fileno()).st_size

    def rows() -> Iterator[dict[str, Any]]:
        try:
            for line in reader:
                if any(cell.strip() for cell in line):
                    yield dict(zip(header, line, strict=False))
        except UnicodeDecodeError as error:
            raise ApplicationError(
                _("The file is not UTF-8 text (save the CSV as UTF-8)."),
                field="file",
                code="invalid_file",
            ) from error
        except csv.Error as error:
            raise ApplicationError(
                _("The file is not a readable CSV: %(error)s") % {"error": error},
                field="file",
                code="invalid_file",
            ) from error
        finally:
            handle.close()

    return Table(
        header,
        rows(),
        lambda: (handle.buffer.tell() if not handle.closed else total, total),
        path=path,
        format="csv",
        close=handle.close,
    )


def _open_xlsx(path: str) -> Table:
    import openpyxl  # only when a spreadsheet comes in

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.active
        lines = sheet.iter_rows(values_only=True)
        header = [str(c).strip() if c is not None else "" for c in next(lines, ())]
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise ApplicationError(
            _("The file is not a readable XLSX workbook."), field="file", code="invalid_file"
        ) from error
    total = max((sheet.max_row or 1) - 1, 0)
    done = [0]

    def rows() -> Iterator[dict[str, Any]]:
        try:
            for line in lines:
                done[0] += 1
                if any(c is not None and str(c).strip() for c in line):
                    yield dict(zip(header, line, strict=False))
        finally:
            workbook.close()

    return Table(header, rows(), lambda: (done[0], total))


def table_from_rows(rows: list[Mapping[str, Any]]) -> Table:
    """The rows of a bulk request (objects keyed by field name)."""
    return Table([], iter(rows), lambda: (0, len(rows)), strict_header=False)


# --- mapping ---------------------------------------------------------------------------------
class Mapper:
    """Turns a source row (keyed by the file's columns) into a row keyed by record fields, and
    names the source column of a refused field."""

    def __init__(self, kind: str, table: Table, mapping: RecordMapping | None) -> None:
        known = FIELDS[kind]
        header = table.header
        self.columns: dict[str, str] | None = None  # None: the row is keyed by field already
        self.value_maps: dict = {}
        self.constants: dict = {}
        read = set(mapping.columns) if mapping is not None else set(known)
        repeated = sorted({c for c in header if c in read and header.count(c) > 1})
        if repeated and table.strict_header:
            raise ApplicationError(
                _("The column “%(column)s” appears more than once in the header.")
                % {"column": repeated[0]},
                field=repeated[0],
                code="repeated_column",
            )
        if mapping is None:
            unknown = [c for c in header if c and c not in known] if table.strict_header else []
            if unknown and len(header) == 1 and any(s in unknown[0] for s in ";\t|"):
                raise ApplicationError(
                    _(
                        "The header “%(column)s” is one column: the file seems separated by "
                        "something other than commas. Save it as CSV with commas."
                    )
                    % {"column": unknown[0][:200]},
                    field=None,
                    code="not_comma_separated",
                )
            if unknown:
                raise ApplicationError(
                    _("Unknown column “%(column)s”. Known columns: %(known)s.")
                    % {"column": unknown[0], "known": ", ".join(known)},
                    field=unknown[0],
                    code="unknown_column",
                )
            # A file (not the API's rows, checked one by one) names every required field.
            missing = [
                name
                for name, spec in known.items()
                if spec.required and name not in header and table.strict_header
            ]
            if missing:
                raise ApplicationError(
                    _("The file has no column %(columns)s, which every record needs.")
                    % {"columns": ", ".join(f"“{c}”" for c in missing)},
                    field=missing[0],
                    code="missing_column",
                )
        else:
            missing = sorted(c for c in mapping.columns if c not in header)
            if missing:
                raise ApplicationError(
                    _("The file has no column %(columns)s (the mapping “%(mapping)s” needs it).")
                    % {"columns": ", ".join(f"“{c}”" for c in missing), "mapping": mapping.name},
                    field=missing[0],
                    code="missing_column",
                )
            self.columns = dict(mapping.columns)
            self.value_maps = mapping.value_maps or {}
            self.constants = mapping.constants or {}
        self.source_of = {f: c for c, f in (self.columns or {}).items()}

    def column(self, field_name: str | None) -> str | None:
        if field_name is None:
            return None
        return self.source_of.get(field_name, field_name)

    def __call__(self, source: Mapping[str, Any]) -> dict[str, Any]:
        if self.columns is None:
            return {k: v for k, v in source.items() if k}
        row: dict[str, Any] = dict(self.constants)
        for column, field_name in self.columns.items():
            row[field_name] = source.get(column)
        for field_name, values in self.value_maps.items():
            raw = row.get(field_name)
            key = raw.strip() if isinstance(raw, str) else ("" if raw is None else str(raw))
            if key in values:
                row[field_name] = values[key]
            elif "*" in values:
                row[field_name] = values["*"]
        return row


# --- writers ---------------------------------------------------------------------------------
class RecordColumns:
    """The table and columns a load of one record kind writes (quoted for SQL)."""

    def __init__(self, kind: str) -> None:
        self.model = MODELS[kind]
        self.table = connection.ops.quote_name(self.model._meta.db_table)
        self.columns = COLUMNS[kind]
        self.fields = {f.attname: f for f in self.model._meta.concrete_fields}
        self.quoted = [connection.ops.quote_name(c) for c in self.columns]
        self.data = [c for c in self.columns if c not in BOOKKEEPING_COLUMNS]


class _Writer(RecordColumns, ABC):
    """Writes one load's rows: ``write`` each accepted row, then one ``upsert``."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    @abstractmethod
    def write(self, number: int, values: tuple) -> None:
        """Take the accepted row ``number`` (its column values in ``self.columns`` order)."""

    @abstractmethod
    def upsert(self) -> tuple[int, int]:
        """Write the rows taken; (created, updated)."""


class PostgresWriter(_Writer):
    """COPY into ``records_stage`` (dropped at the end), then one set-based upsert."""

    STAGE = "records_stage"

    def __enter__(self):
        self.cursor = connection.cursor()
        raw = self.cursor.cursor  # psycopg 3's own cursor
        types = ", ".join(
            f"{q} {self.fields[c].db_type(connection)}"
            for c, q in zip(self.columns, self.quoted, strict=True)
        )
        raw.execute(f"DROP TABLE IF EXISTS {self.STAGE}")
        raw.execute(f"CREATE TEMP TABLE {self.STAGE} (rn bigint, {types}) ON COMMIT DROP")
        self._copy_cm = raw.copy(f"COPY {self.STAGE} (rn, {', '.join(self.quoted)}) FROM STDIN")
        self.copy = self._copy_cm.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._copy_cm.__exit__(*exc)

    def write(self, number: int, values: tuple) -> None:
        self.copy.write_row((number, *values))

    def upsert(self) -> tuple[int, int]:
        cols = ", ".join(self.quoted)
        key = '"source_system", "source_record_id"'
        sets = ", ".join(f"{q} = EXCLUDED.{q}" for q in self.quoted[2:])
        data = [connection.ops.quote_name(c) for c in self.data]
        changed = (
            f"({', '.join('t.' + q for q in data)}) IS DISTINCT FROM "
            f"({', '.join('EXCLUDED.' + q for q in data)})"
        )
        sql = (
            f"WITH up AS (INSERT INTO {self.table} AS t ({cols}) "  # noqa: S608 - identifiers only
            f"SELECT DISTINCT ON ({key}) {cols} FROM {self.STAGE} ORDER BY {key}, rn "
            f"ON CONFLICT ({key}) DO UPDATE SET {sets} WHERE {changed} "
            "RETURNING (xmax = 0) AS inserted) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
        )
        raw = self.cursor.cursor
        raw.execute(sql)
        created, updated = raw.fetchone()
        raw.execute(f"DROP TABLE IF EXISTS {self.STAGE}")
        self.cursor.close()
        return created, updated


class SqliteWriter(_Writer):
    """Batches of ``INSERT … ON CONFLICT DO UPDATE … WHERE <something changed>``."""

    def __enter__(self):
        ops = connection.ops
        self.adapt = []
        for column in self.columns:
            internal = self.fields[column].get_internal_type()
            if internal == "DateTimeField":
                self.adapt.append(ops.adapt_datetimefield_value)
            elif internal == "DateField":
                self.adapt.append(ops.adapt_datefield_value)
            else:
                self.adapt.append(None)
        cols = ", ".join(self.quoted)
        marks = ", ".join(["%s"] * len(self.columns))
        sets = ", ".join(f"{q} = excluded.{q}" for q in self.quoted[2:])
        data = [connection.ops.quote_name(c) for c in self.data]
        changed = " OR ".join(f"{self.table}.{q} IS NOT excluded.{q}" for q in data)
        self.sql = (
            f"INSERT INTO {self.table} ({cols}) VALUES ({marks}) "  # noqa: S608 - identifiers only
            'ON CONFLICT ("source_system", "source_record_id") DO UPDATE SET '
            f"{sets} WHERE {changed}"
        )
        # Record ids already written by this load: a later repeat in the file is skipped (the
        # first occurrence wins, as on PostgreSQL). SQLite is the small-scale database; the
        # streaming, flat-memory path is PostgreSQL's.
        self.seen: set[tuple[str, str]] = set()
        self.batch: list[tuple] = []
        self.created = self.updated = 0
        self.cursor = connection.cursor()
        return self

    def write(self, number: int, values: tuple) -> None:
        key = (values[0], values[1])
        if key in self.seen:
            return
        self.seen.add(key)
        self.batch.append(
            tuple(
                a(v) if a and v is not None else v for a, v in zip(self.adapt, values, strict=True)
            )
        )
        if len(self.batch) >= SQLITE_BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self.batch:
            return
        keys = {(row[0], row[1]) for row in self.batch}
        existing: set[tuple] = set()
        by_system: dict[str, list[str]] = {}
        for system, record_id in keys:
            by_system.setdefault(system, []).append(record_id)
        for system, ids in by_system.items():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join(["%s"] * len(chunk))
                self.cursor.execute(
                    f'SELECT "source_record_id" FROM {self.table} '  # noqa: S608 - identifiers only
                    f'WHERE "source_system" = %s AND "source_record_id" IN ({marks})',
                    [system, *chunk],
                )
                existing.update((system, r) for (r,) in self.cursor.fetchall())
        new = len(keys - existing)
        self.cursor.executemany(self.sql, self.batch)
        changed = self.cursor.rowcount
        self.created += new
        self.updated += max(changed - new, 0)
        self.batch = []

    def upsert(self) -> tuple[int, int]:
        self._flush()
        self.cursor.close()
        return self.created, self.updated


def _writer(kind: str) -> _Writer:
    return PostgresWriter(kind) if connection.vendor == "postgresql" else SqliteWriter(kind)


# --- the loader ------------------------------------------------------------------------------
def _fast_load(kind, table, mapping, mapper, parser, load_job_id) -> FastLoad | None:
    """PostgreSQL's set-based path for a CSV file, when the mapping translates to SQL."""
    if not fast_load_possible(table):
        return None
    try:
        return FastLoad(
            kind=kind,
            path=table.path,
            header=table.header,
            mapping=mapping,
            mapper=mapper,
            parser=parser,
            load_job_id=load_job_id,
        )
    except Untranslatable:
        return None


def mapping_check_kind(*, kind: str, mapping: RecordMapping | None) -> None:
    """A saved column mapping reads one kind of records: using it for another is refused."""
    if mapping is not None and mapping.kind != kind:
        raise ApplicationError(
            _("The mapping “%(name)s” is for %(kind)s.")
            % {"name": mapping.name, "kind": mapping.get_kind_display()},
            field="mapping",
            code="wrong_kind",
        )


def records_load(
    *,
    kind: str,
    table: Table,
    mapping: RecordMapping | None = None,
    skip_bad_rows: bool = False,
    load_job_id: int | None = None,
    progress: Progress | None = None,
    fast_path: bool = True,
    user=None,
) -> LoadReport:
    """Load one table of records, all or nothing.

    A bad row (unknown code, bad timestamp, score outside the scale, delivered before ordered …)
    refuses the whole table with :class:`RowsError` listing every bad row by number and column,
    unless ``skip_bad_rows``, which leaves them out and lists them in the report.
    A CSV file on PostgreSQL takes the set-based path of :mod:`.fast_load` (same rules, same
    stored rows, same report); ``fast_path=False`` forces the row-by-row path.
    ``user``: who loads (None: an operator's command or the system); a data steward's rows must
    name departments they steward (else refused like any bad row, ``not_steward``).
    ``progress(done, total)`` is called while a ``COPY`` is in flight on this thread's
    database connection: it must not use the database (the task reports to Celery's result
    backend, the command to the terminal).
    """
    kind = RecordKind(kind)
    mapping_check_kind(kind=kind, mapping=mapping)
    mapper = Mapper(kind, table, mapping)
    constants = mapping.constants if mapping else {}
    parser = RowParser(
        kind,
        load_job_id=load_job_id,
        date_format=mapping.date_format if mapping else "",
        zone=mapping.zone if mapping else None,
        default_source_system=str(constants.get("source_system", "")),
        writer=NumbersWriter.for_user(user) if user is not None else None,
    )
    report = LoadReport()
    row_errors: list[RowError] = []
    known = FIELDS[kind]
    with transaction.atomic():
        fast = _fast_load(kind, table, mapping, mapper, parser, load_job_id) if fast_path else None
        if fast:
            try:
                read, rejected, row_errors, created, updated = fast.run(
                    skip_bad_rows=skip_bad_rows, progress=progress
                )
            except Untranslatable:
                fast = None
        if fast:
            table.close()
            report.read, report.rejected = read, rejected
            report.errors = [
                {"row": e.index + 1, "column": e.field, "detail": e.detail, "code": e.code}
                for e in row_errors
            ]
            if row_errors and not skip_bad_rows:
                error = RowsError(row_errors)
                error.report = report
                raise error
            report.created, report.updated = created, updated
            if progress:
                done, total = table.position()
                progress(total or done, total or done)
            return report
        with _writer(kind) as writer:
            for number, source in enumerate(table.rows, start=1):
                report.read = number
                try:
                    if not isinstance(source, Mapping):
                        raise ApplicationError(_("Each row is an object."), code="invalid")
                    row = mapper(source)
                    if mapping is None and (extra := [k for k in row if k not in known]):
                        raise ApplicationError(
                            _("Unknown field “%(field)s”.") % {"field": extra[0]},
                            field=extra[0],
                            code="unknown_field",
                        )
                    values = parser.parse(row)
                except ApplicationError as error:
                    report.rejected += 1
                    if len(row_errors) < ERRORS_KEPT:
                        row_errors.append(
                            RowError(
                                number - 1,
                                mapper.column(error.field),
                                str(error.message),
                                error.code,
                            )
                        )
                    continue
                if skip_bad_rows or not row_errors:
                    writer.write(number, values)
                if progress and number % PROGRESS_EVERY == 0:
                    progress(*table.position())
        report.errors = [
            {"row": e.index + 1, "column": e.field, "detail": e.detail, "code": e.code}
            for e in row_errors
        ]
        if row_errors and not skip_bad_rows:
            error = RowsError(row_errors)
            error.report = report
            raise error
        report.created, report.updated = writer.upsert()
    if progress:
        done, total = table.position()
        progress(total or done, total or done)
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
