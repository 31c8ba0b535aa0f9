"""The first large load of a record table on PostgreSQL: the file read, checked and converted in
columns (Apache Arrow, multi-threaded C++), and the rows streamed with binary ``COPY`` straight
into the emptied, locked table, whose indexes and unique key are then built once.

This is the load of a history (millions of past orders at go-live); later loads upsert through
:mod:`.fast_load`. It exists because the staging-table route costs several times a plain
``COPY``: ``INSERT … SELECT`` writes row by row, and casting text in SQL parses every timestamp
twice. Here each cell is parsed once, outside the database, and ``COPY`` writes whole pages.

The rules are :mod:`.fast_load`'s, cell for cell: a cell is converted here only when it has a
shape whose conversion is exactly RowParser's (ISO dates and times of 1900–2099, plain digits,
yes/no words, choices, known codes, text without surrounding spaces within its length); every
other row — a "suspect" — goes through :class:`~apps.records.fields.RowParser`, which gives its
values or its refusal with the Python path's message. Anything this reading could take
differently from Python's ``csv`` (a stray quote, ragged rows, bytes that are not UTF-8, an
over-long field, a row of spaces), a repeated record id, or a table that is not empty and free
raises :class:`Untranslatable` before anything is kept: the caller then takes the SQL path.
"""

from __future__ import annotations

import functools
import io
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from cxoffice.errors import ApplicationError, RowError

from ..fields import BOOL, CHOICE, COLUMNS, DATETIME, FALSE, INT, MODELS, REF, TEXT, TRUE
from ..models import SCORE_RANGES, STUCK_AFTER, RecordKind, ShipmentStatus, Stage
from .fast_load import (
    _CSV_DOUBT,
    _ISO,
    FIELD_LIMIT,
    FORMATS,
    PY_SPACE,
    ZONE_DAYS,
    ZONE_START,
    Untranslatable,
    _zone_offsets,
)

if TYPE_CHECKING:  # pragma: no cover
    from .fast_load import FastLoad

try:  # optional at import time: without them every load takes the SQL path
    import pgpq
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv
except ImportError:  # pragma: no cover - both are in requirements.txt
    pa = None

AHEAD = 4  # blocks read ahead of the rows taken
BLOCK = 1 << 22  # bytes
SCAN = 1 << 22
MICRO = 1_000_000


def available() -> bool:
    return pa is not None


@functools.lru_cache(maxsize=32)
def zone_agrees(zone_name: str) -> bool:
    """Arrow's time zone data changes the offset on the days and to the offsets zoneinfo does
    (1900–2099): otherwise a naive time converted here could differ from RowParser's."""
    changes, _days = _zone_offsets(zone_name)
    start = int(ZONE_START.timestamp()) * MICRO
    try:
        utc = pa.array(
            [start + i * 86400 * MICRO for i in range(ZONE_DAYS)], pa.timestamp("us", tz="UTC")
        )
        local = pc.local_timestamp(pc.cast(utc, pa.timestamp("us", tz=zone_name)))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a zone Arrow does not know
        return False
    offsets = pc.divide(
        pc.subtract(pc.cast(local, pa.int64()), pc.cast(utc, pa.int64())), MICRO
    ).to_pylist()
    theirs, before = [], None
    for number, offset in enumerate(offsets):
        if offset != before:
            theirs.append((number, offset))
            before = offset
    return tuple(theirs) == changes


class _Columns:
    """The column types the table takes, as Arrow types (binary COPY needs them exact)."""

    ARROW = {
        "CharField": "string", "TextField": "string", "DateTimeField": "timestamp",
        "DateField": "date", "BooleanField": "bool", "SmallIntegerField": "int16",
        "PositiveSmallIntegerField": "int16", "IntegerField": "int32",
        "PositiveIntegerField": "int32", "BigIntegerField": "int64", "ForeignKey": "int64",
    }  # fmt: skip

    def __init__(self, kind: RecordKind) -> None:
        model = MODELS[kind]
        fields = {f.attname: f for f in model._meta.concrete_fields}
        self.names = list(COLUMNS[kind])
        types = {
            "string": pa.string(), "timestamp": pa.timestamp("us", tz="UTC"),
            "date": pa.date32(), "bool": pa.bool_(), "int16": pa.int16(),
            "int32": pa.int32(), "int64": pa.int64(),
        }  # fmt: skip
        self.types = {}
        for name in self.names:
            internal = fields[name].get_internal_type()
            if internal not in self.ARROW:  # pragma: no cover - every column type is listed
                raise Untranslatable
            self.types[name] = types[self.ARROW[internal]]
        self.schema = pa.schema([(n, self.types[n]) for n in self.names])


class _Paced(io.RawIOBase):
    """The file as Arrow's reader reads it, at most :data:`AHEAD` blocks ahead of the rows
    taken: left alone, its reading thread reads the whole file ahead, and memory grows with
    the file."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.handle = open(path, "rb")  # noqa: SIM115 - closed with this
        self.read_bytes = 0
        self.taken = 0
        self.ready = threading.Condition()

    def readable(self) -> bool:
        return True

    def consumed(self, size: int) -> None:
        with self.ready:
            self.taken += size
            self.ready.notify_all()

    def readinto(self, buffer) -> int:
        with self.ready:
            self.ready.wait_for(lambda: self.closed or self.read_bytes - self.taken < AHEAD * BLOCK)
        if self.closed:
            return 0
        data = self.handle.read(len(buffer))
        buffer[: len(data)] = data
        self.read_bytes += len(data)
        return len(data)

    def close(self) -> None:
        with self.ready:
            super().close()
            self.handle.close()
            self.ready.notify_all()


class _Sender:
    """Sends the encoded blocks from a thread of its own, at most :data:`AHEAD` waiting: the
    next block is read and converted while the database takes the last (Arrow and the
    sending both release the GIL)."""

    def __init__(self, copy) -> None:
        self.copy = copy
        self.blocks: queue.Queue = queue.Queue(maxsize=AHEAD)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self.run, name="records-copy", daemon=True)

    def run(self) -> None:
        while (data := self.blocks.get()) is not None:
            if self.error is None:
                try:
                    self.copy.write(data)
                except BaseException as error:
                    self.error = error

    def __call__(self, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.blocks.put(data)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is not None and self.error is None:
            self.error = exc[1]  # the load stops: what waits is not sent
        self.blocks.put(None)
        self.thread.join()
        if self.error is not None and exc[0] is None:
            raise self.error


class ArrowFirstLoad:
    """One first load, with the plan and parser of a :class:`~.fast_load.FastLoad`."""

    def __init__(self, fast: FastLoad) -> None:
        if not available() or not zone_agrees(fast.zone_name):
            raise Untranslatable
        self.fast = fast
        self.kind = fast.kind
        self.parser = fast.parser
        self.specs = fast.parser.specs
        self.header = fast.plan.header
        self.columns = _Columns(self.kind)
        mapping = fast.mapping
        position = {name: i for i, name in enumerate(self.header) if name}  # the last wins
        # field -> ("column", index) | ("constant", text); value maps: field -> {their: ours}
        self.sources: dict[str, tuple[str, object]] = {}
        if mapping is None:
            for name, i in position.items():
                self.sources[name] = ("column", i)
            date_format, self.value_maps = "", {}
        else:  # _Plan has refused constants and value maps that are not text
            for name, value in (mapping.constants or {}).items():
                self.sources[name] = ("constant", value)
            for column, name in mapping.columns.items():
                self.sources[name] = ("column", position[column])
            date_format, self.value_maps = mapping.date_format, dict(mapping.value_maps or {})
        self.stamp_pattern = FORMATS[date_format] if date_format else _ISO
        self.zone_days = pa.array(list(_zone_offsets(fast.zone_name)[1]), pa.string())
        self.zone_name = fast.zone_name
        self.refs = {
            name: (pa.array(list(codes), pa.string()), pa.array(list(codes.values()), pa.int64()))
            for name, codes in self.parser.vouched_refs.items()
        }

    # --- the file ----------------------------------------------------------------------------
    def scan(self) -> tuple[int, bool]:
        """(about how many rows, whether the file quotes anything); refuses a file whose
        quoting Arrow's reader could take otherwise than Python's ``csv``. (Both end lines at
        LF, CR LF and a lone CR.) The rows are estimated from the first block's
        lines, for the threshold and the progress bar."""
        quoted, tail, size, lines, first = False, b"", 0, 0, 0
        with open(self.fast.path, "rb") as handle:
            while chunk := handle.read(SCAN):
                if not size:
                    lines = max(chunk.count(b"\n"), 1)
                    first = len(chunk)
                size += len(chunk)
                if b'"' in chunk or b"\\" in chunk or b"\\" in tail:
                    quoted = quoted or b'"' in chunk
                    if _CSV_DOUBT.search(tail + chunk):
                        raise Untranslatable
                tail = chunk[-2:]
        return (max(lines * size // first - 1, 0) if first else 0), quoted

    def batches(self, quoted: bool):
        names = [f"c{i}" for i in range(len(self.header))]
        handle = _Paced(self.fast.path)
        try:
            for batch in self._batches(handle, names, quoted):
                yield batch
                handle.consumed(BLOCK)
        finally:
            handle.close()

    def _batches(self, handle, names: list[str], quoted: bool):
        reader = pa_csv.open_csv(
            handle,
            read_options=pa_csv.ReadOptions(
                column_names=names, skip_rows=1, block_size=BLOCK, use_threads=True
            ),
            parse_options=pa_csv.ParseOptions(newlines_in_values=quoted),
            convert_options=pa_csv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        pool = pa.default_memory_pool()
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except (pa.ArrowInvalid, OSError) as error:  # ragged rows, bad UTF-8 …
                raise Untranslatable from error
            yield batch
            pool.release_unused()

    # --- per field ---------------------------------------------------------------------------
    def source(self, batch, name: str):
        """The cells of a field (after the mapping's constants and value maps); "" if none."""
        n = batch.num_rows
        kind, where = self.sources.get(name, ("constant", ""))
        x = batch.column(where) if kind == "column" else pa.repeat(pa.scalar(where), n)
        values = self.value_maps.get(name)
        if values is None:
            return x
        keys = [k for k in values if k != "*"]
        found = pc.index_in(x, value_set=pa.array(keys, pa.string()))
        mapped = pc.take(pa.array([values[k] for k in keys], pa.string()), found)
        default = pa.scalar(values["*"]) if "*" in values else x
        mapped = pc.if_else(pc.is_valid(found), mapped, default)
        # RowParser looks the stripped text up: a cell with spaces at its ends is left to it.
        return pc.if_else(pc.equal(x, pc.utf8_trim(x, PY_SPACE)), mapped, x)

    def given(self, name: str) -> bool:
        return name in self.sources or name in self.value_maps

    def accept(self, x, name: str):
        """Cells converted here exactly as RowParser would (blank where allowed)."""
        spec = self.specs[name]
        if not self.given(name):
            return pa.repeat(pa.scalar(not spec.required), len(x))
        blank = pc.equal(x, "")
        if spec.type == TEXT:
            limit = spec.max_length or FIELD_LIMIT
            check = pc.and_(
                pc.and_(
                    pc.equal(x, pc.utf8_trim(x, PY_SPACE)),
                    pc.less_equal(pc.utf8_length(x), limit),
                ),
                pc.invert(pc.match_substring(x, "\x00")),
            )
        elif spec.type == DATETIME:
            check = pc.match_substring_regex(x, self.stamp_pattern)
            if len(self.zone_days):
                # a naive time on the days around a change of the zone's offset: RowParser's
                near = pc.is_in(pc.utf8_slice_codeunits(x, 0, 10), value_set=self.zone_days)
                if pc.any(near).as_py():
                    naive = pc.invert(self.has_offset(x))
                    check = pc.and_(check, pc.invert(pc.and_(naive, near)))
        elif spec.type == INT:
            digits = len(str(spec.max_value)) - 1 if spec.max_value else 9
            check = pc.match_substring_regex(x, f"^[0-9]{{1,{digits}}}$")
        elif spec.type in (BOOL, CHOICE):
            words = sorted(TRUE | FALSE) if spec.type == BOOL else list(spec.choices)
            check = pc.and_(
                pc.string_is_ascii(x),
                pc.is_in(pc.utf8_lower(x), value_set=pa.array(words, pa.string())),
            )
        elif spec.type == REF:
            check = pc.is_in(x, value_set=self.refs[name][0])
        else:  # pragma: no cover - every type is listed above
            raise Untranslatable
        if spec.required:
            return pc.and_(pc.invert(blank), check)
        return pc.or_(blank, check)

    def value(self, x, name: str):
        """The converted cells (of accepted rows only)."""
        spec = self.specs[name]
        if not self.given(name):
            empty = {TEXT: pa.string(), CHOICE: pa.string()}
            if spec.type in empty:
                return pa.repeat(pa.scalar(""), len(x))
            kind = {DATETIME: pa.timestamp("us", tz="UTC"), INT: pa.int64(), BOOL: pa.bool_()}
            return pa.nulls(len(x), kind.get(spec.type, pa.int64()))
        blank = pc.equal(x, "")
        if spec.type == TEXT:
            return x
        if spec.type == CHOICE:
            return pc.utf8_lower(x)
        if spec.type == DATETIME:
            return self.stamps(pc.if_else(blank, None, x))
        if spec.type == INT:
            return pc.cast(pc.if_else(blank, None, x), pa.int64())
        if spec.type == BOOL:
            low = pc.utf8_lower(x)
            return pc.if_else(
                pc.is_in(low, value_set=pa.array(sorted(TRUE))),
                True,
                pc.if_else(pc.is_in(low, value_set=pa.array(sorted(FALSE))), False, None),
            )
        if spec.type == REF:
            codes, ids = self.refs[name]
            return pc.take(ids, pc.index_in(x, value_set=codes))
        raise Untranslatable  # pragma: no cover

    @staticmethod
    def has_offset(x):
        """Of cells of the accepted shapes: which end with a UTC offset (``Z``, ``±hh:mm``)."""
        sign = pc.is_in(pc.utf8_slice_codeunits(x, -6, -5), value_set=pa.array(["+", "-"]))
        timed = pc.greater(pc.utf8_length(x), 10)  # not a date alone (2026-03-05: a "-")
        return pc.fill_null(pc.or_(pc.ends_with(x, "Z"), pc.and_(timed, sign)), False)

    def stamps(self, x):
        """ISO (or the mapping's format) text → instants: with an offset as given, naive ones
        in the mapping's zone (as RowParser's ``replace(tzinfo=zone)``)."""
        utc = pa.timestamp("us", tz="UTC")
        offset = self.has_offset(x)
        some = pc.any(offset).as_py()
        if some and pc.all(pc.or_(offset, pc.is_null(x))).as_py():
            return pc.cast(x, utc)  # (every cell with an offset: the usual export)
        naive = pc.cast(pc.if_else(offset, None, x) if some else x, pa.timestamp("us"))
        local = pc.cast(pc.assume_timezone(naive, timezone=self.zone_name), utc)
        if not some:
            return local
        return pc.if_else(offset, pc.cast(pc.if_else(offset, x, None), utc), local)

    # --- rows --------------------------------------------------------------------------------
    def convert(self, batch):
        """(accepted, cells, values): which of the batch's rows have only cells converted
        here, and those rows' cells and converted values by field."""
        cells = {name: self.source(batch, name) for name in self.specs}
        ok = None
        for name in self.specs:
            if not self.given(name) and not self.specs[name].required:
                continue
            mark = self.accept(cells[name], name)
            ok = mark if ok is None else pc.and_(ok, mark)
        if "source_system" in self.sources and not self.parser.default_source_system:
            ok = pc.and_(ok, pc.not_equal(cells["source_system"], ""))
        ok = pc.fill_null(ok, False)
        if not pc.all(ok).as_py():
            cells = {name: pc.filter(x, ok) for name, x in cells.items()}
        values = {name: self.value(cells[name], name) for name in self.specs}
        return ok, cells, values

    def rules(self, values, n: int):
        """The checks between cells of the accepted rows (RowParser then names the failure)."""

        def not_before(earlier: str, later: str):
            return pc.fill_null(pc.greater_equal(values[later], values[earlier]), True)

        if self.kind == RecordKind.SHIPMENTS:
            return pc.and_(
                not_before("ordered_at", "delivered_at"), not_before("ordered_at", "promised_at")
            )
        if self.kind == RecordKind.TICKETS:
            contacts = pc.fill_null(pc.not_equal(values["contacts_to_resolve"], 0), True)
            return pc.and_(
                pc.and_(
                    not_before("opened_at", "first_response_at"),
                    not_before("opened_at", "resolved_at"),
                ),
                contacts,
            )
        kind, raw_scale, score = values["survey_type"], values["scale"], values["score"]
        scale = pc.if_else(
            pc.equal(kind, "ces"),
            pc.if_else(pc.equal(raw_scale, ""), "easy_1_7", raw_scale),
            raw_scale,
        )
        ok = pc.or_(pc.equal(kind, "ces"), pc.equal(raw_scale, ""))
        inside = pa.repeat(pa.scalar(False), n)
        for (survey, wording), (low, high) in SCORE_RANGES.items():
            here = pc.and_(pc.equal(kind, str(survey)), pc.equal(scale, str(wording)))
            within = pc.and_(pc.greater_equal(score, low), pc.less_equal(score, high))
            inside = pc.or_(inside, pc.and_(here, within))
        return pc.fill_null(pc.and_(ok, inside), False)

    def derived(self, values, cells, n: int, load_job_id) -> dict:
        """Every column the table takes, for the accepted rows."""
        out = {}
        system = cells["source_system"]
        default = self.parser.default_source_system
        out["source_system"] = (
            pc.if_else(pc.equal(system, ""), default, system) if default else system
        )
        out["source_record_id"] = values["source_record_id"]
        out["load_job_id"] = pa.repeat(pa.scalar(load_job_id, pa.int64()), n)
        for name in self.specs:
            if name not in ("source_system", "source_record_id"):
                column = f"{name}_id" if self.specs[name].type == REF else name
                out[column] = values[name]

        def seconds(start, end):
            us = pc.subtract(pc.cast(end, pa.int64()), pc.cast(start, pa.int64()))
            whole = pc.divide(us, MICRO)  # truncated toward zero: floor it
            return pc.if_else(
                pc.and_(pc.less(us, 0), pc.not_equal(pc.multiply(whole, MICRO), us)),
                pc.subtract(whole, 1),
                whole,
            )

        if self.kind == RecordKind.SURVEYS:
            ces = pc.equal(out["survey_type"], "ces")
            out["scale"] = pc.if_else(
                ces, pc.if_else(pc.equal(out["scale"], ""), "easy_1_7", out["scale"]), ""
            )
        elif self.kind == RecordKind.TICKETS:
            out["first_response_seconds"] = seconds(out["opened_at"], out["first_response_at"])
            out["resolution_seconds"] = seconds(out["opened_at"], out["resolved_at"])
        else:
            t = out
            delivered = pc.is_valid(t["delivered_at"])
            t["status"] = pc.if_else(
                pc.not_equal(t["status"], ""),
                t["status"],
                pc.if_else(
                    delivered, ShipmentStatus.DELIVERED.value, ShipmentStatus.IN_TRANSIT.value
                ),
            )
            zone = pa.timestamp("us", tz=self.zone_name)
            for stamp, day in (("promised_at", "promised_on"), ("delivered_at", "delivered_on")):
                t[day] = pc.cast(pc.local_timestamp(pc.cast(t[stamp], zone)), pa.date32())
            t["payment_seconds"] = seconds(t["ordered_at"], t["paid_at"])
            t["processing_seconds"] = seconds(t["paid_at"], t["warehouse_received_at"])
            t["picking_seconds"] = seconds(t["warehouse_received_at"], t["picked_at"])
            t["sorting_seconds"] = seconds(t["picked_at"], t["sorted_at"])
            t["packing_seconds"] = seconds(
                pc.coalesce(t["sorted_at"], t["picked_at"]), t["packed_at"]
            )
            t["dispatch_seconds"] = seconds(t["packed_at"], t["shipped_at"])
            t["warehouse_seconds"] = seconds(
                pc.coalesce(t["warehouse_received_at"], t["paid_at"]), t["shipped_at"]
            )
            t["carrier_seconds"] = seconds(t["shipped_at"], t["delivered_at"])
            stuck = pa.repeat(pa.scalar(Stage.PAYMENT_CONFIRMATION.value), n)
            for name, stage in reversed(STUCK_AFTER):
                stuck = pc.if_else(pc.is_valid(t[name]), stage.value, stuck)
            done = pc.or_(delivered, pc.equal(t["status"], ShipmentStatus.CANCELLED.value))
            t["stuck_stage"] = pc.if_else(done, "", stuck)
        return {name: pc.cast(out[name], self.columns.types[name]) for name in self.columns.names}

    @staticmethod
    def refuse_rows_of_spaces(batch, empty) -> None:
        """A row of blank cells that are not all empty (a space, a tab) is no row for the
        Python path either: the SQL path, which counts those (rare) for the row numbers, takes
        the file."""
        first = batch.column(0)
        spaces = pc.and_(pc.equal(pc.utf8_trim(first, PY_SPACE), ""), pc.invert(empty))
        if not pc.any(spaces).as_py():
            return
        for column in batch.columns[1:]:
            spaces = pc.and_(spaces, pc.equal(pc.utf8_trim(column, PY_SPACE), ""))
        if pc.any(spaces).as_py():
            raise Untranslatable

    # --- the load ----------------------------------------------------------------------------
    def run(self, cursor, *, skip_bad_rows: bool, progress: Callable[[int, int], None] | None):
        """(read, rejected, errors, created, updated), or Untranslatable with nothing kept
        (the caller runs this inside a savepoint)."""
        from .loading import ERRORS_KEPT

        lines, quoted = self.scan()
        rebuild = self.fast.take_empty_table(cursor, lines)
        if not rebuild:
            raise Untranslatable
        table = MODELS[self.kind]._meta.db_table
        # The ids are given, not drawn one by one from the sequence: the table is empty and
        # locked, so the numbers after the sequence's next one are this load's to give; the
        # sequence is moved past them at the end (a rollback leaves a gap, as any would).
        pk = MODELS[self.kind]._meta.pk.column
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
        (sequence,) = cursor.fetchone()
        cursor.execute("SELECT nextval(%s)", [sequence])
        (next_id,) = cursor.fetchone()
        first_id = next_id
        names = [pk, *self.columns.names]
        schema = pa.schema([pa.field(pk, pa.int64()), *self.columns.schema])
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, names))
        )
        encoder = pgpq.ArrowToPostgresBinaryEncoder(schema)
        read = rejected = created = 0
        errors: list[RowError] = []
        load_job_id = self.fast.load_job_id

        def rows(arrays: list) -> bytes:
            nonlocal next_id
            count = len(arrays[0])
            ids = pa.array(range(next_id, next_id + count), pa.int64())
            next_id += count
            return encoder.write_batch(pa.RecordBatch.from_arrays([ids, *arrays], schema=schema))

        try:
            with cursor.copy(statement) as copy, _Sender(copy) as send:
                send(encoder.write_header())
                for batch in self.batches(quoted):
                    n = batch.num_rows
                    empty = None
                    for column in batch.columns:
                        mark = pc.equal(column, "")
                        empty = mark if empty is None else pc.and_(empty, mark)
                    self.refuse_rows_of_spaces(batch, empty)
                    for column in batch.columns:
                        if (pc.max(pc.utf8_length(column)).as_py() or 0) > FIELD_LIMIT:
                            raise Untranslatable  # Python's csv refuses the file there
                    if pc.any(empty).as_py():
                        batch = batch.filter(pc.invert(empty))
                        n = batch.num_rows
                    try:
                        ok, cells, values = self.convert(batch)
                        good = self.rules(values, len(cells["source_record_id"]))
                    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                        raise Untranslatable from error  # e.g. a time the zone skips
                    suspects = pc.indices_nonzero(pc.invert(ok)).to_pylist()
                    accepted = pc.indices_nonzero(ok)
                    failed = pc.take(accepted, pc.indices_nonzero(pc.invert(good))).to_pylist()
                    suspects = sorted(suspects + failed)
                    writing = skip_bad_rows or not errors
                    if writing and len(suspects) < n:
                        n_good = pc.sum(pc.cast(good, pa.int64())).as_py() or 0
                        if n_good < len(good):
                            values = {k: pc.filter(v, good) for k, v in values.items()}
                            cells = {k: pc.filter(v, good) for k, v in cells.items()}
                        columns = self.derived(values, cells, n_good, load_job_id)
                        send(rows(list(columns.values())))
                        created += n_good
                    parsed = []
                    for index in suspects:
                        line = [batch.column(i)[index].as_py() for i in range(batch.num_columns)]
                        try:
                            row = self.fast.mapper(dict(zip(self.header, line, strict=True)))
                            parsed.append(self.parser.parse(row))
                        except ApplicationError as error:
                            rejected += 1
                            if len(errors) < ERRORS_KEPT:
                                errors.append(
                                    RowError(
                                        read + index,
                                        self.fast.mapper.column(error.field),
                                        str(error.message),
                                        error.code,
                                    )
                                )
                    if parsed and (skip_bad_rows or not errors):
                        arrays = [
                            pa.array([row[i] for row in parsed], self.columns.types[name])
                            for i, name in enumerate(self.columns.names)
                        ]
                        send(rows(arrays))
                        created += len(parsed)
                    read += n
                    if progress:
                        progress(min(read, lines), max(lines, 1))
                send(encoder.finish())
        except (psycopg.errors.DataError, psycopg.errors.IntegrityError) as error:
            # A value the database refused after all: the SQL path reads the file again and
            # names the row (nothing of this attempt is kept).
            raise Untranslatable from error
        if errors and not skip_bad_rows:
            return read, rejected, errors, None, None
        try:
            if next_id > first_id:
                cursor.execute("SELECT setval(%s, %s)", [sequence, next_id - 1])
            self.fast.rebuild(cursor, rebuild)
        except psycopg.errors.UniqueViolation as error:
            # A record id repeated in the file: the SQL path keeps the first of each.
            raise Untranslatable from error
        return read, rejected, errors, created, 0
