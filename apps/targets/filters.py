import django_filters
from django.utils.translation import gettext_lazy as _

from apps.kpis.models import Scope
from cxoffice.api.filters import FilterSet

from .models import Target


class TargetFilter(FilterSet):
    kpi = django_filters.CharFilter(field_name="kpi__code", label=_("KPI code"))
    department = django_filters.CharFilter(
        field_name="department__code", label=_("department code")
    )
    employee = django_filters.CharFilter(
        field_name="employee__employee_number", label=_("employee number")
    )
    scope = django_filters.ChoiceFilter(choices=Scope.choices)

    class Meta:
        model = Target
        fields = ["kpi", "scope", "department", "employee", "period"]
