"""What a row of each record kind may carry, and how one raw row becomes database values.

One parser for the three doors (file command, admin upload, bulk API): a raw row is a dict of
field name → cell (text from a CSV, or a JSON value); :class:`RowParser` checks it and returns the
tuple of column values the writers put in the database, derived columns included. A refusal is
an :class:`ApplicationError` naming the field, which the loader turns into a row error.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.departments.models import Department
from cxoffice.errors import ApplicationError

from .models import (
    SCORE_RANGES,
    STUCK_AFTER,
    Carrier,
    CesScale,
    RecordKind,
    Shipment,
    ShipmentStatus,
    Stage,
    SupportTicket,
    SurveyResponse,
    SurveyType,
    Warehouse,
)

TEXT, DATETIME, INT, BOOL, CHOICE, REF = "text", "datetime", "int", "bool", "choice", "ref"


@dataclass(frozen=True)
class FieldSpec:
    type: str
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    max_value: int | None = None  # INT: the column's largest value


SMALLINT_MAX = 32767
INTEGER_MAX = 2147483647
_WHOLE = re.compile(r"-?[0-9]+")


_COMMON = {
    "source_system": FieldSpec(TEXT, max_length=50),
    "source_record_id": FieldSpec(TEXT, required=True, max_length=100),
    "department": FieldSpec(REF),
}

FIELDS: dict[str, dict[str, FieldSpec]] = {
    RecordKind.SURVEYS: {
        **_COMMON,
        "survey_type": FieldSpec(CHOICE, required=True, choices=tuple(SurveyType.values)),
        "scale": FieldSpec(CHOICE, choices=tuple(CesScale.values)),
        "score": FieldSpec(INT, required=True),  # checked against its scale
        "answered_at": FieldSpec(DATETIME, required=True),
        "channel": FieldSpec(TEXT, max_length=30),
        "comment": FieldSpec(TEXT),
        "order_ref": FieldSpec(TEXT, max_length=100),
        "customer_ref": FieldSpec(TEXT, max_length=100),
    },
    RecordKind.TICKETS: {
        **_COMMON,
        "opened_at": FieldSpec(DATETIME, required=True),
        "first_response_at": FieldSpec(DATETIME),
        "resolved_at": FieldSpec(DATETIME),
        "contacts_to_resolve": FieldSpec(INT, max_value=SMALLINT_MAX),
        "channel": FieldSpec(TEXT, max_length=30),
        "category": FieldSpec(TEXT, max_length=100),
    },
    RecordKind.SHIPMENTS: {
        **_COMMON,
        "order_ref": FieldSpec(TEXT, max_length=100),
        "status": FieldSpec(CHOICE, choices=tuple(ShipmentStatus.values)),
        "ordered_at": FieldSpec(DATETIME, required=True),
        "paid_at": FieldSpec(DATETIME),
        "warehouse_received_at": FieldSpec(DATETIME),
        "picked_at": FieldSpec(DATETIME),
        "sorted_at": FieldSpec(DATETIME),
        "packed_at": FieldSpec(DATETIME),
        "shipped_at": FieldSpec(DATETIME),
        "delivered_at": FieldSpec(DATETIME),
        "promised_at": FieldSpec(DATETIME, required=True),
        "first_attempt_ok": FieldSpec(BOOL),
        "damaged": FieldSpec(BOOL),
        "lost": FieldSpec(BOOL),
        "documents_ok": FieldSpec(BOOL),
        "items_ordered": FieldSpec(INT, max_value=INTEGER_MAX),
        "items_delivered": FieldSpec(INT, max_value=INTEGER_MAX),
        "warehouse": FieldSpec(REF),
        "carrier": FieldSpec(REF),
    },
}

MODELS = {
    RecordKind.SURVEYS: SurveyResponse,
    RecordKind.TICKETS: SupportTicket,
    RecordKind.SHIPMENTS: Shipment,
}

# The columns written, in order (the primary key is the database's).
SURVEY_COLUMNS = (
    "source_system", "source_record_id", "department_id", "load_job_id", "survey_type", "scale",
    "score", "answered_at", "channel", "comment", "order_ref", "customer_ref",
)  # fmt: skip
TICKET_COLUMNS = (
    "source_system", "source_record_id", "department_id", "load_job_id", "opened_at",
    "first_response_at", "resolved_at", "contacts_to_resolve", "channel", "category",
    "first_response_seconds", "resolution_seconds",
)  # fmt: skip
SHIPMENT_COLUMNS = (
    "source_system", "source_record_id", "department_id", "load_job_id", "order_ref", "status",
    "ordered_at", "paid_at", "warehouse_received_at", "picked_at", "sorted_at", "packed_at",
    "shipped_at", "delivered_at", "promised_at", "first_attempt_ok", "damaged", "lost",
    "documents_ok", "items_ordered", "items_delivered", "warehouse_id", "carrier_id",
    "promised_on", "delivered_on", "payment_seconds", "processing_seconds", "picking_seconds",
    "sorting_seconds", "packing_seconds", "dispatch_seconds", "warehouse_seconds",
    "carrier_seconds", "stuck_stage",
)  # fmt: skip
COLUMNS = {
    RecordKind.SURVEYS: SURVEY_COLUMNS,
    RecordKind.TICKETS: TICKET_COLUMNS,
    RecordKind.SHIPMENTS: SHIPMENT_COLUMNS,
}
# Not compared when deciding whether a loaded row changed anything.
BOOKKEEPING_COLUMNS = ("source_system", "source_record_id", "load_job_id")

TRUE = {"1", "true", "t", "yes", "y"}
FALSE = {"0", "false", "f", "no", "n"}
WHAT = {
    "department": gettext_lazy("department"),
    "warehouse": gettext_lazy("warehouse"),
    "carrier": gettext_lazy("carrier"),
}


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    """Elapsed whole seconds (floored) from ``start`` to ``end``. Through UTC: Python subtracts
    two times of the same zone on the wall clock, which is an hour off across a daylight-saving
    change."""
    if start is None or end is None:
        return None
    delta = end.astimezone(dt.UTC) - start.astimezone(dt.UTC)
    return delta.days * 86400 + delta.seconds


class RowParser:
    """Checks raw rows of one kind and returns the tuple of :data:`COLUMNS` values.

    Looks up departments, warehouses and carriers once (by code), so a million rows cost a
    fixed number of queries. ``date_format``: ``strptime`` format (empty: ISO 8601); naive
    times are in ``zone``, which also gives the shipments' local promised and delivery dates.
    """

    def __init__(
        self,
        kind: str,
        *,
        load_job_id: int | None,
        date_format: str = "",
        zone: dt.tzinfo | None = None,
        default_source_system: str = "",
        writer=None,
    ) -> None:
        self.kind = RecordKind(kind)
        self.specs = FIELDS[self.kind]
        # Who loads (a NumbersWriter; None: the system or an operator's command): records feed
        # the KPIs of their department, so a data steward loads only for the departments they
        # steward, and records without one (company numbers) need the company permission.
        self.stewarded: set[int] | None = None
        self.company = True
        if writer is not None and not writer.everything:
            self.stewarded = set(writer.departments)
            self.company = writer.company
            if not self.company:  # blank is then refused too (the SQL checks read the spec)
                self.specs = {**self.specs, "department": FieldSpec(REF, required=True)}
        self.load_job_id = load_job_id
        self.date_format = date_format
        self.zone = zone or zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self.default_source_system = default_source_system
        self.refs = {"department": dict(Department.objects.values_list("code", "id"))}
        # The departments the SQL checks take as they are (others go through parse()).
        self.vouched_refs = dict(self.refs)
        if self.stewarded is not None:
            self.vouched_refs["department"] = {
                code: pk for code, pk in self.refs["department"].items() if pk in self.stewarded
            }
        if self.kind == RecordKind.SHIPMENTS:
            self.refs["warehouse"] = dict(Warehouse.objects.values_list("code", "id"))
            self.refs["carrier"] = dict(Carrier.objects.values_list("code", "id"))
            self.vouched_refs.update(warehouse=self.refs["warehouse"], carrier=self.refs["carrier"])
        self._build = {
            RecordKind.SURVEYS: self._survey,
            RecordKind.TICKETS: self._ticket,
            RecordKind.SHIPMENTS: self._shipment,
        }[self.kind]

    # --- cells -------------------------------------------------------------------------------
    def _text(self, row: Mapping[str, Any], field: str) -> str:
        raw = row.get(field)
        spec = self.specs[field]
        if _blank(raw):
            if spec.required:
                raise ApplicationError(_("This field is required."), field=field, code="required")
            return ""
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise ApplicationError(_("Give text."), field=field, code="invalid")
        value = str(raw).strip()
        if "\x00" in value:  # PostgreSQL's text cannot hold it; refused on SQLite alike
            raise ApplicationError(
                _("The text holds a NUL character (byte 0)."), field=field, code="invalid"
            )
        if spec.max_length and len(value) > spec.max_length:
            raise ApplicationError(
                _("At most %(limit)s characters.") % {"limit": spec.max_length},
                field=field,
                code="max_length",
            )
        return value

    def _int(self, row: Mapping[str, Any], field: str) -> int | None:
        raw = row.get(field)
        if _blank(raw):
            if self.specs[field].required:
                raise ApplicationError(_("This field is required."), field=field, code="required")
            return None
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif isinstance(raw, str) and _WHOLE.fullmatch(raw.strip()):
            # ASCII digits only (str.isdigit() also takes "²" and other scripts' digits); more
            # than 30 of them exceed every column (and int() refuses thousands).
            text = raw.strip()
            value = int(text) if len(text) <= 30 else (-1 if text.startswith("-") else 1) * 10**30
        elif isinstance(raw, float) and raw.is_integer():  # spreadsheet cells
            value = int(raw)
        else:
            raise ApplicationError(
                _("“%(value)s” is not a whole number.") % {"value": raw},
                field=field,
                code="invalid_number",
            )
        if value < 0:
            raise ApplicationError(
                _("%(value)s is below 0.") % {"value": value}, field=field, code="min_value"
            )
        limit = self.specs[field].max_value
        if limit is not None and value > limit:
            raise ApplicationError(
                _("Above %(limit)s, the largest this field takes.") % {"limit": limit},
                field=field,
                code="max_value",
            )
        return value

    def _bool(self, row: Mapping[str, Any], field: str) -> bool | None:
        raw = row.get(field)
        if _blank(raw):
            return None
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise ApplicationError(
            _("“%(value)s” is not yes/no (use true/false, yes/no or 1/0).") % {"value": raw},
            field=field,
            code="invalid_boolean",
        )

    def _choice(self, row: Mapping[str, Any], field: str) -> str:
        raw = row.get(field)
        spec = self.specs[field]
        if _blank(raw):
            if spec.required:
                raise ApplicationError(_("This field is required."), field=field, code="required")
            return ""
        value = str(raw).strip().lower()
        if value not in spec.choices:
            raise ApplicationError(
                _("“%(value)s” is not a valid %(field)s; use one of: %(choices)s.")
                % {"value": raw, "field": field, "choices": ", ".join(spec.choices)},
                field=field,
                code="invalid_choice",
            )
        return value

    def _ref(self, row: Mapping[str, Any], field: str) -> int | None:
        raw = row.get(field)
        if _blank(raw):
            return None
        found = self.refs[field].get(str(raw).strip())
        if found is None:
            raise ApplicationError(
                _("Unknown %(what)s “%(value)s”.") % {"what": WHAT[field], "value": raw},
                field=field,
                code="does_not_exist",
            )
        return found

    def _datetime(self, row: Mapping[str, Any], field: str) -> dt.datetime | None:
        raw = row.get(field)
        if _blank(raw):
            if self.specs[field].required:
                raise ApplicationError(_("This field is required."), field=field, code="required")
            return None
        value: dt.datetime | None = None
        if isinstance(raw, dt.datetime):
            value = raw
        elif isinstance(raw, dt.date):
            value = dt.datetime.combine(raw, dt.time())
        elif isinstance(raw, str):
            text = raw.strip()
            try:
                if self.date_format:
                    value = dt.datetime.strptime(text, self.date_format)  # noqa: DTZ007 - zone below
                else:
                    value = dt.datetime.fromisoformat(text)
            except ValueError:
                value = None
        if value is None:
            raise ApplicationError(
                _("“%(value)s” is not a date and time in the format %(format)s.")
                % {"value": raw, "format": self.date_format or "ISO 8601 (2026-11-16T09:30)"},
                field=field,
                code="invalid_date",
            )
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.zone)
        return value

    def _common(self, row: Mapping[str, Any]) -> tuple:
        source_system = self._text(row, "source_system") or self.default_source_system
        if not source_system:
            raise ApplicationError(
                _("Name the source system (a column or the mapping's constant)."),
                field="source_system",
                code="required",
            )
        return (
            source_system,
            self._text(row, "source_record_id"),
            self._stewarded(self._ref(row, "department")),
            self.load_job_id,
        )

    def _stewarded(self, department: int | None) -> int | None:
        if self.stewarded is not None and (
            department not in self.stewarded if department is not None else not self.company
        ):
            raise ApplicationError(
                _("You may load records only for the departments you steward.")
                if department is not None
                else _(
                    "A record without a department counts for the company: give one of the "
                    "departments you steward."
                ),
                field="department",
                code="not_steward",
            )
        return department

    # --- kinds -------------------------------------------------------------------------------
    def _survey(self, row: Mapping[str, Any]) -> tuple:
        common = self._common(row)
        survey_type = self._choice(row, "survey_type")
        scale = self._choice(row, "scale")
        if survey_type == SurveyType.CES:
            scale = scale or CesScale.EASY_1_7
        elif scale:
            raise ApplicationError(
                _("Only CES answers have a scale wording."), field="scale", code="invalid"
            )
        score = self._int(row, "score")
        low, high = SCORE_RANGES[(survey_type, scale)]
        if not low <= score <= high:
            raise ApplicationError(
                _("A %(survey)s score is %(low)s to %(high)s, not %(score)s.")
                % {"survey": survey_type.upper(), "low": low, "high": high, "score": score},
                field="score",
                code="out_of_scale",
            )
        return (
            *common,
            survey_type,
            scale,
            score,
            self._datetime(row, "answered_at"),
            self._text(row, "channel"),
            self._text(row, "comment"),
            self._text(row, "order_ref"),
            self._text(row, "customer_ref"),
        )

    def _not_before(self, earlier: dt.datetime | None, later: dt.datetime | None, field: str):
        if earlier is not None and later is not None and later < earlier:
            raise ApplicationError(
                _("%(field)s (%(later)s) is before %(earlier)s.")
                % {"field": field, "later": later.isoformat(), "earlier": earlier.isoformat()},
                field=field,
                code="date_order",
            )

    def _ticket(self, row: Mapping[str, Any]) -> tuple:
        common = self._common(row)
        opened = self._datetime(row, "opened_at")
        first_response = self._datetime(row, "first_response_at")
        resolved = self._datetime(row, "resolved_at")
        self._not_before(opened, first_response, "first_response_at")
        self._not_before(opened, resolved, "resolved_at")
        contacts = self._int(row, "contacts_to_resolve")
        if contacts == 0:
            raise ApplicationError(
                _("A resolved ticket took at least 1 contact."),
                field="contacts_to_resolve",
                code="min_value",
            )
        return (
            *common,
            opened,
            first_response,
            resolved,
            contacts,
            self._text(row, "channel"),
            self._text(row, "category"),
            _seconds(opened, first_response),
            _seconds(opened, resolved),
        )

    def _shipment(self, row: Mapping[str, Any]) -> tuple:
        common = self._common(row)
        t = {
            name: self._datetime(row, name)
            for name in (
                "ordered_at", "paid_at", "warehouse_received_at", "picked_at", "sorted_at",
                "packed_at", "shipped_at", "delivered_at", "promised_at",
            )
        }  # fmt: skip
        self._not_before(t["ordered_at"], t["delivered_at"], "delivered_at")
        self._not_before(t["ordered_at"], t["promised_at"], "promised_at")
        status = self._choice(row, "status") or (
            ShipmentStatus.DELIVERED if t["delivered_at"] else ShipmentStatus.IN_TRANSIT
        )
        items_ordered = self._int(row, "items_ordered")
        items_delivered = self._int(row, "items_delivered")
        zone = self.zone
        delivered = t["delivered_at"]
        stuck = ""
        if delivered is None and status != ShipmentStatus.CANCELLED:
            stuck = next(
                (stage for name, stage in STUCK_AFTER if t[name] is not None),
                Stage.PAYMENT_CONFIRMATION,
            )
        return (
            *common,
            self._text(row, "order_ref"),
            status,
            t["ordered_at"],
            t["paid_at"],
            t["warehouse_received_at"],
            t["picked_at"],
            t["sorted_at"],
            t["packed_at"],
            t["shipped_at"],
            delivered,
            t["promised_at"],
            self._bool(row, "first_attempt_ok"),
            self._bool(row, "damaged"),
            self._bool(row, "lost"),
            self._bool(row, "documents_ok"),
            items_ordered,
            items_delivered,
            self._ref(row, "warehouse"),
            self._ref(row, "carrier"),
            t["promised_at"].astimezone(zone).date(),
            delivered.astimezone(zone).date() if delivered else None,
            _seconds(t["ordered_at"], t["paid_at"]),
            _seconds(t["paid_at"], t["warehouse_received_at"]),
            _seconds(t["warehouse_received_at"], t["picked_at"]),
            _seconds(t["picked_at"], t["sorted_at"]),
            _seconds(t["sorted_at"] or t["picked_at"], t["packed_at"]),
            _seconds(t["packed_at"], t["shipped_at"]),
            # Without a warehouse-received time (e.g. Olist, where the seller prepares the
            # parcel), the time from payment to the carrier's hand-over is warehouse time.
            _seconds(t["warehouse_received_at"] or t["paid_at"], t["shipped_at"]),
            _seconds(t["shipped_at"], delivered),
            stuck,
        )

    def parse(self, row: Mapping[str, Any]) -> tuple:
        """The column values of one row; raises ApplicationError naming the field."""
        return self._build(row)
