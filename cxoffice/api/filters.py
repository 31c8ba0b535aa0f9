"""Filters that refuse what they cannot read: django-filter's yes/no filters take anything and
read garbage (``?is_active=banana``) as "no filter", so a client would get the whole list while
believing it filtered. Here such a value is a 400 naming the parameter, as for dates and
choices. Every FilterSet of the API derives from :class:`FilterSet`."""

from __future__ import annotations

import django_filters
from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

TRUE = frozenset({"true", "1", "yes", "on"})
FALSE = frozenset({"false", "0", "no", "off"})


class StrictBooleanField(forms.Field):
    widget = forms.TextInput  # the raw text reaches to_python (django-filter's widget maps it)

    default_error_messages = {"invalid": _("Give true or false.")}

    def to_python(self, value):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class FilterSet(django_filters.FilterSet):
    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": BooleanFilter},
    }
