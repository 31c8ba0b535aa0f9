"""Writes of the bonuses app: plans (with components and gates), enrollments, runs."""

from .adjustments import adjustment_create
from .plans import (
    COMPONENT_FIELDS,
    ENROLLMENT_FIELDS,
    GATE_FIELDS,
    PLAN_FIELDS,
    enrollment_create,
    enrollment_update,
    plan_check_editable,
    plan_create,
    plan_update,
)
from .runs import (
    check_run_open,
    run_approve,
    run_calculate,
    run_create,
    run_is_stale,
    run_mark_paid,
)

__all__ = [
    "COMPONENT_FIELDS",
    "ENROLLMENT_FIELDS",
    "GATE_FIELDS",
    "PLAN_FIELDS",
    "adjustment_create",
    "check_run_open",
    "enrollment_create",
    "enrollment_update",
    "plan_check_editable",
    "plan_create",
    "plan_update",
    "run_approve",
    "run_calculate",
    "run_create",
    "run_is_stale",
    "run_mark_paid",
]  # fmt: skip
