"""Admin plumbing: forms that run the services' checks, and saving through services."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.db import models

from cxoffice.errors import ApplicationError


def adopt(target: models.Model, saved: models.Model) -> None:
    """Make the admin's in-memory object the row a service saved (pk, values, DB state)."""
    for key, value in saved.__dict__.items():
        if key != "_state":
            target.__dict__[key] = value
    target._state.adding = False
    target._state.db = saved._state.db


class ServiceCheckedForm(forms.ModelForm):
    """A ModelForm whose ``clean()`` runs a service's check; its ApplicationError becomes an
    error on the field it names (or on the form)."""

    def run_check(self, check: Callable[..., None], **kwargs) -> None:
        try:
            check(**kwargs)
        except ApplicationError as error:
            field = error.field if error.field in self.fields else None
            self.add_error(field, error.message)
