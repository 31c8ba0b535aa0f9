"""Writes to KPI definitions."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cxoffice.services import apply_changes, check_new_parent, validate_and_save

from ..models import KPI

KPI_FIELDS = (
    "code", "name", "description", "department", "unit", "direction", "aggregation",
    "frequency", "decimals", "parent", "source", "min_value", "max_value", "is_active",
)  # fmt: skip


def kpi_check_parent(*, kpi: KPI | None, parent: KPI | None) -> None:
    if kpi is None or parent is None:
        return
    check_new_parent(
        node=kpi,
        parent=parent,
        message=_(
            "%(parent)s is below %(kpi)s in the KPI tree; a KPI cannot become its own ancestor."
        )
        % {"parent": parent.code, "kpi": kpi.code},
    )


@transaction.atomic
def kpi_create(**fields: Any) -> KPI:
    return validate_and_save(KPI(**{k: v for k, v in fields.items() if k in KPI_FIELDS}))


@transaction.atomic
def kpi_update(*, kpi: KPI, data: dict[str, Any]) -> KPI:
    if "parent" in data:
        list(KPI.objects.select_for_update().values_list("pk", flat=True))
        kpi_check_parent(kpi=kpi, parent=data["parent"])
    apply_changes(instance=kpi, fields=KPI_FIELDS, data=data)
    return validate_and_save(kpi)
