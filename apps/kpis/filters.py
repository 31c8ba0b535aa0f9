import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cxoffice.api.filters import BooleanFilter, FilterSet
from cxoffice.errors import ApplicationError

from .models import KPI, KPIResult, Scope
from .periods import Period, PeriodError, PeriodType


def _period(value: str, field: str) -> Period:
    try:
        return Period.parse(value)
    except PeriodError as error:
        raise ApplicationError(str(error), field=field, code="invalid_period") from error


class KPIFilter(FilterSet):
    department = django_filters.CharFilter(
        field_name="department__code", label=_("department code")
    )
    parent = django_filters.CharFilter(field_name="parent__code", label=_("parent KPI code"))
    is_root = BooleanFilter(field_name="parent", lookup_expr="isnull")

    class Meta:
        model = KPI
        fields = ["code", "department", "parent", "unit", "direction", "aggregation", "frequency",
                  "source", "is_active"]  # fmt: skip


class KPIResultFilter(FilterSet):
    kpi = django_filters.CharFilter(field_name="kpi__code", label=_("KPI code"))
    department = django_filters.CharFilter(
        field_name="department__code", label=_("department code")
    )
    employee = django_filters.CharFilter(
        field_name="employee__employee_number", label=_("employee number")
    )
    scope = django_filters.ChoiceFilter(choices=Scope.choices)
    period_type = django_filters.ChoiceFilter(choices=PeriodType.choices)
    period_from = django_filters.CharFilter(
        method="filter_from", label=_("periods lying in or after this period")
    )
    period_to = django_filters.CharFilter(
        method="filter_to", label=_("periods lying in or before this period")
    )
    period_in = django_filters.CharFilter(
        method="filter_in", label=_("this period and every period inside it")
    )

    class Meta:
        model = KPIResult
        fields = ["kpi", "scope", "department", "employee", "period", "period_type", "source"]

    def filter_from(self, queryset, name, value):
        return queryset.filter(period_anchor__gte=_period(value, name).start)

    def filter_to(self, queryset, name, value):
        return queryset.filter(period_anchor__lte=_period(value, name).end)

    def filter_in(self, queryset, name, value):
        period = _period(value, name)
        return queryset.filter(
            Q(period=period.key) | Q(period_anchor__gte=period.start, period_anchor__lte=period.end)
        )
