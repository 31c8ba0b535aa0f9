"""Many feedback items at once — the bulk API and file imports through a column mapping — with
one set of rules, all or nothing, idempotent on the source reference."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.bpi.models import Project
from apps.departments.models import Department, Employee
from apps.kpis.models import KPI
from cxoffice.errors import ApplicationError, ConflictError, RowError, RowsError

from ..models import (
    MAPPABLE_FIELDS,
    RATING_MAX,
    RATING_MIN,
    Category,
    Channel,
    ColumnMapping,
    Feedback,
    Severity,
)

# Lazy: translated only when a row is refused.
THE_CATEGORY, THE_DEPARTMENT, THE_EMPLOYEE, THE_KPI, THE_PROJECT = (
    gettext_lazy("category"),
    gettext_lazy("department"),
    gettext_lazy("employee"),
    gettext_lazy("KPI"),
    gettext_lazy("BPI project"),
)
MAX_LENGTHS = {"customer_ref": 100, "order_ref": 100, "source_system": 50, "source_ref": 100}
MAX_FILE_ROWS = 200_000


@dataclass(frozen=True)
class ImportReport:
    """What a bulk request or file import did. ``skipped_existing``: rows whose source
    reference was imported before; ``skipped_duplicates``: repeats of a reference earlier in the
    same file (the first occurrence counts)."""

    read: int
    created: int
    skipped_existing: int
    skipped_duplicates: int

    @property
    def skipped(self) -> int:
        return self.skipped_existing + self.skipped_duplicates

    def as_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "created": self.created,
            "skipped": self.skipped,
            "skipped_existing": self.skipped_existing,
            "skipped_duplicates": self.skipped_duplicates,
        }


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


class FeedbackRowReader:
    """Checks rows of feedback (dicts keyed by field name, values as JSON or file cells give
    them) and builds unsaved items. Looks every referenced table up once, so 100,000 rows cost
    a fixed number of queries.

    Keys: ``channel`` (required), ``received_at`` (required; ``date_format`` / ISO 8601, naive
    times in ``zone``), ``rating`` (1–5 or empty), ``text``, ``customer_ref``, ``order_ref``,
    ``category`` (code), ``department`` (code; default: the category's), ``severity``
    (default medium), ``owner`` (employee number), ``due_date``, ``kpi`` (code),
    ``bpi_project`` (code), ``source_system``, ``source_ref``. Integers are ids.
    """

    def __init__(self, *, date_format: str = "", zone: dt.tzinfo | None = None) -> None:
        self.date_format = date_format
        self.zone = zone or zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self.tables = {
            "category": self._table(Category.objects.only("id", "code", "department_id"), "code"),
            "department": self._table(Department.objects.only("id", "code"), "code"),
            "owner": self._table(Employee.objects.only("id", "employee_number"), "employee_number"),
            "kpi": self._table(KPI.objects.only("id", "code"), "code"),
            "bpi_project": self._table(Project.objects.only("id", "code"), "code"),
        }
        self.what = {
            "category": THE_CATEGORY,
            "department": THE_DEPARTMENT,
            "owner": THE_EMPLOYEE,
            "kpi": THE_KPI,
            "bpi_project": THE_PROJECT,
        }

    @staticmethod
    def _table(queryset, code_field: str) -> tuple[dict, dict]:
        objects = list(queryset)
        return {getattr(o, code_field): o for o in objects}, {o.pk: o for o in objects}

    def _find(self, row: Mapping[str, Any], field: str):
        raw = row.get(field)
        if _blank(raw):
            return None
        by_code, by_id = self.tables[field]
        found = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            found = by_id.get(raw)
        elif isinstance(raw, str):
            found = by_code.get(raw.strip())
        if found is None:
            raise ApplicationError(
                _("Unknown %(what)s “%(value)s”.") % {"what": self.what[field], "value": raw},
                field=field,
                code="does_not_exist",
            )
        return found

    @staticmethod
    def _text(row: Mapping[str, Any], field: str) -> str:
        raw = row.get(field)
        if raw is None:
            return ""
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise ApplicationError(_("Give text."), field=field, code="invalid")
        value = str(raw).strip()
        limit = MAX_LENGTHS.get(field)
        if limit and len(value) > limit:
            raise ApplicationError(
                _("At most %(limit)s characters.") % {"limit": limit},
                field=field,
                code="max_length",
            )
        return value

    @staticmethod
    def _choice(row: Mapping[str, Any], field: str, choices, default: str | None = None) -> str:
        raw = row.get(field)
        if _blank(raw) and default is not None:
            return default
        value = raw.strip().lower() if isinstance(raw, str) else raw
        if value not in choices.values:
            if _blank(raw):
                raise ApplicationError(_("This field is required."), field=field, code="required")
            raise ApplicationError(
                _("“%(value)s” is not a valid %(field)s; use one of: %(choices)s.")
                % {"value": raw, "field": field, "choices": ", ".join(choices.values)},
                field=field,
                code="invalid_choice",
            )
        return value

    def _datetime(self, raw: Any, field: str) -> dt.datetime:
        value: dt.datetime | None = None
        if isinstance(raw, dt.datetime):
            value = raw
        elif isinstance(raw, dt.date):
            value = dt.datetime.combine(raw, dt.time())
        elif isinstance(raw, str) and raw.strip():
            text = raw.strip()
            if self.date_format:
                try:
                    value = dt.datetime.strptime(text, self.date_format)  # noqa: DTZ007 - zone below
                except ValueError:
                    value = None
            else:
                try:
                    value = parse_datetime(text)
                    if value is None and (day := parse_date(text)):
                        value = dt.datetime.combine(day, dt.time())
                except ValueError:
                    value = None
        if value is None:
            if _blank(raw):
                raise ApplicationError(_("This field is required."), field=field, code="required")
            raise ApplicationError(
                _("“%(value)s” is not a date and time in the format %(format)s.")
                % {"value": raw, "format": self.date_format or "ISO 8601 (2026-11-16T09:30)"},
                field=field,
                code="invalid_date",
            )
        if timezone.is_naive(value):
            value = value.replace(tzinfo=self.zone)
        return value

    def _date(self, raw: Any, field: str) -> dt.date | None:
        if _blank(raw):
            return None
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        day = None
        if isinstance(raw, str):
            try:
                day = parse_date(raw.strip())
            except ValueError:
                day = None
        if day is None:
            raise ApplicationError(
                _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": raw},
                field=field,
                code="invalid_date",
            )
        return day

    @staticmethod
    def _rating(raw: Any) -> int | None:
        if _blank(raw):
            return None
        value = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif isinstance(raw, float) and raw.is_integer():
            value = int(raw)  # spreadsheets give 4.0
        elif isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
            value = int(raw.strip())
        if value is None:
            raise ApplicationError(
                _("“%(value)s” is not a whole number.") % {"value": raw},
                field="rating",
                code="invalid",
            )
        if not RATING_MIN <= value <= RATING_MAX:
            raise ApplicationError(
                _("The rating %(value)s is outside the scale %(min)s–%(max)s.")
                % {"value": value, "min": RATING_MIN, "max": RATING_MAX},
                field="rating",
                code="out_of_range",
            )
        return value

    def read(self, row: Mapping[str, Any]) -> Feedback:
        """Check one row and return the unsaved item (status new)."""
        if not isinstance(row, Mapping):
            raise ApplicationError(_("Each row is an object."), field=None, code="invalid")
        unknown = sorted(str(key) for key in row if key not in MAPPABLE_FIELDS)
        if unknown:
            raise ApplicationError(
                _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)},
                field=unknown[0],
                code="unknown_field",
            )
        channel = self._choice(row, "channel", Channel)
        received_at = self._datetime(row.get("received_at"), "received_at")
        rating = self._rating(row.get("rating"))
        severity = self._choice(row, "severity", Severity, default=Severity.MEDIUM)
        category = self._find(row, "category")
        department = self._find(row, "department")
        if department is None and category is not None and category.department_id:
            department = Department(pk=category.department_id)
        source_ref = self._text(row, "source_ref")
        source_system = self._text(row, "source_system")
        return Feedback(
            channel=channel,
            received_at=received_at,
            rating=rating,
            severity=severity,
            text=self._text(row, "text"),
            customer_ref=self._text(row, "customer_ref"),
            order_ref=self._text(row, "order_ref"),
            category=category,
            department=department,
            owner=self._find(row, "owner"),
            due_date=self._date(row.get("due_date"), "due_date"),
            kpi=self._find(row, "kpi"),
            bpi_project=self._find(row, "bpi_project"),
            source_system=source_system,
            source_ref=source_ref,
        )


def _existing_refs(keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (source system, source ref) pairs are stored, in batches the database accepts."""
    found: set[tuple[str, str]] = set()
    by_system: dict[str, list[str]] = {}
    for system, ref in keys:
        by_system.setdefault(system, []).append(ref)
    batch = 900 if connection.vendor == "sqlite" else 20_000
    for system, refs in by_system.items():
        for start in range(0, len(refs), batch):
            found.update(
                Feedback.objects.filter(
                    source_system=system, source_ref__in=refs[start : start + batch]
                ).values_list("source_system", "source_ref")
            )
    return found


@transaction.atomic
def feedback_rows_create(
    *,
    rows: Sequence[Mapping[str, Any]],
    reader: FeedbackRowReader | None = None,
    columns: Mapping[str, str] | None = None,
) -> ImportReport:
    """Create many items, all or nothing; rows whose source reference is already stored (or
    appeared earlier in ``rows``) are skipped, so sending the same rows again creates nothing.

    Every row is checked before anything is written; refused rows raise :class:`RowsError`
    listing each by its 0-based index and field (``columns`` renames a field to the file's
    column it came from). A fixed number of queries for the checks, then batched inserts."""
    reader = reader or FeedbackRowReader()
    columns = columns or {}
    errors: list[RowError] = []
    items: list[Feedback] = []
    for index, row in enumerate(rows):
        try:
            items.append(reader.read(row))
        except ApplicationError as error:
            field = columns.get(error.field, error.field) if error.field else None
            errors.append(RowError(index, field, str(error.message), error.code))
    if errors:
        raise RowsError(errors)

    keyed = {(i.source_system, i.source_ref) for i in items if i.source_ref}
    existing = _existing_refs(keyed)
    seen: set[tuple[str, str]] = set()
    new: list[Feedback] = []
    skipped_existing = skipped_duplicates = 0
    for item in items:
        key = (item.source_system, item.source_ref)
        if item.source_ref:
            if key in existing:
                skipped_existing += 1
                continue
            if key in seen:
                skipped_duplicates += 1
                continue
            seen.add(key)
        new.append(item)
    try:
        with transaction.atomic():
            Feedback.objects.bulk_create(new, batch_size=1000)
    except IntegrityError as error:
        raise ConflictError(
            _("Another import is writing the same source references; try again in a moment."),
            field="source_ref",
            code="concurrent_import",
        ) from error
    return ImportReport(
        read=len(items),
        created=len(new),
        skipped_existing=skipped_existing,
        skipped_duplicates=skipped_duplicates,
    )


# --- files and column mappings ----------------------------------------------------------------


def read_table(file: Any, name: str = "") -> list[dict[str, Any]]:
    """The rows of an uploaded CSV (UTF-8, with or without BOM) or XLSX file as dicts keyed by
    the header row. Raises ApplicationError(field="file") for an unreadable file."""
    name = (name or getattr(file, "name", "") or "").lower()
    data = file.read()
    if name.endswith(".xlsx"):
        import openpyxl  # only when a spreadsheet comes in

        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise ApplicationError(
                _("The file is not a readable XLSX workbook."), field="file", code="invalid_file"
            ) from error
        lines = workbook.active.iter_rows(values_only=True)
        header = [str(cell).strip() if cell is not None else "" for cell in next(lines, ())]
        rows = [dict(zip(header, line, strict=False)) for line in lines if any(line)]
    else:
        try:
            text = data.decode("utf-8-sig")
        except (UnicodeDecodeError, AttributeError) as error:
            raise ApplicationError(
                _("The file is not UTF-8 text (save the CSV as UTF-8)."),
                field="file",
                code="invalid_file",
            ) from error
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h.strip() for h in reader.fieldnames or []]
        rows = [
            {(k or "").strip(): v for k, v in line.items()}
            for line in reader
            if any((v or "").strip() for v in line.values() if isinstance(v, str))
        ]
    if not header:
        raise ApplicationError(_("The file is empty."), field="file", code="empty_file")
    if len(rows) > MAX_FILE_ROWS:
        raise ApplicationError(
            _("At most %(max)s rows per file.") % {"max": MAX_FILE_ROWS},
            field="file",
            code="too_many_rows",
        )
    return rows


def mapped_rows(rows: Iterable[Mapping[str, Any]], mapping: ColumnMapping) -> list[dict[str, Any]]:
    """Apply a saved mapping: columns → fields (several columns joined by a line break), value
    maps, constants."""
    fields: dict[str, list[str]] = {}
    for column, field in mapping.mapping.items():
        fields.setdefault(field, []).append(column)
    value_maps = mapping.value_maps or {}
    out = []
    for row in rows:
        mapped: dict[str, Any] = {}
        for field, sources in fields.items():
            if len(sources) == 1:
                value = row.get(sources[0])
            else:
                parts = [str(row[c]).strip() for c in sources if not _blank(row.get(c))]
                value = "\n".join(parts)
            if field in value_maps and isinstance(value, str | int):
                value = value_maps[field].get(str(value).strip(), value)
            mapped[field] = value
        mapped.update(mapping.constants or {})
        out.append(mapped)
    return out


def mapping_columns(mapping: ColumnMapping) -> dict[str, str]:
    """field → the file column(s) it is read from, for error reports (constants say so)."""
    columns: dict[str, list[str]] = {}
    for column, field in mapping.mapping.items():
        columns.setdefault(field, []).append(column)
    named = {field: " + ".join(sources) for field, sources in columns.items()}
    for field in mapping.constants or {}:
        named[field] = _("%(field)s (constant of the mapping)") % {"field": field}
    return named


def feedback_import(*, rows: Sequence[Mapping[str, Any]], mapping: ColumnMapping) -> ImportReport:
    """Import a file's rows through a saved column mapping, all or nothing (see
    :func:`feedback_rows_create`). Errors name the row (0-based index; row N = index + 1 counts
    data rows after the header) and the file's column."""
    if rows:
        missing = sorted(set(mapping.mapping) - set(rows[0]))
        if missing:
            raise ApplicationError(
                _("The file has no column %(columns)s, which the mapping %(mapping)s reads.")
                % {"columns": ", ".join(missing), "mapping": mapping.name},
                field="file",
                code="missing_column",
            )
    reader = FeedbackRowReader(date_format=mapping.date_format, zone=mapping.zone)
    return feedback_rows_create(
        rows=mapped_rows(rows, mapping), reader=reader, columns=mapping_columns(mapping)
    )
