"""What a row of each record kind may carry: each field's type, whether it is required, its
length, choices or largest value, and the columns each record table is written with.

The definitions only; :mod:`apps.records.rules` applies them to whole columns for every door.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy

from .kinds import CesScale, RecordKind, ShipmentStatus, SurveyType

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


_COMMON = {
    "source_system": FieldSpec(TEXT, max_length=50),
    "source_record_id": FieldSpec(TEXT, required=True, max_length=100),
    "department": FieldSpec(REF),
}

FIELDS: dict[str, dict[str, FieldSpec]] = {
    RecordKind.SURVEYS: {
        **_COMMON,
        "agent": FieldSpec(REF),  # credited people (§5): employee numbers
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
        "agent": FieldSpec(REF),
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
        "courier": FieldSpec(REF),
        "picker": FieldSpec(REF),
        "packer": FieldSpec(REF),
    },
}

# The columns written, in order (the primary key is the database's).
SURVEY_COLUMNS = (
    "source_system", "source_record_id", "department_id", "load_job_id", "survey_type", "scale",
    "score", "answered_at", "channel", "comment", "order_ref", "customer_ref", "agent_id",
)  # fmt: skip
TICKET_COLUMNS = (
    "source_system", "source_record_id", "department_id", "load_job_id", "opened_at",
    "first_response_at", "resolved_at", "contacts_to_resolve", "channel", "category",
    "first_response_seconds", "resolution_seconds", "agent_id",
)  # fmt: skip
SHIPMENT_COLUMNS = (
    "source_system", "source_record_id", "department_id", "load_job_id", "order_ref", "status",
    "ordered_at", "paid_at", "warehouse_received_at", "picked_at", "sorted_at", "packed_at",
    "shipped_at", "delivered_at", "promised_at", "first_attempt_ok", "damaged", "lost",
    "documents_ok", "items_ordered", "items_delivered", "warehouse_id", "carrier_id",
    "promised_on", "delivered_on", "payment_seconds", "processing_seconds", "picking_seconds",
    "sorting_seconds", "packing_seconds", "dispatch_seconds", "warehouse_seconds",
    "carrier_seconds", "stuck_stage", "courier_id", "picker_id", "packer_id",
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
WHAT = {  # the words of a reference's refusal ("Unknown department “X”.")
    "department": gettext_lazy("department"),
    "warehouse": gettext_lazy("warehouse"),
    "carrier": gettext_lazy("carrier"),
    "courier": gettext_lazy("courier"),
    "picker": gettext_lazy("picker"),
    "packer": gettext_lazy("packer"),
    "agent": gettext_lazy("agent"),
}
# Fields that credit a person: their values are employee numbers.
PEOPLE = ("courier", "picker", "packer", "agent")
