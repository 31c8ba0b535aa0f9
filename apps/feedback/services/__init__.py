"""Writes of the feedback app (a package: single items and their flow; many rows and files)."""

from .categories import (
    CATEGORY_FIELDS,
    category_check_parent,
    category_create,
    category_update,
)
from .items import (
    CREATE_FIELDS,
    EDITABLE_FIELDS,
    TRANSITIONS,
    ItemsError,
    allowed_transitions,
    due_date_for,
    feedback_bulk_assign_owner,
    feedback_bulk_transition,
    feedback_create,
    feedback_from_finding,
    feedback_transition,
    feedback_triage,
    feedback_update,
    response_hours,
)
from .rows import (
    FeedbackRowReader,
    ImportReport,
    feedback_import,
    feedback_rows_create,
    mapped_rows,
    read_table,
)

__all__ = [
    "CATEGORY_FIELDS",
    "CREATE_FIELDS",
    "EDITABLE_FIELDS",
    "TRANSITIONS",
    "FeedbackRowReader",
    "ImportReport",
    "ItemsError",
    "allowed_transitions",
    "category_check_parent",
    "category_create",
    "category_update",
    "due_date_for",
    "feedback_bulk_assign_owner",
    "feedback_bulk_transition",
    "feedback_create",
    "feedback_from_finding",
    "feedback_import",
    "feedback_rows_create",
    "feedback_transition",
    "feedback_triage",
    "feedback_update",
    "mapped_rows",
    "read_table",
    "response_hours",
]  # fmt: skip
