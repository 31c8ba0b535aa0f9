"""The doors' rows as the rules read them (files and request bodies; no database): a CSV file,
an XLSX sheet or the bulk API's objects become the same batches of raw cells by field
(:class:`~apps.records.rules.Cells`), after the column mapping (columns, value maps,
constants) is applied to whole columns.

A CSV is read in columns by Apache Arrow's reader (multi-threaded, in blocks of
:data:`BLOCK` bytes, at most :data:`AHEAD` blocks ahead of the rows taken, so memory stays flat
as files grow); a file Arrow cannot read as a table (a row with more or fewer cells than the
header) is read again by Python's ``csv`` module, which pads a short row with blank cells.
Spreadsheet cells and JSON values become text by :func:`~apps.records.rules.cell_text`.
A row whose cells are all blank is no row (not counted, not numbered).
"""

from __future__ import annotations

import csv
import io
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as arrow_csv
from django.utils.translation import gettext as _

from cxoffice.errors import ApplicationError

from .fields import FIELDS, FieldSpec
from .models import RecordMapping
from .rules import Cells, cell_text

BLOCK = 1 << 22  # bytes Arrow's reader parses at a time
AHEAD = 4  # blocks read ahead of the rows taken
ROWS = 20_000  # rows of a batch from Python values (API, XLSX)


@dataclass
class Raw:
    """A batch of source rows: columns by the source's column name (Arrow strings from a CSV,
    Python values otherwise), and rows the door refused whole."""

    size: int
    columns: dict[str, Any]
    refused: dict[int, tuple[str | None, str, str]] = field(default_factory=dict)


@dataclass
class Table:
    """The header and the batches of a file or request."""

    header: list[str]
    batches: Callable[[], Iterator[Raw]]
    position: Callable[[], tuple[int, int]] = lambda: (0, 0)  # (done, total) for progress
    # Files: every column must be known (or mapped); a request's objects are checked per row.
    strict_header: bool = True
    rows_expected: int = 0  # about how many rows (a file's estimate from its first block)
    # A CSV that Arrow cannot read as a table: read it again from the start with Python's csv.
    reread: Callable[[], None] | None = None


class Reread(Exception):
    """The file must be read again from its start (by :attr:`Table.reread`): nothing of this
    attempt may be kept."""


def _file_error(message: str) -> ApplicationError:
    return ApplicationError(message, field="file", code="invalid_file")


def _not_utf8() -> ApplicationError:
    return _file_error(_("The file is not UTF-8 text (save the CSV as UTF-8)."))


def open_table(path: str, name: str = "") -> Table:
    """A CSV (UTF-8, BOM or not) or XLSX file; refuses an unreadable one (``file``)."""
    if (name or path).lower().endswith(".xlsx"):
        return _open_xlsx(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            header = [h.strip() for h in next(csv.reader(handle), [])]
            first = handle.read(BLOCK)
    except UnicodeDecodeError as error:
        raise _not_utf8() from error
    except (OSError, csv.Error) as error:
        raise _file_error(_("The file cannot be read: %(error)s") % {"error": error}) from error
    size = os.path.getsize(path)
    lines = first.count("\n")
    whole = len(first) < BLOCK  # the whole file read: its rows are counted, not estimated
    expected = lines if whole else lines * size // max(len(first.encode()), 1)
    reader = _CsvReader(path, header, size)
    return Table(
        header, reader.batches, reader.position, rows_expected=expected, reread=reader.reread
    )


class ReadAhead(io.RawIOBase):
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


class _CsvReader:
    def __init__(self, path: str, header: list[str], size: int) -> None:
        self.path, self.header, self.size = path, header, size
        self.done = 0
        self.python = False  # a row with more or fewer cells than the header: Python's csv

    def reread(self) -> None:
        self.python, self.done = True, 0

    def position(self) -> tuple[int, int]:
        return min(self.done, self.size), self.size

    def batches(self) -> Iterator[Raw]:
        return self._python() if self.python else self._arrow()

    def _arrow(self) -> Iterator[Raw]:
        names = [f"c{i}" for i in range(len(self.header))]

        handle = ReadAhead(self.path)
        try:
            try:
                reader = arrow_csv.open_csv(
                    handle,
                    read_options=arrow_csv.ReadOptions(
                        column_names=names, skip_rows=1, block_size=BLOCK, use_threads=True
                    ),
                    parse_options=arrow_csv.ParseOptions(newlines_in_values=True),
                    convert_options=arrow_csv.ConvertOptions(
                        column_types={n: pa.string() for n in names},
                        strings_can_be_null=False,
                        quoted_strings_can_be_null=False,
                    ),
                )
            except pa.ArrowInvalid as error:  # the first block is read at once
                raise self._refusal(error) from error
            pool = pa.default_memory_pool()
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                except pa.ArrowInvalid as error:
                    raise self._refusal(error) from error
                self.done = handle.read_bytes
                blank = None
                for column in batch.columns:
                    mark = pc.equal(pc.utf8_trim_whitespace(column), "")
                    blank = mark if blank is None else pc.and_(blank, mark)
                if blank is not None and pc.any(blank).as_py():
                    batch = batch.filter(pc.invert(blank))
                columns = {}
                for i, name in enumerate(self.header):
                    columns[name] = batch.column(i)  # the last of repeated names wins
                yield Raw(batch.num_rows, columns)
                handle.consumed(BLOCK)
                pool.release_unused()
        finally:
            handle.close()

    @staticmethod
    def _refusal(error: pa.ArrowInvalid) -> Exception:
        text = str(error)
        if "Expected" in text and "columns" in text:  # a short or long row
            return Reread()
        if "utf8" in text.lower():
            return _not_utf8()
        return _file_error(_("The file is not a readable CSV: %(error)s") % {"error": error})

    def _python(self) -> Iterator[Raw]:
        try:
            with open(self.path, encoding="utf-8-sig", newline="") as handle:
                lines = csv.reader(handle)
                next(lines, None)
                rows: list[list[str]] = []
                for line in lines:
                    if any(cell.strip() for cell in line):
                        rows.append(line)
                    if len(rows) >= ROWS:
                        self.done = handle.buffer.tell()
                        yield self._columns(rows)
                        rows = []
                if rows:
                    yield self._columns(rows)
        except UnicodeDecodeError as error:
            raise _not_utf8() from error
        except csv.Error as error:
            raise _file_error(
                _("The file is not a readable CSV: %(error)s") % {"error": error}
            ) from error

    def _columns(self, rows: list[list[str]]) -> Raw:
        columns = {}
        for i, name in enumerate(self.header):
            columns[name] = pa.array([r[i] if i < len(r) else "" for r in rows], pa.string())
        return Raw(len(rows), columns)


def _open_xlsx(path: str) -> Table:
    import openpyxl  # only when a spreadsheet comes in

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.active
        lines = sheet.iter_rows(values_only=True)
        header = [str(c).strip() if c is not None else "" for c in next(lines, ())]
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise _file_error(_("The file is not a readable XLSX workbook.")) from error
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

    return Table(
        header,
        lambda: _value_batches(rows(), header),
        lambda: (done[0], total),
        rows_expected=total,
    )


def table_from_rows(rows: list[Any]) -> Table:
    """The rows of a bulk request (objects keyed by field name), checked one by one."""
    done = [0]

    def batches() -> Iterator[Raw]:
        for raw in _value_batches(iter(rows), None):
            done[0] += raw.size
            yield raw

    return Table(
        [], batches, lambda: (done[0], len(rows)), strict_header=False, rows_expected=len(rows)
    )


def _value_batches(rows: Iterator[Any], header: list[str] | None) -> Iterator[Raw]:
    """Batches of Python values. ``header`` None: a request's objects, whose keys may differ
    from row to row (a row that is not an object is refused whole)."""
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= ROWS:
            yield _value_batch(chunk, header)
            chunk = []
    if chunk:
        yield _value_batch(chunk, header)


def _value_batch(rows: list[Any], header: list[str] | None) -> Raw:
    refused: dict[int, tuple[str | None, str, str]] = {}
    names = header
    if names is None:
        names = sorted({k for row in rows if isinstance(row, Mapping) for k in row if k})
    columns: dict[str, list] = {name: [] for name in names}
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            refused[index] = (None, _("Each row is an object."), "invalid")
            row = {}
        for name in names:
            columns[name].append(row.get(name))
    return Raw(len(rows), columns, refused)


# --- the mapping -----------------------------------------------------------------------------
class Mapper:
    """The file's columns as record fields: checks the header, names the source column of a
    refused field, and turns raw batches into the rules' cells."""

    def __init__(self, kind: str, table: Table, mapping: RecordMapping | None) -> None:
        self.kind = kind
        self.specs: dict[str, FieldSpec] = FIELDS[kind]
        known = self.specs
        header = table.header
        self.columns: dict[str, str] | None = None  # field → source column; None: same names
        self.value_maps: dict = {}
        self.constants: dict = {}
        self.strict = table.strict_header
        self.header = header
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
            self._check_header(header, table.strict_header)
        else:
            missing = sorted(c for c in mapping.columns if c not in header)
            if missing:
                raise ApplicationError(
                    _("The file has no column %(columns)s (the mapping “%(mapping)s” needs it).")
                    % {"columns": ", ".join(f"“{c}”" for c in missing), "mapping": mapping.name},
                    field=missing[0],
                    code="missing_column",
                )
            self.columns = {f: c for c, f in mapping.columns.items()}
            self.value_maps = mapping.value_maps or {}
            self.constants = mapping.constants or {}

    def _check_header(self, header: list[str], strict: bool) -> None:
        known = self.specs
        unknown = [c for c in header if c and c not in known] if strict else []
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
        missing = [n for n, spec in known.items() if spec.required and n not in header and strict]
        if missing:
            raise ApplicationError(
                _("The file has no column %(columns)s, which every record needs.")
                % {"columns": ", ".join(f"“{c}”" for c in missing)},
                field=missing[0],
                code="missing_column",
            )

    def given(self) -> frozenset[str] | None:
        """The fields every batch of a file carries (its header is the same for every row:
        the mapped or same-named columns, the constants, the value maps); None for a
        request's objects, which each name their own."""
        if not self.strict:
            return None
        header = set(self.header)
        named = {
            name
            for name in self.specs
            if (self.columns.get(name) if self.columns is not None else name) in header
        }
        return frozenset(named | set(self.constants) | set(self.value_maps))

    def column(self, field_name: str | None) -> str | None:
        """The source column of a field, as a refusal names it."""
        if field_name is None or self.columns is None:
            return field_name
        return self.columns.get(field_name, field_name)

    def cells(self, raw: Raw) -> Cells:
        refused = dict(raw.refused)
        if self.columns is None and not self.strict:
            for name in raw.columns:
                if name not in self.specs:  # the first row that names it is refused
                    for index, value in enumerate(raw.columns[name]):
                        if value is not None and index not in refused:
                            refused[index] = (
                                name,
                                _("Unknown field “%(field)s”.") % {"field": name},
                                "unknown_field",
                            )
        cells = Cells(raw.size, {}, refused=refused)
        for name, spec in self.specs.items():
            source = self.columns.get(name) if self.columns is not None else name
            if source is not None and source in raw.columns:
                self._convert(cells, name, spec, raw.columns[source])
            elif name in self.constants:
                self._convert(cells, name, spec, [self.constants[name]] * raw.size)
            if name in self.value_maps:
                self._map_values(cells, name, spec)
        return cells

    @staticmethod
    def _convert(cells: Cells, name: str, spec: FieldSpec, values) -> None:
        if isinstance(values, pa.Array):
            cells.text[name] = values
            return
        texts, not_text, stamps = [], [], []
        for value in values:
            text, wrong, stamp = cell_text(value, spec.type)
            texts.append(text)
            not_text.append(wrong)
            stamps.append(stamp)
        cells.text[name] = pa.array(texts, pa.string())
        if any(not_text):
            cells.not_text[name] = pa.array(not_text, pa.bool_())
        if any(s is not None for s in stamps):
            cells.stamps[name] = pa.array(stamps, pa.timestamp("us"))

    def _map_values(self, cells: Cells, name: str, spec: FieldSpec) -> None:
        """``{"their value": "our value"}`` on the trimmed cell; ``"*"``: anything else."""
        values = self.value_maps[name]
        x = cells.text.get(name, pa.repeat(pa.scalar("", pa.string()), cells.size))
        key = pc.utf8_trim_whitespace(x)
        keys = [k for k in values if k != "*"]
        ours = pa.array([cell_text(values[k], spec.type)[0] for k in keys], pa.string())
        found = pc.index_in(key, value_set=pa.array(keys, pa.string()))
        default = pa.scalar(cell_text(values["*"], spec.type)[0]) if "*" in values else x
        cells.text[name] = pc.if_else(pc.is_valid(found), pc.take(ours, found), default)
