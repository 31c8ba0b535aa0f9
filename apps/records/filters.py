import django_filters
from django.utils.translation import gettext_lazy as _

from cxoffice.api.filters import BooleanFilter, FilterSet

from .models import CesScale, Shipment, ShipmentStatus, SupportTicket, SurveyResponse, SurveyType


class _RecordFilter(FilterSet):
    department = django_filters.CharFilter(
        field_name="department__code", label=_("department code")
    )
    source_system = django_filters.CharFilter()


def _person(name: str, label):
    """Records crediting one person, by employee number."""
    return django_filters.CharFilter(field_name=f"{name}__employee_number", label=label)


class SurveyResponseFilter(_RecordFilter):
    agent = _person("agent", _("agent's employee number"))
    survey_type = django_filters.ChoiceFilter(choices=SurveyType.choices)
    scale = django_filters.ChoiceFilter(choices=CesScale.choices)
    answered_from = django_filters.IsoDateTimeFilter(field_name="answered_at", lookup_expr="gte")
    answered_to = django_filters.IsoDateTimeFilter(field_name="answered_at", lookup_expr="lt")

    class Meta:
        model = SurveyResponse
        fields = ["survey_type", "scale", "department", "source_system"]


class TicketFilter(_RecordFilter):
    agent = _person("agent", _("agent's employee number"))
    opened_from = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="gte")
    opened_to = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="lt")
    unanswered = BooleanFilter(
        field_name="first_response_at", lookup_expr="isnull", label=_("unanswered")
    )

    class Meta:
        model = SupportTicket
        fields = ["channel", "category", "department", "source_system"]


class ShipmentFilter(_RecordFilter):
    courier = _person("courier", _("courier's employee number"))
    picker = _person("picker", _("picker's employee number"))
    packer = _person("packer", _("packer's employee number"))
    status = django_filters.ChoiceFilter(choices=ShipmentStatus.choices)
    warehouse = django_filters.CharFilter(field_name="warehouse__code", label=_("warehouse code"))
    carrier = django_filters.CharFilter(field_name="carrier__code", label=_("carrier code"))
    promised_from = django_filters.DateFilter(field_name="promised_on", lookup_expr="gte")
    promised_to = django_filters.DateFilter(field_name="promised_on", lookup_expr="lte")

    class Meta:
        model = Shipment
        fields = ["status", "department", "warehouse", "carrier", "source_system"]
