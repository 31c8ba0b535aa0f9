"""PostgreSQL fast path of the loader for CSV files: the file's bytes go unchanged into a staging
table of text columns, and checking, converting and upserting happen set-based in SQL.

1. ``COPY records_raw FROM STDIN (FORMAT csv, HEADER true)`` with the raw file in chunks (no
   per-row Python); an identity column numbers the rows in file order. The staging columns are
   named by position (``c0``, ``c1`` …), not after the header: a header may repeat a name, leave
   one empty or exceed PostgreSQL's 63 bytes; which column feeds which field is taken from the
   header as Python reads it (the last of repeated names wins, as in ``dict(zip(header, row))``).
2. One scan marks the rows that SQL cannot vouch for: any cell that is not plainly valid (a
   date and time PostgreSQL writes back exactly as given, digits, yes/no, choices, known codes,
   trimmed text within its length), a score outside its scale, dates out of order, a local
   time near a change of the zone's offset. Those rows — normally few — go through
   :class:`RowParser`, so a refused row gets exactly the Python path's message, and a row the
   quick checks were too strict for (`` yes ``, ``2026-03-01T10:00+05:17``) is still loaded
   with the Python path's values.
3. One ``INSERT … SELECT DISTINCT ON … ON CONFLICT … DO UPDATE … WHERE <changed>`` writes the
   rows converted in SQL together with those RowParser accepted.

Soundness is the rule: SQL converts a cell only when RowParser would give the same value; the
file goes to the Python path whole when PostgreSQL's CSV reading could differ from Python's
(a stray quote, a ragged or blank line, an end-of-data marker, bytes that are not UTF-8, an
over-long field), or when the mapping uses something not translated here (a date format other
than ISO 8601 or ``%Y-%m-%d[ T]%H:%M[:%S]``, non-text constants or value maps).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
import zoneinfo
from collections.abc import Callable
from typing import Any

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from psycopg import sql

from cxoffice.errors import ApplicationError, RowError

from ..fields import (
    BOOKKEEPING_COLUMNS,
    BOOL,
    CHOICE,
    COLUMNS,
    DATETIME,
    FALSE,
    INT,
    MODELS,
    REF,
    TEXT,
    TRUE,
    RowParser,
)
from ..models import (
    SCORE_RANGES,
    STUCK_AFTER,
    RecordKind,
    RecordMapping,
    ShipmentStatus,
    Stage,
)

TYPED = "records_typed"
CHUNK = 1 << 20
SUSPECT_BATCH = 2000  # rows RowParser reads at a time
MAX_COLUMNS = 1000  # a staging table holds at most 1600
FIELD_LIMIT = 131072  # Python's csv.field_size_limit(): a longer field refuses the file there
# What Python's str.strip() removes (str.isspace()); a cell SQL takes as is has none at its ends.
PY_SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
# A quote inside an unquoted field (Python keeps it, PostgreSQL opens a quoted section), or
# PostgreSQL's end-of-data marker: the file goes to the Python path.
_CSV_DOUBT = re.compile(rb'[^,\r\n"]"[^,\r\n"]|[\r\n]\\\.')

# Dates from 1900 to 2099 that exist (month lengths and leap years), then the time.
_LEAP = r"(?:19(?:0[48]|[2468][048]|[13579][26])|20(?:[02468][048]|[13579][26]))"
_DATE = (
    r"(?:(?:19|20)[0-9]{2}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|" + _LEAP + r"-02-29)"
)
_HM = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
_ISO = (
    "^" + _DATE + r"(?:[T ]" + _HM + r"(?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-](?:0[0-9]|1[0-5]):[0-5][0-9])?)?$"
)
# strptime formats translated (zero-padded fields only; anything else goes to RowParser).
FORMATS = {
    "%Y-%m-%d": "^" + _DATE + "$",
    "%Y-%m-%d %H:%M": "^" + _DATE + " " + _HM + "$",
    "%Y-%m-%d %H:%M:%S": "^" + _DATE + " " + _HM + ":[0-5][0-9]$",
    "%Y-%m-%dT%H:%M": "^" + _DATE + "T" + _HM + "$",
    "%Y-%m-%dT%H:%M:%S": "^" + _DATE + "T" + _HM + ":[0-5][0-9]$",
}
# UTC offsets the quick check takes (others are checked by the patterns or by RowParser).
_OFFSETS = [f"{sign}{h:02d}:{m:02d}" for sign in "+-" for h in range(15) for m in (0, 30, 45)]


@functools.lru_cache(maxsize=32)
def _zone_offsets(zone_name: str) -> tuple[tuple[tuple[int, int], ...], tuple[str, ...]]:
    """The zone's changes of UTC offset seen at 00:00 UTC of each day of 1900–2099, as (day
    number, offset in seconds) from the first day on; and the local dates around each change:
    a naive time near one may be ambiguous or missing, and PostgreSQL and zoneinfo choose
    differently there (RowParser then reads those rows)."""
    zone = zoneinfo.ZoneInfo(zone_name)
    changes: list[tuple[int, int]] = []
    days: set[str] = set()
    moment = ZONE_START
    before = None
    for number in range(ZONE_DAYS):
        local = moment.astimezone(zone)
        offset = int(local.utcoffset().total_seconds())
        if offset != before:
            changes.append((number, offset))
            if before is not None:
                for delta in (-2, -1, 0, 1):
                    days.add(str((local + dt.timedelta(days=delta)).date()))
            before = offset
        moment += ONE_DAY
    return tuple(changes), tuple(sorted(days))


def _zone_agrees(zone_name: str) -> bool:
    """PostgreSQL's time zone data changes the offset on the days and to the offsets zoneinfo
    does (1900–2099): otherwise the SQL conversion could differ from RowParser's. Asked once
    per process and zone."""
    if zone_name not in _AGREES:
        changes, _days = _zone_offsets(zone_name)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT i, seconds FROM (SELECT i, seconds, lag(seconds) OVER (ORDER BY i) "
                    "AS before FROM (SELECT i, extract(epoch FROM (t AT TIME ZONE %s) - "
                    "(t AT TIME ZONE 'UTC'))::int AS seconds FROM generate_series(0, %s) AS i, "
                    "LATERAL (SELECT %s::timestamptz + i * interval '1 day' AS t) AS d) AS a) "
                    "AS b WHERE before IS DISTINCT FROM seconds ORDER BY i",
                    [zone_name, ZONE_DAYS - 1, ZONE_START],
                )
                theirs = tuple(tuple(row) for row in cursor.fetchall())
        except DatabaseError:  # a zone PostgreSQL does not know
            theirs = ()
        _AGREES[zone_name] = theirs == changes
    return _AGREES[zone_name]


ZONE_START = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
ZONE_DAYS = 73048  # to 2099-12-31
ONE_DAY = dt.timedelta(days=1)
_AGREES: dict[str, bool] = {}


class Untranslatable(Exception):
    """The mapping or file needs the Python path."""


class _Refused(Exception):
    """A refused file's result, leaving the savepoint of its writes."""

    def __init__(self, result) -> None:
        super().__init__()
        self.result = result


class _Plan:
    """The SQL of one load: which staging column feeds each field, and how it is checked and
    converted."""

    def __init__(self, kind: str, header: list[str], mapping: RecordMapping | None, refs, specs):
        self.kind = RecordKind(kind)
        self.specs = specs  # the parser's (a steward's load requires a department)
        self.header = header
        position = {name: i for i, name in enumerate(header) if name}  # the last one wins
        self.staged = [sql.Identifier(f"c{i}") for i in range(len(header))]
        self.sources: dict[str, sql.Composable] = {}
        if mapping is None:
            for name, i in position.items():
                self.sources[name] = sql.SQL("r.{}").format(self.staged[i])
            date_format = ""
            value_maps: dict = {}
        else:
            for name, value in (mapping.constants or {}).items():
                if not isinstance(value, str):
                    raise Untranslatable
                self.sources[name] = sql.Literal(value)
            for column, name in mapping.columns.items():
                self.sources[name] = sql.SQL("r.{}").format(self.staged[position[column]])
            date_format = mapping.date_format
            value_maps = mapping.value_maps or {}
        for name, values in value_maps.items():
            if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
                raise Untranslatable
            self.sources[name] = self._mapped(self.sources.get(name), values)
        if date_format and date_format not in FORMATS:
            raise Untranslatable
        self.stamp_pattern = FORMATS[date_format] if date_format else _ISO
        self.refs = refs
        self.zone_days: tuple[str, ...] = ()
        self.date_format = date_format
        self.fast_stamps = True

    @staticmethod
    def _mapped(source: sql.Composable | None, values: dict[str, str]) -> sql.Composable:
        key = sql.SQL("coalesce({}, '')").format(source) if source else sql.Literal("")
        default = sql.Literal(values["*"]) if "*" in values else (source or sql.NULL)
        whens = sql.SQL(" ").join(
            sql.SQL("WHEN {} THEN {}").format(sql.Literal(k), sql.Literal(v))
            for k, v in values.items()
            if k != "*"
        )
        if source is not None:
            # RowParser looks the stripped text up: a cell with spaces at its ends is left to it.
            return sql.SQL(
                "(CASE WHEN {} <> btrim({}, {}) THEN {} ELSE CASE {} {} ELSE {} END END)"
            ).format(source, source, sql.Literal(PY_SPACE), source, key, whens, default)
        return sql.SQL("(CASE {} {} ELSE {} END)").format(key, whens, default)

    # --- per field: (accept, value) ------------------------------------------------------------
    def src(self, name: str) -> sql.Composable:
        return self.sources.get(name, sql.NULL)

    def blank(self, name: str) -> sql.Composable:
        return sql.SQL("coalesce({}, '') = ''").format(self.src(name))

    def _stamp(self, x: sql.Composable) -> sql.Composable:
        """A date and time PostgreSQL writes back exactly as given (so every digit is a digit
        and every field in range, as RowParser requires). Cheaper than the patterns, but the
        cast fails on a cell of the right shape with a field out of range (2026-13-01):
        :meth:`FastLoad.find_suspects` then checks with the patterns instead."""
        if self.stamp_pattern != _ISO:
            shape = self.date_format.replace("%Y", "____").replace("%m", "__")
            shape = shape.replace("%d", "__").replace("%H", "__").replace("%M", "__")
            shape = shape.replace("%S", "__")
            if len(shape) == 10:
                written = sql.SQL("{}::date::text").format(x)
            else:
                written = sql.SQL("left({}::timestamp::text, {})").format(
                    x, sql.Literal(len(shape))
                )
            return sql.SQL(
                "(left({x}, 2) IN ('19', '20') AND {x} LIKE {shape} AND "
                "CASE WHEN {x} LIKE {shape} THEN replace({x}, 'T', ' ') = {written} END)"
            ).format(x=x, shape=sql.Literal(shape), written=written)
        # The usual shapes only (position 11 is T or a space, checked by the comparison);
        # the rest are left to the patterns' RowParser.
        return sql.SQL(
            "(left({x}, 2) IN ('19', '20') AND CASE "
            "WHEN {x} LIKE '____-__-__' THEN {x} = {x}::date::text "
            "WHEN {x} LIKE '____-__-_____:__' "
            "THEN replace({x}, 'T', ' ') = left({x}::timestamp::text, 16) "
            "WHEN {x} LIKE '____-__-_____:__:__' OR {x} LIKE '____-__-_____:__:__._%' "
            "THEN replace({x}, 'T', ' ') = {x}::timestamp::text "
            "WHEN {x} LIKE '____-__-_____:__:__Z' "
            "THEN replace(left({x}, 19), 'T', ' ') = left({x}, 19)::timestamp::text "
            "WHEN {x} LIKE '____-__-_____:__:_____:__' AND right({x}, 6) IN ({offsets}) "
            "THEN replace(left({x}, 19), 'T', ' ') = left({x}, 19)::timestamp::text "
            "ELSE false END)"
        ).format(x=x, offsets=sql.SQL(", ").join(map(sql.Literal, _OFFSETS)))

    def accept(self, name: str) -> sql.Composable:
        spec = self.specs[name]
        x = self.src(name)
        if name not in self.sources:
            return sql.SQL("false") if spec.required else sql.SQL("true")
        if spec.type == TEXT:
            check = sql.SQL("{x} = btrim({x}, {space})").format(x=x, space=sql.Literal(PY_SPACE))
            limit = spec.max_length or FIELD_LIMIT
            check = sql.SQL("({} AND char_length({}) <= {})").format(check, x, sql.Literal(limit))
        elif spec.type == DATETIME:
            check = (
                self._stamp(x)
                if self.fast_stamps
                else sql.SQL("{} ~ {}").format(x, sql.Literal(self.stamp_pattern))
            )
            if self.zone_days:
                check = sql.SQL("({} AND left({}, 10) <> ALL({}::text[]))").format(
                    check, x, sql.Literal(list(self.zone_days))
                )
        elif spec.type == INT:
            # Few enough digits to be within the column (one fewer than its largest value has;
            # a longer number goes to RowParser, which names the limit).
            digits = len(str(spec.max_value)) - 1 if spec.max_value else 9
            check = sql.SQL("(char_length({x}) <= {n} AND btrim({x}, '0123456789') = '')").format(
                x=x, n=sql.Literal(digits)
            )
        elif spec.type == BOOL:
            check = sql.SQL("lower({}) IN ({})").format(
                x, sql.SQL(", ").join(sql.Literal(v) for v in sorted(TRUE | FALSE))
            )
        elif spec.type == CHOICE:
            check = sql.SQL("lower({}) IN ({})").format(
                x, sql.SQL(", ").join(sql.Literal(v) for v in spec.choices)
            )
        elif spec.type == REF:
            check = sql.SQL("{} = ANY({}::text[])").format(x, sql.Literal(list(self.refs[name])))
        else:  # pragma: no cover - every type is listed above
            raise Untranslatable
        if spec.required:
            return sql.SQL("(NOT {} AND {})").format(self.blank(name), check)
        return sql.SQL("({} OR {})").format(self.blank(name), check)

    def value(self, name: str) -> sql.Composable:
        """The converted value, for a row whose cells were accepted."""
        spec = self.specs[name]
        x = self.src(name)
        if name not in self.sources:
            return sql.SQL(
                {TEXT: "''::text", CHOICE: "''::text", DATETIME: "NULL::timestamptz",
                 INT: "NULL::bigint", BOOL: "NULL::boolean", REF: "NULL::bigint"}[spec.type]
            )  # fmt: skip
        if spec.type == TEXT:
            return sql.SQL("coalesce({}, '')").format(x)
        if spec.type == DATETIME:
            return sql.SQL("nullif({}, '')::timestamptz").format(x)
        if spec.type == INT:
            return sql.SQL("nullif({}, '')::bigint").format(x)
        if spec.type == BOOL:
            return sql.SQL("(CASE WHEN lower({x}) IN ({t}) THEN true "
                           "WHEN lower({x}) IN ({f}) THEN false END)").format(
                x=x,
                t=sql.SQL(", ").join(sql.Literal(v) for v in sorted(TRUE)),
                f=sql.SQL(", ").join(sql.Literal(v) for v in sorted(FALSE)),
            )  # fmt: skip
        if spec.type == CHOICE:
            return sql.SQL("lower(coalesce({}, ''))").format(x)
        if spec.type == REF:
            codes = sql.Literal(list(self.refs[name]))
            ids = sql.Literal(list(self.refs[name].values()))
            return sql.SQL("({ids}::bigint[])[array_position({codes}::text[], {x})]").format(
                ids=ids, codes=codes, x=x
            )
        raise Untranslatable  # pragma: no cover


def _later(earlier: str, later: str) -> str:
    return f"(v.{later} IS NULL OR v.{earlier} IS NULL OR v.{later} >= v.{earlier})"


def _seconds(start: str, end: str) -> str:
    """Elapsed whole seconds (floored) from ``start`` to ``end`` (``v.<field>`` or
    ``v.<first>|v.<second>`` for the first known of two), as RowParser computes them: the
    difference of two instants, so a daylight-saving change in between does not count."""

    def pick(spec: str) -> str:
        names = spec.split("|")
        return names[0] if len(names) == 1 else f"coalesce({names[0]}, {names[1]})"

    return f"floor(extract(epoch FROM {pick(end)} - {pick(start)}))::bigint"


class FastLoad:
    """One CSV load on PostgreSQL; :meth:`run` returns (read, rejected, errors, created,
    updated) like the Python path, or raises :class:`Untranslatable` before writing anything
    (the caller then runs the Python path)."""

    def __init__(
        self,
        *,
        kind: str,
        path: str,
        header: list[str],
        mapping: RecordMapping | None,
        mapper: Callable,
        parser: RowParser,
        load_job_id: int | None,
    ) -> None:
        if not header or len(header) > MAX_COLUMNS:
            raise Untranslatable
        self.kind = RecordKind(kind)
        self.path = path
        self.mapper = mapper
        self.mapping = mapping
        self.parser = parser
        self.load_job_id = load_job_id
        self.plan = _Plan(kind, header, mapping, parser.vouched_refs, parser.specs)
        zone_name = getattr(parser.zone, "key", None)
        if not zone_name or not _zone_agrees(zone_name):
            raise Untranslatable
        self.zone_name = zone_name
        self.plan.zone_days = _zone_offsets(zone_name)[1]
        if "source_record_id" not in self.plan.sources:
            raise Untranslatable
        # Unlogged tables rather than temporary ones: PostgreSQL scans those with parallel
        # workers. Named for this load (created and dropped inside its transaction, so no other
        # session ever sees them, and a rollback removes them).
        name = secrets.token_hex(6)
        self.raw = sql.Identifier(f"records_raw_{name}")
        self.suspect = sql.Identifier(f"records_suspect_{name}")
        self.table_kind = sql.SQL("UNLOGGED")
        self.kept: sql.Composable | None = None  # the table's foreign keys, when rebuilding

    # --- 1. the raw file -----------------------------------------------------------------------
    def copy(self, cursor, progress: Callable[[int, int], None] | None) -> None:
        plan = self.plan
        columns = sql.SQL(", ").join(sql.SQL("{} text").format(c) for c in plan.staged)
        create = sql.SQL("CREATE {} TABLE {} ({}, rn bigint GENERATED ALWAYS AS IDENTITY)")
        try:
            with transaction.atomic():
                cursor.execute(create.format(self.table_kind, self.raw, columns))
        except psycopg.errors.InsufficientPrivilege:
            # No CREATE on the schema (only TEMP): a temporary table, scanned by one process.
            self.table_kind = sql.SQL("TEMP")
            cursor.execute(create.format(self.table_kind, self.raw, columns))
        statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv, HEADER true)").format(
            self.raw, sql.SQL(", ").join(plan.staged)
        )
        with open(self.path, "rb") as handle:
            total = handle.seek(0, 2)
            handle.seek(0)
            tail = b""
            with cursor.copy(statement) as copy:
                while chunk := handle.read(CHUNK):
                    doubt = b'"' in chunk or b"\\" in chunk or b"\\" in tail
                    if doubt and _CSV_DOUBT.search(tail + chunk):
                        raise Untranslatable
                    tail = chunk[-2:]
                    copy.write(chunk)
                    if progress:
                        progress(handle.tell(), total)

    # --- 2. the rows SQL cannot vouch for ------------------------------------------------------
    def select_converted(self) -> sql.Composable:
        """``rn`` and every column of :data:`COLUMNS` for the accepted rows of the raw table."""
        plan = self.plan
        fields = [f for f in plan.specs if f not in ("department", "warehouse", "carrier")]
        inner = sql.SQL(", ").join(
            sql.SQL("{} AS {}").format(plan.value(f), sql.Identifier(f)) for f in fields
        )
        refs = [
            sql.SQL("{} AS {}").format(plan.value(f), sql.Identifier(f + "_id"))
            for f in ("department", "warehouse", "carrier")
            if f in plan.specs
        ]
        source_system = plan.sources.get("source_system")
        default = sql.Literal(self.parser.default_source_system)
        system = (
            sql.SQL("coalesce(nullif({}, ''), {})").format(source_system, default)
            if source_system is not None
            else default
        )
        inner = sql.SQL(", ").join([inner, *refs, sql.SQL("{} AS system").format(system)])
        outer = {
            "source_system": "v.system",
            "load_job_id": f"{self.load_job_id or 'NULL'}::bigint",
            "source_record_id": "v.source_record_id",
            "department_id": "v.department_id",
        }
        zone = sql.Literal(self.zone_name).as_string(connection.connection)
        if self.kind == RecordKind.SURVEYS:
            outer["scale"] = (
                "CASE WHEN v.survey_type = 'ces' THEN coalesce(nullif(v.scale, ''), 'easy_1_7') "
                "ELSE '' END"
            )
        elif self.kind == RecordKind.TICKETS:
            outer["first_response_seconds"] = _seconds("v.opened_at", "v.first_response_at")
            outer["resolution_seconds"] = _seconds("v.opened_at", "v.resolved_at")
        else:
            outer["status"] = (
                "CASE WHEN v.status <> '' THEN v.status WHEN v.delivered_at IS NOT NULL "
                "THEN 'delivered' ELSE 'in_transit' END"
            )
            outer["promised_on"] = f"(v.promised_at AT TIME ZONE {zone})::date"
            outer["delivered_on"] = f"(v.delivered_at AT TIME ZONE {zone})::date"
            s = _seconds
            outer.update(
                payment_seconds=s("v.ordered_at", "v.paid_at"),
                processing_seconds=s("v.paid_at", "v.warehouse_received_at"),
                picking_seconds=s("v.warehouse_received_at", "v.picked_at"),
                sorting_seconds=s("v.picked_at", "v.sorted_at"),
                packing_seconds=s("v.sorted_at|v.picked_at", "v.packed_at"),
                dispatch_seconds=s("v.packed_at", "v.shipped_at"),
                warehouse_seconds=s("v.warehouse_received_at|v.paid_at", "v.shipped_at"),
                carrier_seconds=s("v.shipped_at", "v.delivered_at"),
            )
            stuck = " ".join(
                f"WHEN v.{name} IS NOT NULL THEN '{stage}'" for name, stage in STUCK_AFTER
            )
            outer["stuck_stage"] = (
                f"CASE WHEN v.delivered_at IS NOT NULL OR ({outer['status']}) = "
                f"'{ShipmentStatus.CANCELLED}' THEN '' ELSE CASE {stuck} "
                f"ELSE '{Stage.PAYMENT_CONFIRMATION}' END END"
            )
        select = ", ".join(f'{outer.get(c, f"v.{c}")} AS "{c}"' for c in COLUMNS[self.kind])
        return sql.SQL(
            "SELECT v.rn, {select} FROM (SELECT r.rn, {inner} FROM {raw} r "
            "WHERE NOT EXISTS (SELECT 1 FROM {suspect} s WHERE s.rn = r.rn) OFFSET 0) v"
        ).format(
            select=sql.SQL(select),
            inner=inner,
            raw=self.raw,
            suspect=self.suspect,
        )

    def find_suspects(self, cursor) -> None:
        try:
            with transaction.atomic():
                self._find_suspects(cursor)
        except psycopg.errors.DataError:
            # A cell of a date's shape that is no date (2026-02-30): check with the patterns.
            self.plan.fast_stamps = False
            self._find_suspects(cursor)
            self.plan.fast_stamps = True

    def _find_suspects(self, cursor) -> None:
        plan = self.plan
        accepts = [plan.accept(f) for f in plan.specs]
        source_system = plan.sources.get("source_system")
        if source_system is not None and not self.parser.default_source_system:
            accepts.append(sql.SQL("NOT {}").format(plan.blank("source_system")))
        elif source_system is None and not self.parser.default_source_system:
            raise Untranslatable
        rules = self._rules()
        cursor.execute(
            sql.SQL(
                "CREATE {kind} TABLE {suspect} AS SELECT r.rn FROM {raw} r "
                "WHERE NOT (CASE WHEN {accept} THEN {rules} ELSE false END)"
            ).format(
                kind=self.table_kind,
                suspect=self.suspect,
                raw=self.raw,
                accept=sql.SQL(" AND ").join(accepts),
                rules=rules,
            )
        )

    def _rules(self) -> sql.Composable:
        """The checks between cells (on converted values), for rows whose cells passed."""
        plan = self.plan

        def v(name: str) -> sql.Composable:
            return plan.value(name)

        def not_before(earlier: str, later: str) -> sql.Composable:
            return sql.SQL("coalesce({} >= {}, true)").format(v(later), v(earlier))

        if self.kind == RecordKind.SURVEYS:
            ranges = sql.SQL(" ").join(
                sql.SQL("WHEN {} = {} AND {} = {} THEN {} BETWEEN {} AND {}").format(
                    sql.SQL("v_type"),
                    sql.Literal(str(survey)),
                    sql.SQL("v_scale"),
                    sql.Literal(str(scale)),
                    v("score"),
                    sql.Literal(low),
                    sql.Literal(high),
                )
                for (survey, scale), (low, high) in SCORE_RANGES.items()
            )
            scale = sql.SQL(
                "CASE WHEN v_type = 'ces' THEN coalesce(nullif(v_raw_scale, ''), 'easy_1_7') "
                "ELSE v_raw_scale END"
            )
            body = sql.SQL(
                "(v_type = 'ces' OR v_raw_scale = '') AND CASE {ranges} ELSE false END"
            ).format(ranges=ranges)
            body = sql.SQL(
                "(SELECT {body} FROM (SELECT v_type, v_raw_scale, {scale} AS v_scale FROM "
                "(SELECT {t} AS v_type, {s} AS v_raw_scale) a) b)"
            ).format(body=body, scale=scale, t=v("survey_type"), s=v("scale"))
            return body
        if self.kind == RecordKind.TICKETS:
            return sql.SQL("{} AND {} AND coalesce({} <> 0, true)").format(
                not_before("opened_at", "first_response_at"),
                not_before("opened_at", "resolved_at"),
                v("contacts_to_resolve"),
            )
        return sql.SQL("{} AND {}").format(
            not_before("ordered_at", "delivered_at"), not_before("ordered_at", "promised_at")
        )

    # --- the suspects through RowParser ------------------------------------------------------
    def check_suspects(self, cursor, *, skip_bad_rows: bool) -> tuple[int, int, list[RowError]]:
        """(blank rows, rejected rows, the first errors); accepted suspects go to the typed
        staging table."""
        from .loading import ERRORS_KEPT, RecordColumns

        writer = RecordColumns(self.kind)
        types = ", ".join(
            f"{q} {writer.fields[c].db_type(connection)}"
            for c, q in zip(writer.columns, writer.quoted, strict=True)
        )
        cursor.execute(f"CREATE TEMP TABLE {TYPED} (rn bigint, {types}) ON COMMIT DROP")
        copy_sql = f"COPY {TYPED} (rn, {', '.join(writer.quoted)}) FROM STDIN"
        header = self.plan.header
        blanks = rejected = 0
        errors: list[RowError] = []
        fetch = connection.connection.cursor(name="records_suspects")
        fetch.execute(
            sql.SQL("SELECT r.rn, {} FROM {} r JOIN {} s USING (rn) ORDER BY r.rn").format(
                sql.SQL(", ").join(sql.SQL("r.{}").format(c) for c in self.plan.staged),
                self.raw,
                self.suspect,
            )
        )
        try:
            while batch := fetch.fetchmany(SUSPECT_BATCH):
                good = []
                for rn, *cells in batch:
                    line = ["" if c is None else c for c in cells]
                    if not any(cell.strip() for cell in line):
                        blanks += 1
                        continue
                    number = rn - blanks
                    try:
                        values = self.parser.parse(
                            self.mapper(dict(zip(header, line, strict=True)))
                        )
                    except ApplicationError as error:
                        rejected += 1
                        if len(errors) < ERRORS_KEPT:
                            errors.append(
                                RowError(
                                    number - 1,
                                    self.mapper.column(error.field),
                                    str(error.message),
                                    error.code,
                                )
                            )
                        continue
                    if skip_bad_rows or not errors:
                        good.append((rn, *values))
                if good:
                    with cursor.copy(copy_sql) as copy:
                        for row in good:
                            copy.write_row(row)
        finally:
            fetch.close()
        return blanks, rejected, errors

    # --- 3. the write --------------------------------------------------------------------------
    def take_empty_table(self, cursor, incoming: int) -> list[sql.Composable]:
        """A large load into an empty table (the first load of a history) follows PostgreSQL's
        advice for populating a database: lock the table, drop its secondary indexes, its
        unique key and its primary key, insert, then build each index once — several times
        faster than maintaining them row by row. Worth it from ``RECORDS_REBUILD_MIN_ROWS``
        rows (setting, default 50,000).

        Returns the statements that recreate what was dropped, exactly as it was (definitions
        read from the catalog, same names), or [] when the table holds rows or the load is
        smaller than ``RECORDS_REBUILD_MIN_ROWS``. The lock (ACCESS EXCLUSIVE, until the load
        commits) only ever blocks readers of a table that is still empty; a rollback restores
        the indexes and constraints with everything else."""
        if incoming < int(getattr(settings, "RECORDS_REBUILD_MIN_ROWS", 50_000)):
            return []
        name = MODELS[self.kind]._meta.db_table
        table = sql.Identifier(name)
        # Only the table's owner may drop and recreate its indexes (a loading role may not).
        cursor.execute(
            "SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class "
            "WHERE oid = %s::regclass",
            [name],
        )
        if not cursor.fetchone()[0]:
            return []
        holds_rows = sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(table)
        cursor.execute(holds_rows)
        if cursor.fetchone()[0]:
            return []
        try:
            # Never waited for: two loads each holding the share lock of the look above and
            # waiting for the other's would deadlock. Anyone else on the table (a reader,
            # another load) means this load upserts, as into a table that holds rows.
            with transaction.atomic():
                cursor.execute(
                    sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE NOWAIT").format(table)
                )
        except psycopg.errors.LockNotAvailable:
            return []
        cursor.execute(holds_rows)  # a concurrent load may have committed rows meanwhile
        if cursor.fetchone()[0]:
            return []
        # The unique keys, and the primary key unless a foreign key refers to it (it would go
        # too). Record tables have no foreign keys of their own (the loader checks the codes);
        # any other table's would stay, as dropping one locks the table it refers to.
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND (contype = 'u' OR contype = 'p' AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint f WHERE f.confrelid = %s::regclass)) "
            "ORDER BY contype DESC, conname",
            [name, name],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
            "AND NOT i.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint k "
            "WHERE k.conrelid = i.indrelid AND k.conindid = i.indexrelid) ORDER BY c.relname",
            [name],
        )
        indexes = cursor.fetchall()
        try:
            # Refused while this transaction has unchecked rows of the table (deferred foreign
            # keys of rows it wrote before this load): then the load upserts.
            with transaction.atomic():
                self._drop(cursor, table, constraints, indexes)
        except psycopg.errors.ObjectInUse:
            return []
        # The foreign keys are checked at the end of the INSERT rather than at the commit: no
        # check may be pending on the table when its unique key is added back.
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f' "
            "AND condeferrable AND condeferred",
            [name],
        )
        kept = [sql.Identifier(c) for (c,) in cursor.fetchall()]
        self.kept = sql.SQL(", ").join(kept) if kept else None
        if self.kept:
            cursor.execute(sql.SQL("SET CONSTRAINTS {} IMMEDIATE").format(self.kept))
        add = sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}")
        return [
            *(add.format(table, sql.Identifier(c), sql.SQL(d)) for c, d in constraints),
            *(sql.SQL(d) for _i, d in indexes),
        ]

    @staticmethod
    def _drop(cursor, table: sql.Identifier, constraints: list, indexes: list) -> None:
        if constraints:
            cursor.execute(
                sql.SQL("ALTER TABLE {} {}").format(
                    table,
                    sql.SQL(", ").join(
                        sql.SQL("DROP CONSTRAINT {}").format(sql.Identifier(c))
                        for c, _d in constraints
                    ),
                )
            )
        if indexes:
            cursor.execute(
                sql.SQL("DROP INDEX {}").format(
                    sql.SQL(", ").join(sql.Identifier(i) for i, _d in indexes)
                )
            )

    def rebuild(self, cursor, statements: list[sql.Composable]) -> None:
        """Recreate the indexes and constraints :meth:`take_empty_table` dropped, with enough
        memory to sort an index at once, and give the planner the new table's statistics."""
        cursor.execute(
            "SELECT set_config('maintenance_work_mem', '256MB', true) FROM pg_settings "
            "WHERE name = 'maintenance_work_mem' AND setting::bigint < 262144"
        )
        for statement in statements:
            cursor.execute(statement)
        if self.kept:  # deferred again (as declared), for the rest of the caller's transaction
            cursor.execute(sql.SQL("SET CONSTRAINTS {} DEFERRED").format(self.kept))
        cursor.execute(
            sql.SQL("ANALYZE {}").format(sql.Identifier(MODELS[self.kind]._meta.db_table))
        )

    def write(self, cursor, rebuild: list[sql.Composable]) -> tuple[int, int]:
        """(created, updated). Into an empty table, the rows are first written without
        sorting them to keep one of each record (files rarely repeat one): a repeat then fails
        the rebuilt unique constraint, and the write is undone and done again keeping the
        first of each, as the row-by-row path does. An upsert always keeps the first of each
        (a repeat may follow an unchanged row, which the upsert leaves without an error)."""
        for distinct in (False, True) if rebuild else (True,):
            try:
                with transaction.atomic():
                    created, updated = self.upsert(
                        cursor, into_empty=bool(rebuild), distinct=distinct
                    )
                    if rebuild:
                        self.rebuild(cursor, rebuild)
                    return created, updated
            except psycopg.errors.UniqueViolation:
                if distinct:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def upsert(self, cursor, *, into_empty: bool, distinct: bool) -> tuple[int, int]:
        """(created, updated). ``into_empty``: the table is empty and locked (no conflict can
        arise), so a plain INSERT. ``distinct``: keep the first row of each record."""
        columns = COLUMNS[self.kind]
        quoted = [connection.ops.quote_name(c) for c in columns]
        cols = ", ".join(quoted)
        key = '"source_system", "source_record_id"'
        data = [connection.ops.quote_name(c) for c in columns if c not in BOOKKEEPING_COLUMNS]
        sets = ", ".join(f"{q} = EXCLUDED.{q}" for q in quoted[2:])
        changed = (
            f"({', '.join('t.' + q for q in data)}) IS DISTINCT FROM "
            f"({', '.join('EXCLUDED.' + q for q in data)})"
        )
        table = connection.ops.quote_name(MODELS[self.kind]._meta.db_table)
        rows = sql.SQL(
            "SELECT DISTINCT ON ({key}) {cols} FROM ({converted} UNION ALL "
            "SELECT rn, {cols} FROM {typed}) s ORDER BY {key}, rn"
            if distinct
            else "SELECT {cols} FROM ({converted} UNION ALL SELECT rn, {cols} FROM {typed}) s"
        ).format(
            cols=sql.SQL(cols),
            key=sql.SQL(key),
            converted=self.select_converted(),
            typed=sql.Identifier(TYPED),
        )
        if into_empty:
            cursor.execute(
                sql.SQL("INSERT INTO {} ({}) {}").format(sql.SQL(table), sql.SQL(cols), rows)
            )
            return cursor.rowcount, 0
        # Rows equal to the stored ones are left out before the upsert, in one anti-join (an
        # export overlapping the last one repeats most of its rows): cheaper than probing and
        # comparing them one by one in ON CONFLICT. The upsert's WHERE still guards the rest.
        rows = sql.SQL(
            "SELECT s.* FROM ({rows}) s WHERE NOT EXISTS (SELECT 1 FROM {table} t "
            "WHERE t.source_system = s.source_system AND t.source_record_id = s.source_record_id "
            "AND ({stored}) IS NOT DISTINCT FROM ({loaded}))"
        ).format(
            rows=rows,
            table=sql.SQL(table),
            stored=sql.SQL(", ").join(sql.SQL("t." + q) for q in data),
            loaded=sql.SQL(", ").join(sql.SQL("s." + q) for q in data),
        )
        statement = sql.SQL(
            "WITH up AS (INSERT INTO {table} AS t ({cols}) {rows} "
            "ON CONFLICT ({key}) DO UPDATE SET {sets} WHERE {changed} "
            "RETURNING (xmax = 0) AS inserted) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
        ).format(
            table=sql.SQL(table),
            cols=sql.SQL(cols),
            rows=rows,
            key=sql.SQL(key),
            sets=sql.SQL(sets),
            changed=sql.SQL(changed),
        )
        cursor.execute(statement)
        created, updated = cursor.fetchone()
        return created, updated

    def run(self, *, skip_bad_rows: bool, progress: Callable[[int, int], None] | None):
        """(read, rejected, errors, created, updated); created and updated are None when the
        file is refused (errors and not ``skip_bad_rows``): nothing was written then."""
        from .arrow_load import ArrowFirstLoad

        django_cursor = connection.cursor()
        cursor = django_cursor.cursor  # psycopg 3's own cursor
        try:
            # The first large load of an empty table: read in columns and copied straight in.
            try:
                with transaction.atomic():
                    result = ArrowFirstLoad(self).run(
                        cursor, skip_bad_rows=skip_bad_rows, progress=progress
                    )
                    if result[3] is None:  # refused: nothing of it is kept
                        raise _Refused(result)
                    return result
            except _Refused as refused:
                return refused.result
            except Untranslatable:
                pass
            # Untranslatable at any step leaves nothing behind (tables, settings) for the
            # Python path, which then reads the file from the start.
            with transaction.atomic():
                return self._run(cursor, skip_bad_rows=skip_bad_rows, progress=progress)
        finally:
            django_cursor.close()

    def _run(self, cursor, *, skip_bad_rows: bool, progress: Callable[[int, int], None] | None):
        try:
            self.copy(cursor, progress)
        except Exception as error:  # bad bytes, ragged rows …: PostgreSQL reads it otherwise
            raise Untranslatable from error
        # Python's csv refuses the whole file at a field longer than its limit.
        too_long = sql.SQL(" OR ").join(
            sql.SQL("octet_length({c}) > {n} AND char_length({c}) > {n}").format(
                c=c, n=sql.Literal(FIELD_LIMIT)
            )
            for c in self.plan.staged
        )
        cursor.execute(
            sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE {})").format(self.raw, too_long)
        )
        if cursor.fetchone()[0]:
            raise Untranslatable
        cursor.execute("SELECT current_setting('TimeZone')")
        (previous,) = cursor.fetchone()
        # Naive times are in the mapping's zone (as RowParser's replace(tzinfo=zone)).
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [self.zone_name])
        cursor.execute("SELECT current_setting('DateStyle')")
        (datestyle,) = cursor.fetchone()
        cursor.execute("SELECT set_config('DateStyle', 'ISO, YMD', true)")
        # The statements are long and run once: compiling them (JIT) costs more than it saves.
        cursor.execute("SELECT current_setting('jit')")
        (jit,) = cursor.fetchone()
        cursor.execute("SELECT set_config('jit', 'off', true)")
        # (on an error the transaction's rollback restores it)
        cursor.execute(sql.SQL("ANALYZE {}").format(self.raw))
        self.find_suspects(cursor)
        blanks, rejected, errors = self.check_suspects(cursor, skip_bad_rows=skip_bad_rows)
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(self.raw))
        read = cursor.fetchone()[0] - blanks
        created = updated = None
        if skip_bad_rows or not errors:
            rebuild = self.take_empty_table(cursor, read - rejected)
            created, updated = self.write(cursor, rebuild)
        cursor.execute("SELECT set_config('TimeZone', %s, true)", [previous])
        cursor.execute("SELECT set_config('DateStyle', %s, true)", [datestyle])
        cursor.execute("SELECT set_config('jit', %s, true)", [jit])
        for table in (self.raw, self.suspect, sql.Identifier(TYPED)):
            cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        return read, rejected, errors, created, updated


def fast_load_possible(table: Any) -> bool:
    return (
        connection.vendor == "postgresql"
        and bool(getattr(table, "path", ""))
        and getattr(table, "format", "") == "csv"
    )
