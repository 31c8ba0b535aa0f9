"""Writes to the feedback taxonomy."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cxoffice.services import apply_changes, check_new_parent, validate_and_save

from ..models import Category

CATEGORY_FIELDS = ("code", "name", "parent", "department", "is_active")


def category_check_parent(*, category: Category | None, parent: Category | None) -> None:
    if category is None or parent is None:
        return
    check_new_parent(
        node=category,
        parent=parent,
        message=_("%(parent)s is below %(category)s; a category cannot become its own ancestor.")
        % {"parent": parent.code, "category": category.code},
    )


@transaction.atomic
def category_create(**fields: Any) -> Category:
    return validate_and_save(Category(**{k: v for k, v in fields.items() if k in CATEGORY_FIELDS}))


@transaction.atomic
def category_update(*, category: Category, data: dict[str, Any]) -> Category:
    if "parent" in data:
        list(Category.objects.select_for_update().values_list("pk", flat=True))
        category_check_parent(category=category, parent=data["parent"])
    apply_changes(instance=category, fields=CATEGORY_FIELDS, data=data)
    return validate_and_save(category)
