"""Writes of the bonuses app: plans (with components and gates), enrollments, runs."""

from .adjustments import adjustment_check, adjustment_create
from .plans import (
    COMPONENT_FIELDS,
    ENROLLMENT_FIELDS,
    GATE_FIELDS,
    PLAN_FIELDS,
    check_components,
    check_gates,
    enrollment_check,
    enrollment_create,
    enrollment_delete,
    enrollment_update,
    plan_check_editable,
    plan_create,
    plan_delete,
    plan_update,
)
from .runs import (
    check_run_open,
    run_approve,
    run_calculate,
    run_check_new,
    run_create,
    run_delete,
    run_is_stale,
    run_mark_paid,
)
from .versions import plan_new_version, simulation_difference

__all__ = [
    "COMPONENT_FIELDS",
    "ENROLLMENT_FIELDS",
    "GATE_FIELDS",
    "PLAN_FIELDS",
    "adjustment_check",
    "adjustment_create",
    "check_components",
    "check_gates",
    "check_run_open",
    "enrollment_check",
    "enrollment_create",
    "enrollment_delete",
    "enrollment_update",
    "plan_check_editable",
    "plan_create",
    "plan_delete",
    "plan_new_version",
    "plan_update",
    "run_approve",
    "run_calculate",
    "run_check_new",
    "run_create",
    "run_delete",
    "run_is_stale",
    "run_mark_paid",
    "simulation_difference",
]  # fmt: skip
