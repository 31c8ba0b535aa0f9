"""The rules of a CX record, written once, as operations on whole columns (Apache Arrow compute).

Every door (a CSV or XLSX file, the bulk API's rows) turns its rows into the same batches of raw
cells (:class:`Cells`), and :func:`check` applies to a whole batch each field's type, range and
parsing (:mod:`apps.records.fields`), each check between cells and each derived column. A
refusal is a mask over the batch's rows, so the same code names the row and the field of every
refused row, with the message a person reads; each refused row is reported once, for the first
rule it breaks, in the order a person reads the record (:data:`ORDER`).

Pure: no ORM. The codes a record may name, the loader's rights and the mapping's date format and
time zone come in a :class:`Context`.

Cells, as the rules read them: text is trimmed of white space at both ends (blank: nothing
left). Whole numbers are ASCII digits. Yes/no: 1/0, true/false, t/f, yes/no, y/n (any case, ASCII
letters); choices likewise.
Dates and times: ISO 8601 as Arrow reads it (``2026-11-16``, ``2026-11-16T09``,
``2026-11-16T09:30``, seconds and decimals — cut at the µs —, ``T`` or a space, ``Z`` or an
offset ``+05:30``/``+0530``/``+05``; a day that exists), or the mapping's ``strptime`` format.
A time without an offset is in the mapping's zone, read as Python's zoneinfo reads a
wall-clock time (``fold=0``): an hour the clocks repeat is its first, an hour they skip keeps
the offset from before the change.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
from django.utils.translation import gettext as _

from .fields import BOOL, CHOICE, DATETIME, FALSE, FIELDS, INT, REF, TEXT, TRUE, WHAT, FieldSpec
from .kinds import SCORE_RANGES, STUCK_AFTER, CesScale, RecordKind, ShipmentStatus, Stage

MICRO = 1_000_000
UTC_US = pa.timestamp("us", tz="UTC")
ISO_FORMAT = "ISO 8601 (2026-11-16T09:30)"
_SIGNS = pa.array([b"+", b"-"], pa.binary())
EMPTY = {INT: pa.int64(), BOOL: pa.bool_(), REF: pa.int64(), DATETIME: UTC_US}
_WHOLE = r"^-?[0-9]+$"

TIMESTAMPS = {
    RecordKind.SURVEYS: ("answered_at",),
    RecordKind.TICKETS: ("opened_at", "first_response_at", "resolved_at"),
    RecordKind.SHIPMENTS: (
        "ordered_at", "paid_at", "warehouse_received_at", "picked_at", "sorted_at",
        "packed_at", "shipped_at", "delivered_at", "promised_at",
    ),
}  # fmt: skip
# The order a record's rules are read in: a field (its cell's rules), or a check between cells
# named after the field it refuses ("~field").
ORDER = {
    RecordKind.SURVEYS: (
        "source_system", "source_record_id", "department", "survey_type", "scale", "~scale",
        "score", "~score", "answered_at", "channel", "comment", "order_ref", "customer_ref",
        "agent",
    ),
    RecordKind.TICKETS: (
        "source_system", "source_record_id", "department", "opened_at", "first_response_at",
        "resolved_at", "~first_response_at", "~resolved_at", "contacts_to_resolve", "channel",
        "category", "agent",
    ),
    RecordKind.SHIPMENTS: (
        "source_system", "source_record_id", "department", *TIMESTAMPS[RecordKind.SHIPMENTS],
        "~delivered_at", "~promised_at", "status", "items_ordered", "items_delivered",
        "order_ref", "first_attempt_ok", "damaged", "lost", "documents_ok", "warehouse",
        "carrier", "courier", "picker", "packer",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Context:
    """What the rules of one load need beyond the cells."""

    kind: str
    refs: Mapping[str, Mapping[str, int]]  # field → {code: id}: department … , people (numbers)
    zone: str = "UTC"  # of times without an offset, and of the local calendar dates
    date_format: str = ""  # strptime format of the date/time cells; "": ISO 8601
    default_source_system: str = ""
    load_job_id: int | None = None
    stewarded: frozenset[int] | None = None  # the departments a data steward may load for
    company: bool = True  # may load records without a department (company numbers)
    _arrays: dict = field(default_factory=dict, compare=False, repr=False)

    def ref_arrays(self, name: str) -> tuple[pa.Array, pa.Array]:
        """The codes a reference field may name and their ids, as Arrow arrays (made once a
        load: a hundred thousand employee numbers)."""
        codes = self.refs.get(name, {})
        key = id(codes)
        if key not in self._arrays:
            self._arrays[key] = (
                pa.array(list(codes), pa.string()),
                pa.array(list(codes.values()), pa.int64()),
            )
        return self._arrays[key]


def _look_up(x: pa.Array, codes: pa.Array, ids: pa.Array) -> pa.Array:
    """The id of each cell's code (null where none has it). The batch's distinct codes are
    hashed and the known codes looked up among them, not the other way round: hashing a
    hundred thousand employee numbers for every batch cost twice the lookup."""
    encoded = pc.dictionary_encode(x)
    distinct = encoded.dictionary
    where = pc.index_in(codes, value_set=distinct)  # each known code: its place in distinct
    known = pc.is_valid(where)
    places, found = pc.filter(where, known), pc.filter(ids, known)
    if len(places) == len(distinct):  # every code known: places is a permutation
        by_place = pc.take(found, pc.sort_indices(places))
    else:
        slots = pc.index_in(pa.array(range(len(distinct)), places.type), value_set=places)
        by_place = pc.take(found, slots)
    return pc.take(by_place, encoded.indices)


@dataclass
class Cells:
    """One batch of raw rows by field (fields the source lacks are blank).

    ``text``: string arrays, as given (blank: ""). ``not_text``: a JSON or spreadsheet value in
    a text field that is neither text nor a whole number. ``stamps``: spreadsheet dates and times
    given as such (naive, µs; null where the cell was text). ``refused``: rows the door refused
    whole (not an object, an unknown field), by index: (field, message, code)."""

    size: int
    text: dict[str, pa.Array]
    not_text: dict[str, pa.Array] = field(default_factory=dict)
    stamps: dict[str, pa.Array] = field(default_factory=dict)
    refused: dict[int, tuple[str | None, str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Refusal:
    index: int  # the row's index in its batch
    field: str | None
    message: str
    code: str


@dataclass
class Checked:
    """The accepted rows' column values (by column name, in the table's terms: ``department_id``
    …, derived columns included), how many rows were refused, and the first ``keep``
    refusals."""

    columns: dict[str, pa.Array]
    accepted: pa.Array  # the accepted rows' indices in the batch
    rejected: int
    refusals: list[Refusal]


Message = Callable[[int], str]  # the message of a refused row, by its index


class _Batch:
    """The rules applied to one batch: each field's value, and the failures in :data:`ORDER`."""

    def __init__(self, cells: Cells, context: Context) -> None:
        self.cells = cells
        self.context = context
        self.kind = RecordKind(context.kind)
        self.specs = FIELDS[self.kind]
        self.size = cells.size
        self.values: dict[str, pa.Array] = {}
        self.failures: dict[str, list[tuple[pa.Array, str, Message]]] = {}
        self.trimmed: dict[str, pa.Array] = {}
        self.huge: dict[str, pa.Array] = {}  # whole numbers of more than 18 digits

    # --- cells ---------------------------------------------------------------------------
    def raw(self, name: str) -> pa.Array:
        given = self.cells.text.get(name)
        return given if given is not None else pa.repeat(pa.scalar("", pa.string()), self.size)

    def cell(self, name: str) -> pa.Array:
        if name not in self.trimmed:
            self.trimmed[name] = pc.utf8_trim_whitespace(self.raw(name))
        return self.trimmed[name]

    def text_at(self, name: str, index: int) -> str:
        return self.raw(name)[index].as_py()

    def fail(self, name: str, mask, code: str, message: Message) -> None:
        mask = pc.fill_null(mask, False)
        if pc.any(mask).as_py():
            self.failures.setdefault(name, []).append((mask, code, message))

    def required(self, name: str, blank) -> None:
        if self.specs[name].required:
            self.fail(name, blank, "required", lambda i: _("This field is required."))

    def apply(self, name: str) -> None:
        spec = self.specs[name]
        if name not in self.cells.text:  # not in the source: blank in every row
            everywhere = pa.repeat(pa.scalar(True), self.size)
            self.required(name, everywhere)
            self.huge[name] = pc.invert(everywhere)
            self.values[name] = (
                pa.repeat(pa.scalar("", pa.string()), self.size)
                if spec.type in (TEXT, CHOICE)
                else pa.nulls(self.size, EMPTY[spec.type])
            )
            return
        x = self.cell(name)
        blank = pc.equal(x, "")
        self.required(name, blank)
        given = pc.invert(blank)
        rule = {TEXT: self.text, INT: self.whole, BOOL: self.yes_no, CHOICE: self.choice,
                REF: self.reference, DATETIME: self.stamp}[spec.type]  # fmt: skip
        self.values[name] = rule(name, spec, x, blank, given)

    def text(self, name: str, spec: FieldSpec, x, blank, given):
        not_text = self.cells.not_text.get(name)
        if not_text is not None:
            self.fail(name, not_text, "invalid", lambda i: _("Give text."))
        self.fail(
            name,
            pc.match_substring(
                x, "\x00"
            ),  # PostgreSQL's text cannot hold it; refused on SQLite alike
            "invalid",
            lambda i: _("The text holds a NUL character (byte 0)."),
        )
        if spec.max_length:
            limit = spec.max_length
            self.fail(
                name,
                pc.greater(pc.utf8_length(x), limit),
                "max_length",
                lambda i: _("At most %(limit)s characters.") % {"limit": limit},
            )
        return x

    def whole(self, name: str, spec: FieldSpec, x, blank, given):
        whole = pc.match_substring_regex(x, _WHOLE)
        self.fail(
            name,
            pc.and_(given, pc.invert(whole)),
            "invalid_number",
            lambda i: _("“%(value)s” is not a whole number.") % {"value": self.text_at(name, i)},
        )
        negative = pc.starts_with(x, "-")
        # More than 18 digits is past every column (and int64): refused as too large or small.
        huge = pc.and_(whole, pc.greater(pc.utf8_length(pc.utf8_ltrim(x, "-")), 18))
        value = pc.cast(pc.if_else(pc.and_(whole, pc.invert(huge)), x, None), pa.int64())
        self.huge[name] = huge
        below = pc.or_kleene(pc.less(value, 0), pc.and_(huge, negative))
        self.fail(
            name,
            below,
            "min_value",
            lambda i: _("%(value)s is below 0.") % {"value": int(self.cell(name)[i].as_py())},
        )
        if spec.max_value is not None:
            limit = spec.max_value
            self.fail(
                name,
                pc.or_kleene(pc.greater(value, limit), pc.and_(huge, pc.invert(negative))),
                "max_value",
                lambda i: _("Above %(limit)s, the largest this field takes.") % {"limit": limit},
            )
        return value

    def yes_no(self, name: str, spec: FieldSpec, x, blank, given):
        low = pc.ascii_lower(x)
        ascii_ = pc.string_is_ascii(x)
        yes = pc.and_(ascii_, pc.is_in(low, value_set=pa.array(sorted(TRUE))))
        no = pc.and_(ascii_, pc.is_in(low, value_set=pa.array(sorted(FALSE))))
        self.fail(
            name,
            pc.and_(given, pc.invert(pc.or_(yes, no))),
            "invalid_boolean",
            lambda i: (
                _("“%(value)s” is not yes/no (use true/false, yes/no or 1/0).")
                % {"value": self.text_at(name, i)}
            ),
        )
        return pc.if_else(yes, True, pc.if_else(no, False, pa.scalar(None, pa.bool_())))

    def choice(self, name: str, spec: FieldSpec, x, blank, given):
        # Choices are ASCII words: a cell is one in any case, but only in ASCII letters (the
        # Turkish capital İ lower-cases to a plain i in some libraries, not in others).
        low = pc.ascii_lower(x)
        known = pc.and_(pc.string_is_ascii(x), pc.is_in(low, value_set=pa.array(spec.choices)))
        self.fail(
            name,
            pc.and_(given, pc.invert(known)),
            "invalid_choice",
            lambda i: (
                _("“%(value)s” is not a valid %(field)s; use one of: %(choices)s.")
                % {
                    "value": self.text_at(name, i),
                    "field": name,
                    "choices": ", ".join(spec.choices),
                }
            ),
        )
        return low

    def reference(self, name: str, spec: FieldSpec, x, blank, given):
        value = _look_up(x, *self.context.ref_arrays(name))
        self.fail(
            name,
            pc.and_(given, pc.is_null(value)),
            "does_not_exist",
            lambda i: (
                _("Unknown %(what)s “%(value)s”.")
                % {"what": WHAT[name], "value": self.text_at(name, i)}
            ),
        )
        return value

    def stamp(self, name: str, spec: FieldSpec, x, blank, given):
        form = self.context.date_format
        value, bad = parse_stamps(x, form, self.context.zone)
        typed = self.cells.stamps.get(name)
        if typed is not None:  # a spreadsheet's date or time: taken as it is
            bad = pc.and_(bad, pc.is_null(typed))
            value = pc.coalesce(local_to_utc(typed, self.context.zone), value)
        self.fail(
            name,
            pc.and_(given, bad),
            "invalid_date",
            lambda i: (
                _("“%(value)s” is not a date and time in the format %(format)s.")
                % {"value": self.text_at(name, i), "format": form or ISO_FORMAT}
            ),
        )
        return value

    # --- checks between cells ------------------------------------------------------------
    def not_before(self, earlier: str, later: str) -> None:
        zone = zoneinfo.ZoneInfo(self.context.zone)
        first, then = self.values[earlier], self.values[later]

        def message(i: int) -> str:
            def shown(values) -> str:
                return values[i].as_py().astimezone(zone).isoformat()

            return _("%(field)s (%(later)s) is before %(earlier)s.") % {
                "field": later,
                "later": shown(then),
                "earlier": shown(first),
            }

        self.fail("~" + later, pc.less(then, first), "date_order", message)

    def source_system(self) -> None:
        system = self.values["source_system"]
        default = self.context.default_source_system
        if default:
            self.values["source_system"] = pc.if_else(pc.equal(system, ""), default, system)
        else:
            self.fail(
                "source_system",
                pc.equal(system, ""),
                "required",
                lambda i: _("Name the source system (a column or the mapping's constant)."),
            )

    def steward(self) -> None:
        """A data steward loads only for the departments they steward; records without one
        (company numbers) need the company permission."""
        stewarded = self.context.stewarded
        if stewarded is None:
            return
        department = self.values["department"]
        mine = pc.is_in(department, value_set=pa.array(sorted(stewarded), pa.int64()))
        known_not_mine = pc.and_(pc.is_valid(department), pc.invert(mine))
        self.fail(
            "department",
            known_not_mine,
            "not_steward",
            lambda i: _("You may load records only for the departments you steward."),
        )
        if not self.context.company:
            self.fail(
                "department",
                pc.equal(self.cell("department"), ""),
                "not_steward",
                lambda i: _(
                    "A record without a department counts for the company: give one of the "
                    "departments you steward."
                ),
            )

    def surveys(self) -> None:
        kind, scale, score = self.values["survey_type"], self.values["scale"], self.values["score"]
        ces = pc.equal(kind, "ces")
        self.fail(
            "~scale",
            pc.and_(pc.invert(ces), pc.not_equal(scale, "")),
            "invalid",
            lambda i: _("Only CES answers have a scale wording."),
        )
        scale = pc.if_else(ces, pc.if_else(pc.equal(scale, ""), CesScale.EASY_1_7.value, scale), "")
        self.values["scale"] = scale
        inside = pa.repeat(pa.scalar(False), self.size)
        known = pa.repeat(pa.scalar(False), self.size)
        for (survey, wording), (low, high) in SCORE_RANGES.items():
            here = pc.and_(pc.equal(kind, str(survey)), pc.equal(scale, str(wording)))
            within = pc.and_(pc.greater_equal(score, low), pc.less_equal(score, high))
            inside = pc.or_(inside, pc.and_(here, within))
            known = pc.or_(known, here)

        def message(i: int) -> str:
            survey, wording = kind[i].as_py(), scale[i].as_py()
            low, high = SCORE_RANGES[(survey, wording)]
            return _("A %(survey)s score is %(low)s to %(high)s, not %(score)s.") % {
                "survey": survey.upper(), "low": low, "high": high,
                "score": self.cell("score")[i].as_py(),
            }  # fmt: skip

        number = pc.or_(pc.is_valid(score), self.huge["score"])
        outside = pc.and_(pc.and_(known, number), pc.invert(pc.fill_null(inside, False)))
        self.fail("~score", outside, "out_of_scale", message)

    def tickets(self) -> None:
        self.not_before("opened_at", "first_response_at")
        self.not_before("opened_at", "resolved_at")
        self.fail(
            "contacts_to_resolve",
            pc.equal(self.values["contacts_to_resolve"], 0),
            "min_value",
            lambda i: _("A resolved ticket took at least 1 contact."),
        )

    def shipments(self) -> None:
        self.not_before("ordered_at", "delivered_at")
        self.not_before("ordered_at", "promised_at")

    # --- all of it ----------------------------------------------------------------------
    def run(self, keep: int) -> Checked:
        for name in self.specs:
            self.apply(name)
        self.source_system()
        self.steward()
        {RecordKind.SURVEYS: self.surveys, RecordKind.TICKETS: self.tickets,
         RecordKind.SHIPMENTS: self.shipments}[self.kind]()  # fmt: skip
        refused = None
        for failures in self.failures.values():
            for mask, _code, _message in failures:
                refused = mask if refused is None else pc.or_(refused, mask)
        door = sorted(self.cells.refused)
        if door:
            marks = pc.is_in(
                pa.array(range(self.size), pa.int64()), value_set=pa.array(door, pa.int64())
            )
            refused = marks if refused is None else pc.or_(refused, marks)
        refusals: list[Refusal] = []
        if refused is None:
            rejected = 0
            columns = derived(self.kind, self.values, self.context, self.size)
            accepted = pa.array(range(self.size), pa.int64())
        else:
            indices = pc.indices_nonzero(refused).to_pylist()
            rejected = len(indices)
            refusals = [self.refusal(index) for index in indices[:keep]]
            kept = pc.invert(refused)
            values = {name: pc.filter(array, kept) for name, array in self.values.items()}
            columns = derived(self.kind, values, self.context, self.size - rejected)
            accepted = pc.indices_nonzero(kept)
        return Checked(columns, accepted, rejected, refusals)

    def refusal(self, index: int) -> Refusal:
        if index in self.cells.refused:
            name, message, code = self.cells.refused[index]
            return Refusal(index, name, message, code)
        for name in ORDER[self.kind]:
            for mask, code, message in self.failures.get(name, ()):
                if mask[index].as_py():
                    return Refusal(index, name.lstrip("~"), message(index), code)
        raise AssertionError(f"row {index} refused by no rule")  # pragma: no cover


def check(cells: Cells, context: Context, *, keep: int) -> Checked:
    """Apply every rule of ``context.kind`` to a batch; refusals kept: the first ``keep``."""
    return _Batch(cells, context).run(keep)


# --- dates and times -------------------------------------------------------------------------
def parse_stamps(x, date_format: str, zone: str):
    """(instants in UTC, refused) of trimmed cells: ``refused`` marks cells given but not a date
    and time of the format (ISO 8601 when empty)."""
    blank = pc.equal(x, "")
    if date_format:
        parsed = pc.strptime(x, format=date_format, unit="us", error_is_null=True)
        # strptime rolls 30 February over to March: a cell is a date only if it reads back
        # the same (numbers compared without their leading zeros, names without case).
        seconds = pc.cast(parsed, pa.timestamp("s", parsed.type.tz), safe=False)
        again = pc.strftime(seconds, format=date_format)  # (whole seconds: %S writes no decimals)
        same = pc.equal(_digits_and_words(x), _digits_and_words(again))
        ok = pc.fill_null(pc.and_(pc.is_valid(parsed), same), False)
        parsed = pc.if_else(ok, parsed, None)
        if parsed.type.tz is None:
            parsed = local_to_utc(parsed, zone)
        return pc.cast(parsed, UTC_US), pc.and_(pc.invert(blank), pc.invert(ok))
    given = pc.if_else(blank, None, x)
    if pc.any(pc.greater(pc.utf8_length(x), 26)).as_py():  # past microseconds: cut there
        given = pc.replace_substring_regex(given, r"(\.[0-9]{6})[0-9]+", r"\1")
    no = pa.repeat(pa.scalar(False), len(x))
    for type_ in (UTC_US, pa.timestamp("us")):  # a column all with offsets, or all without
        try:
            value = pc.cast(given, type_)
        except pa.ArrowInvalid:
            continue
        return (value if type_ == UTC_US else local_to_utc(value, zone)), no
    # An offset at the end: Z, ±hh:mm, ±hhmm or ±hh (after a time: a date alone has "-").
    raw = x.view(pa.binary())
    long = pc.greater(pc.binary_length(raw), 10)
    aware = pc.or_(pc.ends_with(x, "Z"), pc.or_(_sign_at(raw, -6), _sign_at(raw, -5)))
    aware = pc.and_(
        long, pc.or_(aware, pc.and_(pc.greater(pc.binary_length(raw), 13), _sign_at(raw, -3)))
    )
    instants, refused_aware = _read(pc.if_else(aware, given, None), UTC_US)
    local, refused_naive = _read(pc.if_else(aware, None, given), pa.timestamp("us"))
    if pc.any(pc.is_valid(local)).as_py():
        instants = pc.coalesce(instants, local_to_utc(local, zone))
    return instants, pc.or_(refused_aware, refused_naive)


def _sign_at(raw, position: int):
    """Whether the byte at ``position`` (from the end if negative) is a sign."""
    return pc.is_in(pc.binary_slice(raw, position, position + 1), value_set=_SIGNS)


def _read(x, type_: pa.DataType):
    """(values, refused) of ISO 8601 text as Arrow reads it (date; hours, minutes, seconds, to
    the µs; an offset only for an instant). The whole column is cast at once; where that fails,
    the cells it fails on are found in ever smaller slices."""
    try:
        return pc.cast(x, type_), pa.repeat(pa.scalar(False), len(x))
    except pa.ArrowInvalid:
        pass
    values: list = []
    refused: list[bool] = []

    def split(part) -> None:
        try:
            values.extend(pc.cast(part, type_).to_pylist())
            refused.extend([False] * len(part))
        except pa.ArrowInvalid:
            if len(part) == 1:
                values.append(None)
                refused.append(True)
                return
            half = len(part) // 2
            split(part.slice(0, half))
            split(part.slice(half))

    for start in range(0, len(x), 1024):
        split(x.slice(start, 1024))
    return pa.array(values, type_), pa.array(refused, pa.bool_())


def _digits_and_words(x):
    return pc.utf8_lower(pc.replace_substring_regex(x, r"(^|[^0-9])0+([0-9])", r"\1\2"))


def local_to_utc(naive, zone: str):
    """Wall-clock times of ``zone`` as instants, as Python reads ``replace(tzinfo=zone)``
    (fold 0): a repeated hour is its first; a skipped hour keeps the offset before the
    change."""
    if zone == "UTC":
        return pc.cast(pc.assume_timezone(naive, timezone="UTC"), UTC_US)
    first = pc.assume_timezone(naive, timezone=zone, ambiguous="earliest", nonexistent="earliest")
    offset = pc.subtract(pc.cast(pc.local_timestamp(first), pa.int64()), pc.cast(first, pa.int64()))
    return pc.cast(
        pc.cast(pc.subtract(pc.cast(naive, pa.int64()), offset), pa.timestamp("us")), UTC_US
    )


# --- derived columns -------------------------------------------------------------------------
def _seconds(start, end):
    """Elapsed whole seconds (floored) from ``start`` to ``end``; null when either is."""
    us = pc.subtract(pc.cast(end, pa.int64()), pc.cast(start, pa.int64()))
    whole = pc.divide(us, MICRO)  # truncated toward zero: floor it
    return pc.if_else(
        pc.and_(pc.less(us, 0), pc.not_equal(pc.multiply(whole, MICRO), us)),
        pc.subtract(whole, 1),
        whole,
    )


def zone_known(zone: str) -> bool:
    """Whether Arrow reads the zone (it reads the system's time zone database, as Python's
    zoneinfo mostly does: of zoneinfo's 599 names, only "Factory" is not found)."""
    try:
        _local_date(pa.array([0], pa.timestamp("us", "UTC")), zone)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
        return False
    return True


def _local_date(instants, zone: str):
    return pc.cast(pc.local_timestamp(pc.cast(instants, pa.timestamp("us", tz=zone))), pa.date32())


def derived(kind: str, values: dict[str, pa.Array], context: Context, size: int) -> dict:
    """The table's columns (references as ``<name>_id``), derived columns included: local
    calendar dates, whole seconds of each stage, the stage an undelivered order waits in."""
    out = {"load_job_id": pa.repeat(pa.scalar(context.load_job_id, pa.int64()), size)}
    for name, spec in FIELDS[kind].items():
        out[f"{name}_id" if spec.type == REF else name] = values[name]
    if kind == RecordKind.TICKETS:
        out["first_response_seconds"] = _seconds(out["opened_at"], out["first_response_at"])
        out["resolution_seconds"] = _seconds(out["opened_at"], out["resolved_at"])
    elif kind == RecordKind.SHIPMENTS:
        t = out
        delivered = pc.is_valid(t["delivered_at"])
        default = pc.if_else(
            delivered, ShipmentStatus.DELIVERED.value, ShipmentStatus.IN_TRANSIT.value
        )
        t["status"] = pc.if_else(pc.equal(t["status"], ""), default, t["status"])
        t["promised_on"] = _local_date(t["promised_at"], context.zone)
        t["delivered_on"] = _local_date(t["delivered_at"], context.zone)
        t["payment_seconds"] = _seconds(t["ordered_at"], t["paid_at"])
        t["processing_seconds"] = _seconds(t["paid_at"], t["warehouse_received_at"])
        t["picking_seconds"] = _seconds(t["warehouse_received_at"], t["picked_at"])
        t["sorting_seconds"] = _seconds(t["picked_at"], t["sorted_at"])
        t["packing_seconds"] = _seconds(pc.coalesce(t["sorted_at"], t["picked_at"]), t["packed_at"])
        t["dispatch_seconds"] = _seconds(t["packed_at"], t["shipped_at"])
        # Without a warehouse-received time (e.g. Olist, where the seller prepares the parcel),
        # the time from payment to the carrier's hand-over is warehouse time.
        t["warehouse_seconds"] = _seconds(
            pc.coalesce(t["warehouse_received_at"], t["paid_at"]), t["shipped_at"]
        )
        t["carrier_seconds"] = _seconds(t["shipped_at"], t["delivered_at"])
        stuck = pa.repeat(pa.scalar(Stage.PAYMENT_CONFIRMATION.value), size)
        for name, stage in reversed(STUCK_AFTER):
            stuck = pc.if_else(pc.is_valid(t[name]), stage.value, stuck)
        done = pc.or_(delivered, pc.equal(t["status"], ShipmentStatus.CANCELLED.value))
        t["stuck_stage"] = pc.if_else(done, "", stuck)
    return out


def always_null(kind: str, given: frozenset[str] | None, context: Context) -> frozenset[str]:
    """The table's columns null in every row of a load whose source gives only the fields
    ``given`` (None: any field, row by row): the absent fields that are null when blank, and
    the derived columns that, computed from a row where every given field has a value, still
    have none (each needs an absent field). The writer leaves them out of its ``COPY``."""
    if given is None:
        return frozenset()
    sample = {TEXT: pa.array([""]), CHOICE: pa.array([""]), INT: pa.array([1], pa.int64()),
              BOOL: pa.array([True]), REF: pa.array([1], pa.int64()),
              DATETIME: pa.array([0], UTC_US)}  # fmt: skip
    values = {
        name: sample[spec.type]
        if name in given or spec.type in (TEXT, CHOICE)
        else pa.nulls(1, EMPTY[spec.type])
        for name, spec in FIELDS[kind].items()
    }
    row = derived(kind, values, context, 1)
    return frozenset(name for name, array in row.items() if array.null_count == 1)


def cell_text(value, type_: str) -> tuple[str, bool, dt.datetime | None]:
    """A JSON or spreadsheet value as the rules read it: (text, not text, date/time given as
    such). Text stays text; whole numbers are their digits; yes/no values are true/false."""
    if value is None:
        return "", False, None
    if isinstance(value, str):
        return value, False, None
    if isinstance(value, bool):
        return ("true" if value else "false"), type_ == TEXT, None
    if isinstance(value, int):
        return str(value), False, None
    if isinstance(value, float) and value.is_integer() and type_ != TEXT:
        return str(int(value)), False, None  # spreadsheet cells
    if type_ == DATETIME and isinstance(value, dt.datetime):
        if value.tzinfo is not None:  # its own offset: read as ISO text
            return value.isoformat(), False, None
        return value.isoformat(), False, value
    if type_ == DATETIME and isinstance(value, dt.date):
        return value.isoformat(), False, dt.datetime.combine(value, dt.time())
    return str(value), type_ == TEXT, None
