import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.kpis.periods import Period, PeriodError
from cxoffice.api.filters import BooleanFilter, FilterSet
from cxoffice.errors import ApplicationError

from .models import ServiceDay


class ServiceDayFilter(FilterSet):
    """``executive`` (employee number or id), ``department`` (code), ``date_after`` /
    ``date_before`` (inclusive), ``period`` (any period key: the days lying in it, e.g. a
    quarter ``2026-Q4`` or a month ``2026-11``) and ``mine=true`` (the caller's own days)."""

    executive = django_filters.CharFilter(
        method="filter_executive", label=_("executive (employee number or id)")
    )
    department = django_filters.CharFilter(
        field_name="department__code", label=_("department code")
    )
    date_after = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", label=_("on or after this date")
    )
    date_before = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", label=_("on or before this date")
    )
    period = django_filters.CharFilter(
        method="filter_period", label=_("days in this period (e.g. 2026-Q4)")
    )
    mine = BooleanFilter(method="filter_mine", label=_("my own days only"))

    class Meta:
        model = ServiceDay
        fields = ["executive", "department", "date_after", "date_before", "period", "mine"]

    def filter_executive(self, queryset, name, value):
        match = Q(executive__employee_number=value)
        if value.isdigit():
            match |= Q(executive_id=int(value))
        return queryset.filter(match)

    def filter_period(self, queryset, name, value):
        try:
            period = Period.parse(value)
        except PeriodError as error:
            raise ApplicationError(str(error), field=name, code="invalid_period") from error
        return queryset.filter(date__gte=period.start, date__lte=period.end)

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        mine = Q(executive__user_id=getattr(user, "pk", None))
        return queryset.filter(mine) if value else queryset.exclude(mine)
