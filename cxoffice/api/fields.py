from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cxoffice.numbers import plain


# Read as a code; in a request a code or an id (see cxoffice.api.schema.request_alternatives).
@extend_schema_field({"type": "string", "x-or-id": True})
class CodeRelatedField(serializers.SlugRelatedField):
    """A reference written and read as the object's business code (department code, employee
    number, KPI code …). A JSON integer is taken as the object's ``id`` instead, so clients
    holding ids work too."""

    default_error_messages = {
        "does_not_exist": _("Unknown {model} “{value}”."),
        "invalid": _("Give a code (string) or an id (integer)."),
    }

    def to_internal_value(self, data):
        queryset = self.get_queryset()
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        if isinstance(data, int) and not 0 < data < 2**63:
            self.fail("does_not_exist", model=queryset.model._meta.verbose_name, value=data)
        lookup = {"pk": data} if isinstance(data, int) else {self.slug_field: data}
        try:
            return queryset.get(**lookup)
        except queryset.model.DoesNotExist:
            self.fail("does_not_exist", model=queryset.model._meta.verbose_name, value=data)


class PlainDecimalField(serializers.DecimalField):
    """A decimal as a JSON string without trailing zeros: ``"87.5"``, not ``"87.50000000"``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 24)
        kwargs.setdefault("decimal_places", 8)
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        if value is None:
            return None
        return plain(value)
