"""Plumbing shared by every app's services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from cxoffice.errors import application_error_from

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
