"""One writer per database for the checked batches of a load.

PostgreSQL: binary ``COPY`` (pgpq encodes the Arrow batches) into a temporary staging table,
then set-based statements that write only what changed: one join of the staged rows with the
table finds the new and the changed records, one ``UPDATE`` and one ``INSERT`` write them. The
first large load into an empty table (the history, at go-live) is copied straight into it, with
its keys and indexes dropped and built once after. The table is locked against other writers
(``SHARE ROW EXCLUSIVE``: readers go on) for the load's transaction, so two loads of one kind
take turns rather than race for the same record ids.

SQLite: batches of ``INSERT … ON CONFLICT DO UPDATE … WHERE <something changed>``.

Within one load the first occurrence of a record id wins (``rn``: the row's number in the file).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import queue
import threading

import pgpq
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import connection, transaction
from psycopg import sql

from ..fields import BOOKKEEPING_COLUMNS, COLUMNS
from ..models import RECORD_MODELS

SQLITE_BATCH = 1000
STAGE = "records_stage"
CHANGED = "records_changed"
ARROW = {
    "CharField": pa.string(), "TextField": pa.string(), "DateTimeField": pa.timestamp("us", "UTC"),
    "DateField": pa.date32(), "BooleanField": pa.bool_(), "SmallIntegerField": pa.int16(),
    "PositiveSmallIntegerField": pa.int16(), "IntegerField": pa.int32(),
    "PositiveIntegerField": pa.int32(), "BigIntegerField": pa.int64(), "ForeignKey": pa.int64(),
}  # fmt: skip


KEY = sql.SQL("s.source_record_id = t.source_record_id AND s.source_system = t.source_system")


class _RepeatedInLoad(Exception):
    """A stored record changed by a row whose record id the load holds more than once."""


class Repeated(Exception):
    """A record id repeats in a load copied straight into the emptied table: the load is done
    again through the staging table, which keeps the first of each."""


class _Table:
    """The table and columns a load of one record kind writes."""

    def __init__(self, kind: str) -> None:
        self.model = RECORD_MODELS[kind]
        self.name = self.model._meta.db_table
        self.columns = list(COLUMNS[kind])
        fields = {f.attname: f for f in self.model._meta.concrete_fields}
        self.fields = [fields[c] for c in self.columns]
        self.types = [ARROW[f.get_internal_type()] for f in self.fields]
        self.data = [c for c in self.columns if c not in BOOKKEEPING_COLUMNS]

    def arrays(self, columns: dict[str, pa.Array]) -> list[pa.Array]:
        return [columns[c].cast(t) for c, t in zip(self.columns, self.types, strict=True)]


class _Sender:
    """Sends encoded blocks to the COPY from a thread of its own, a few waiting: the next batch
    is read and checked while the database takes the last (Arrow and the sending both release
    the GIL)."""

    def __init__(self, copy) -> None:
        self.copy = copy
        self.blocks: queue.Queue = queue.Queue(maxsize=4)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self.run, name="records-copy", daemon=True)
        self.thread.start()

    def run(self) -> None:
        while (data := self.blocks.get()) is not None:
            if self.error is None:
                try:
                    self.copy.write(data)
                except BaseException as error:  # handed to the loading thread
                    self.error = error

    def __call__(self, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.blocks.put(data)

    def close(self, failed: bool) -> None:
        if failed and self.error is None:
            self.error = RuntimeError("load stopped")  # what waits is not sent
        self.blocks.put(None)
        self.thread.join()
        if self.error is not None and not failed:
            raise self.error


class PostgresWriter:
    """Binary COPY into the staging table (or the emptied table), then the set-based write."""

    def __init__(
        self,
        kind: str,
        *,
        rows_expected: int,
        straight: bool = True,
        unwritten: frozenset = frozenset(),
    ) -> None:
        self.table = _Table(kind)
        # Columns null in every row are left out of the COPY (the database writes their null):
        # a feed without warehouse scans sends a third less.
        self.copied = [
            (c, t)
            for c, t, f in zip(self.table.columns, self.table.types, self.table.fields, strict=True)
            if c not in unwritten or not f.null
        ]
        self.rows_expected = rows_expected
        self.straight = straight  # may copy straight into an empty table
        self.rebuild: list[sql.Composable] = []
        self.kept: sql.Composable | None = None
        self.direct = False  # copied straight into the table (else into the stage)
        self.appending = False  # … into a table that holds records

    def __enter__(self):
        self.django_cursor = connection.cursor()
        cursor = self.cursor = self.django_cursor.cursor  # psycopg 3's own cursor
        cursor.execute(
            sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(
                sql.Identifier(self.table.name)
            )
        )
        self.open = False  # the COPY starts with the first batch (which may decide where to)
        self.started = False
        self.written = 0
        return self

    def _start(self, columns: dict[str, pa.Array] | None) -> None:
        """Start the COPY: straight into the table when it is empty (:meth:`_empty_table`) or
        the load looks like new records only (:meth:`_new_records`), else into the stage."""
        self.started = True
        cursor = self.cursor
        name = sql.Identifier(self.table.name)
        columns_written = [c for c, _t in self.copied]
        if self.straight:
            self.rebuild = self._empty_table()
            self.direct = bool(self.rebuild)
            if not self.direct and columns is not None:
                self.direct = self.appending = self._new_records(columns)
        if self.direct:
            pk = self.table.model._meta.pk.column
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [self.table.name, pk])
            (self.sequence,) = cursor.fetchone()
            cursor.execute("SELECT nextval(%s)", [self.sequence])
            (self.next_id,) = cursor.fetchone()
            self.first_id = self.next_id
            target, lead = name, pk
        else:
            self._stage_tables()
            target, lead = sql.Identifier(self.stage), "rn"
        self.schema = pa.schema(
            [pa.field(lead, pa.int64())] + [pa.field(c, t) for c, t in self.copied]
        )
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(
            target, sql.SQL(", ").join(map(sql.Identifier, [lead, *columns_written]))
        )
        self.encoder = pgpq.ArrowToPostgresBinaryEncoder(self.schema)
        self._copy = cursor.copy(statement)
        self.send = _Sender(self._copy.__enter__())
        self.send(self.encoder.write_header())
        self.open = True

    def _stage_tables(self) -> None:
        """The staging table: unlogged, of this connection alone (its name holds the server
        process's id) and of this transaction (a rollback removes it with everything else),
        with the table's column types and collations. Unlike a temporary table it can be read
        by parallel workers: the join that finds what changed runs on every core. A role that
        may not create tables in the schema stages in a temporary table."""
        cursor = self.cursor
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
        self.stage, self.changed = f"{STAGE}_{pid}", f"{CHANGED}_{pid}"
        self.unlogged = sql.SQL("UNLOGGED")
        create = sql.SQL(
            "CREATE {kind} TABLE {stage} AS SELECT NULL::bigint AS rn, {columns} FROM {table} "
            "WITH NO DATA"
        )
        for name in (self.changed, self.stage):
            cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
        arguments = {
            "stage": sql.Identifier(self.stage),
            "columns": sql.SQL(", ").join(map(sql.Identifier, self.table.columns)),
            "table": sql.Identifier(self.table.name),
        }
        try:
            with transaction.atomic():
                cursor.execute(create.format(kind=self.unlogged, **arguments))
        except psycopg.errors.InsufficientPrivilege:
            self.unlogged = sql.SQL("TEMP")
            cursor.execute(create.format(kind=self.unlogged, **arguments))

    def write(self, columns: dict[str, pa.Array], rows: pa.Array) -> None:
        """Take a batch of accepted rows (``rows``: their numbers in the load)."""
        if not self.started:
            self._start(columns)
        if self.direct:
            lead = pa.array(range(self.next_id, self.next_id + len(rows)), pa.int64())
            self.next_id += len(rows)
        else:
            lead = rows
        arrays = [columns[c].cast(t) for c, t in self.copied]
        batch = pa.RecordBatch.from_arrays([lead, *arrays], schema=self.schema)
        with self._guessed_new():
            self.send(self.encoder.write_batch(batch))
        self.written += len(rows)

    @contextlib.contextmanager
    def _guessed_new(self):
        """A copy straight into a table whose unique key is kept: a stored or repeated record
        id stops it (:class:`Repeated`)."""
        try:
            yield
        except psycopg.errors.UniqueViolation as error:
            if self.appending:
                raise Repeated from error
            raise

    def _end_copy(self, error: BaseException | None) -> None:
        if not self.open:
            return
        self.open = False
        try:
            if error is None:
                self.send(self.encoder.finish())
        finally:
            self.send.close(failed=error is not None)
            self._copy.__exit__(type(error) if error else None, error, None)

    def __exit__(self, kind, error, trace) -> None:
        if self.started:
            self._end_copy(error)
        self.django_cursor.close()

    def finish(self) -> tuple[int, int]:
        """(created, updated)."""
        if not self.started:
            self._start(None)
        with self._guessed_new():
            self._end_copy(None)
        if self.direct:
            return self._rebuilt(), 0
        return self._upsert()

    # --- the set-based write ------------------------------------------------------------
    def _upsert(self) -> tuple[int, int]:
        """(created, updated). A record id repeated in the load is found by the write itself
        (the table's unique key refuses a second new one; a changed stored record is checked
        against the other staged rows of its id): the write is then undone and done again
        with only the first row of each id."""
        cursor = self.cursor
        # One statement each, run once: planning them with JIT costs more than it saves; the
        # join hashes the staged rows in memory rather than in batches on disk.
        cursor.execute("SELECT set_config('jit', 'off', true)")
        cursor.execute("SELECT set_config('work_mem', '256MB', true)")
        # Parallel workers read the stage and the table (each row they pass on is a new or a
        # changed record: few, when a month is loaded again).
        cursor.execute("SELECT set_config('parallel_tuple_cost', '0', true)")
        try:
            with transaction.atomic():
                return self._write_changes(repeats_possible=True)
        except (psycopg.errors.UniqueViolation, _RepeatedInLoad):
            cursor.execute(
                sql.SQL("DELETE FROM {stage} s USING {stage} t WHERE {key} AND t.rn < s.rn").format(
                    stage=sql.Identifier(self.stage), key=KEY
                )
            )
            with transaction.atomic():
                return self._write_changes(repeats_possible=False)

    def _write_changes(self, *, repeats_possible: bool) -> tuple[int, int]:
        cursor = self.cursor
        table = sql.Identifier(self.table.name)
        stage, changed = sql.Identifier(self.stage), sql.Identifier(self.changed)
        data = [sql.Identifier(c) for c in self.table.data]
        cursor.execute(
            sql.SQL(
                "CREATE {kind} TABLE {changed} AS SELECT t.id AS existing, s.* "
                "FROM {stage} s LEFT JOIN {table} t ON {key} "
                "WHERE t.id IS NULL OR ({stored}) IS DISTINCT FROM ({loaded})"
            ).format(
                kind=self.unlogged,
                changed=changed,
                stage=stage,
                table=table,
                key=KEY,
                stored=sql.SQL(", ").join(sql.SQL("t.{}").format(c) for c in data),
                loaded=sql.SQL(", ").join(sql.SQL("s.{}").format(c) for c in data),
            )
        )
        cursor.execute(
            sql.SQL("SELECT count(existing), count(*) - count(existing) FROM {}").format(changed)
        )
        to_update, to_create = cursor.fetchone()
        updated = created = 0
        if to_update:
            if repeats_possible:
                # A count, not EXISTS: the planner would probe the stage row by row for an
                # early answer that, without repeats, never comes.
                cursor.execute(
                    sql.SQL(
                        "SELECT count(*) FROM {changed} t JOIN {stage} s ON {key} "
                        "WHERE t.existing IS NOT NULL AND s.rn <> t.rn"
                    ).format(changed=changed, stage=stage, key=KEY)
                )
                if cursor.fetchone()[0]:
                    raise _RepeatedInLoad
            written = [sql.Identifier(c) for c in self.table.columns[2:]]  # not the key
            cursor.execute(
                sql.SQL(
                    "UPDATE {table} t SET {sets} FROM {changed} c WHERE t.id = c.existing"
                ).format(
                    table=table,
                    sets=sql.SQL(", ").join(sql.SQL("{0} = c.{0}").format(c) for c in written),
                    changed=changed,
                )
            )
            updated = cursor.rowcount
        if to_create:
            rebuild = self._appending(to_create)
            columns = sql.SQL(", ").join(map(sql.Identifier, self.table.columns))
            cursor.execute(
                sql.SQL(
                    "INSERT INTO {table} ({columns}) SELECT {columns} FROM {changed} "
                    "WHERE existing IS NULL"
                ).format(table=table, columns=columns, changed=changed)
            )
            created = cursor.rowcount
            self._build(rebuild)  # a repeated new record id fails the unique key here
        for name in (changed, stage):
            cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(name))
        return created, updated

    def _appending(self, rows: int) -> list[sql.Composable]:
        """New records at least as many as half the table holds (a month of orders into the
        first months): maintaining the unique key and the secondary indexes row by row costs
        more than building them again (PostgreSQL's advice for large loads), so they are
        dropped for the insert — when no one is reading the table at that moment (the lock
        is not waited for) and the loading role owns it. The primary key stays."""
        if rows < _rebuild_min_rows():
            return []
        self.cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [self.table.name]
        )
        if rows * 2 < self.cursor.fetchone()[0]:
            return []
        return self._take(primary=False)

    def _new_records(self, columns: dict[str, pa.Array]) -> bool:
        """A large load whose first batch holds no stored record id (the next month's orders)
        is copied straight into the table, as into an empty one: staging, comparing and
        inserting each row again would cost three times the copy. Its unique key proves the
        guess at the end (or, when kept, row by row): a stored or repeated record id makes it
        :class:`Repeated`, and the load is done again through the stage. What
        :meth:`_appending` drops is built again at the end; the indexes it keeps are written
        row by row."""
        if self.rows_expected < _rebuild_min_rows():
            return False
        self.cursor.execute(
            sql.SQL(
                "SELECT EXISTS (SELECT 1 FROM unnest(%s::text[], %s::text[]) AS k(id, system) "
                'JOIN {} t ON t.source_record_id = k.id COLLATE "C" '
                'AND t.source_system = k.system COLLATE "C")'
            ).format(sql.Identifier(self.table.name)),
            [
                columns["source_record_id"].to_pylist(),
                columns["source_system"].to_pylist(),
            ],
        )
        if self.cursor.fetchone()[0]:
            return False
        self.rebuild = self._appending(self.rows_expected)
        return True

    def _build(self, statements: list[sql.Composable]) -> None:
        if not statements:
            return
        self.cursor.execute(
            "SELECT set_config('maintenance_work_mem', '256MB', true) FROM pg_settings "
            "WHERE name = 'maintenance_work_mem' AND setting::bigint < 262144"
        )
        for statement in statements:
            self.cursor.execute(statement)
        if self.kept:  # deferred again (as declared), for the rest of the caller's transaction
            self.cursor.execute(sql.SQL("SET CONSTRAINTS {} DEFERRED").format(self.kept))

    # --- into an empty table ------------------------------------------------------------
    def _empty_table(self) -> list[sql.Composable]:
        """A large load into an empty table (the first load of a history) follows PostgreSQL's
        advice for populating a database: drop the table's secondary indexes, its unique key
        and its primary key, copy, then build each index once — several times faster than
        maintaining them row by row. Worth it from ``RECORDS_REBUILD_MIN_ROWS`` rows (setting,
        default 50,000)."""
        if self.rows_expected < _rebuild_min_rows():
            return []
        self.cursor.execute(
            sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(self.table.name))
        )
        if self.cursor.fetchone()[0]:
            return []
        return self._take(primary=True)

    def _take(self, *, primary: bool) -> list[sql.Composable]:
        """Lock the table (ACCESS EXCLUSIVE, until the load commits) and drop its unique keys
        and secondary indexes (and its primary key, when ``primary``). Returns the statements
        that recreate what was dropped, exactly as it was (definitions read from the catalog,
        same names), or [] when the loading role does not own the table or someone is reading
        it; a rollback restores the indexes and constraints with everything else."""
        cursor, name = self.cursor, self.table.name
        table = sql.Identifier(name)
        cursor.execute(
            "SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class "
            "WHERE oid = %s::regclass",
            [name],
        )
        if not cursor.fetchone()[0]:
            return []
        try:
            # Never waited for: a reader of the table makes this load keep the indexes.
            with transaction.atomic():
                cursor.execute(
                    sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE NOWAIT").format(table)
                )
        except psycopg.errors.LockNotAvailable:
            return []
        # The unique keys, and the primary key unless a foreign key refers to it. Record tables
        # have no foreign keys of their own (the loader checks the codes); any other table's
        # would stay, as dropping one locks the table it refers to.
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND (contype = 'u' OR contype = 'p' AND %s AND "
            "NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.confrelid = %s::regclass)) "
            "ORDER BY contype DESC, conname",
            [name, primary, name],
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
            # keys of rows it wrote before this load): then the load goes through the stage.
            with transaction.atomic():
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
        except psycopg.errors.ObjectInUse:
            return []
        # Foreign keys are checked at the end of the copy rather than at the commit: no check
        # may be pending on the table when its unique key is added back.
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

    def _rebuilt(self) -> int:
        """Recreate what :meth:`_empty_table` or :meth:`_appending` dropped, with enough
        memory to sort an index at once, and give the planner first statistics of the table
        (from a small sample: autovacuum's full ``ANALYZE`` follows the commit, as the load
        changed far more rows than its threshold). A repeated or stored record id fails the
        unique key: :class:`Repeated`."""
        cursor = self.cursor
        if self.next_id > self.first_id:
            # The ids were given, not drawn one by one: no one else writes to the locked
            # table, so the numbers after the sequence's next one were this load's to give.
            cursor.execute("SELECT setval(%s, %s)", [self.sequence, self.next_id - 1])
        try:
            with transaction.atomic():
                self._build(self.rebuild)
        except psycopg.errors.UniqueViolation as error:
            raise Repeated from error
        cursor.execute("SELECT current_setting('default_statistics_target')")
        (target,) = cursor.fetchone()
        cursor.execute("SELECT set_config('default_statistics_target', '10', true)")
        cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(self.table.name)))
        cursor.execute("SELECT set_config('default_statistics_target', %s, true)", [target])
        return self.written


class SqliteWriter:
    """Batches of ``INSERT … ON CONFLICT DO UPDATE … WHERE <something changed>``. SQLite is the
    small-scale database: the record ids of the load are kept in memory (the first wins)."""

    def __init__(self, kind: str, **_options) -> None:
        self.table = _Table(kind)

    def __enter__(self):
        ops = connection.ops
        name = ops.quote_name(self.table.name)
        quoted = [ops.quote_name(c) for c in self.table.columns]
        sets = ", ".join(f"{q} = excluded.{q}" for q in quoted[2:])
        changed = " OR ".join(
            f"{name}.{ops.quote_name(c)} IS NOT excluded.{ops.quote_name(c)}"
            for c in self.table.data
        )
        self.sql = (
            f"INSERT INTO {name} ({', '.join(quoted)}) VALUES ({', '.join(['%s'] * len(quoted))}) "  # noqa: S608 - identifiers only
            f'ON CONFLICT ("source_system", "source_record_id") DO UPDATE SET {sets} '
            f"WHERE {changed}"
        )
        self.name = name
        self.seen: dict[str, set[str]] = {}
        self.batch: list[tuple] = []
        self.created = self.updated = 0
        self.cursor = connection.cursor()
        return self

    def __exit__(self, *exc) -> None:
        self.cursor.close()

    def write(self, columns: dict[str, pa.Array], rows: pa.Array) -> None:
        arrays = [_sqlite_values(a) for a in self.table.arrays(columns)]
        for values in zip(*arrays, strict=True):
            seen = self.seen.setdefault(values[0], set())  # by source system: no key tuples
            if values[1] in seen:
                continue
            seen.add(values[1])
            self.batch.append(values)
            if len(self.batch) >= SQLITE_BATCH:
                self._flush()

    def _flush(self) -> None:
        if not self.batch:
            return
        existing: set[tuple] = set()
        by_system: dict[str, list[str]] = {}
        for system, record_id in {(row[0], row[1]) for row in self.batch}:
            by_system.setdefault(system, []).append(record_id)
        for system, ids in by_system.items():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                self.cursor.execute(
                    f'SELECT "source_record_id" FROM {self.name} '  # noqa: S608 - identifiers only
                    f'WHERE "source_system" = %s AND "source_record_id" IN '
                    f"({', '.join(['%s'] * len(chunk))})",
                    [system, *chunk],
                )
                existing.update((system, r) for (r,) in self.cursor.fetchall())
        new = len(self.batch) - len(existing)
        self.cursor.executemany(self.sql, self.batch)
        self.created += new
        self.updated += max(self.cursor.rowcount - new, 0)
        self.batch = []

    def finish(self) -> tuple[int, int]:
        self._flush()
        return self.created, self.updated


def _sqlite_values(array: pa.Array) -> list:
    """A column as SQLite keeps it, the way Django writes it: times as UTC text
    ``2026-03-01 10:00:00[.250000]`` (decimals only when there are some), dates as
    ``2026-03-01``."""
    if pa.types.is_timestamp(array.type):
        if connection.timezone != dt.UTC and str(connection.timezone) != "UTC":
            adapt = connection.ops.adapt_datetimefield_value
            return [adapt(v) if v is not None else None for v in array.to_pylist()]
        naive = array.cast(pa.timestamp("us"))
        micro = pc.cast(naive, pa.int64())
        whole = pc.equal(pc.subtract(micro, pc.multiply(pc.divide(micro, 1_000_000), 1_000_000)), 0)
        seconds = pc.cast(naive, pa.timestamp("s"), safe=False)
        form = "%Y-%m-%d %H:%M:%S"  # (%S of a µs time writes its decimals too)
        return pc.if_else(
            whole, pc.strftime(seconds, format=form), pc.strftime(naive, format=form)
        ).to_pylist()
    if pa.types.is_date32(array.type):
        return pc.strftime(array, format="%Y-%m-%d").to_pylist()
    return array.to_pylist()


def _rebuild_min_rows() -> int:
    return int(getattr(settings, "RECORDS_REBUILD_MIN_ROWS", 50_000))


def writer_for(
    kind: str, *, rows_expected: int, straight: bool = True, unwritten: frozenset = frozenset()
):
    """``unwritten``: columns null in every row of the load (:func:`rules.always_null`)."""
    writer = PostgresWriter if connection.vendor == "postgresql" else SqliteWriter
    return writer(kind, rows_expected=rows_expected, straight=straight, unwritten=unwritten)
