"""Plumbing shared by every app's services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from cxoffice import trees
from cxoffice.errors import ApplicationError, application_error_from

M = TypeVar("M", bound=models.Model)


def validate_and_save(instance: M) -> M:
    """``full_clean()`` then ``save()``; a ``ValidationError`` becomes an ``ApplicationError``.

    Call inside the service's ``transaction.atomic`` block.
    """
    try:
        instance.full_clean()
    except ValidationError as error:
        raise application_error_from(error) from error
    instance.save()
    return instance


def apply_changes(*, instance: M, fields: Iterable[str], data: dict[str, Any]) -> list[str]:
    """Set those ``fields`` present in ``data`` on ``instance``; return the names that changed."""
    changed = []
    for field in fields:
        if field in data and getattr(instance, field) != data[field]:
            setattr(instance, field, data[field])
            changed.append(field)
    return changed


def check_new_parent(
    *, node: models.Model | None, parent: models.Model | None, message: str
) -> None:
    """Refuse to hang ``node`` under ``parent`` when ``parent`` is ``node`` or below it (a tree of
    one model with a ``parent`` foreign key: departments, KPIs, categories). ``message`` is the
    translated refusal, on the field ``parent`` with the code ``cycle``."""
    if node is None or node.pk is None or parent is None:
        return
    parent_map = dict(type(node)._default_manager.values_list("id", "parent_id"))
    if trees.would_cycle(parent_map, node.pk, parent.pk):
        raise ApplicationError(message, field="parent", code="cycle")
