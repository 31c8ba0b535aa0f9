"""Decimal inputs in the admin as people write numbers: ``200`` and ``10``, not the column's
``200.0000`` and ``10.00000000``. Display only — what is typed is saved exactly as typed.

Use ``formfield_overrides = PLAIN_DECIMALS`` on a ModelAdmin or inline.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db import models

from cxoffice.numbers import plain


class PlainDecimalInput(forms.NumberInput):
    """A number input showing a stored ``Decimal`` without trailing zeros (exactly: only zeros
    after the last significant digit go). Typed text (a form shown again) stays as typed."""

    def format_value(self, value):
        if isinstance(value, Decimal) and value.is_finite():
            return plain(value)
        return super().format_value(value)


PLAIN_DECIMALS = {models.DecimalField: {"widget": PlainDecimalInput}}
