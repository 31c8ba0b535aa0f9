"""Writes of the bonuses app: plans (with components and gates), enrollments, runs."""

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

__all__ = [
    "COMPONENT_FIELDS", "ENROLLMENT_FIELDS", "GATE_FIELDS", "PLAN_FIELDS", "enrollment_create",
    "enrollment_update", "plan_check_editable", "plan_create", "plan_update",
]  # fmt: skip
