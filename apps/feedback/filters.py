import django_filters
from django.utils.translation import gettext_lazy as _

from apps.kpis.periods import Period, PeriodError, PeriodType
from cxoffice.api.filters import BooleanFilter, FilterSet
from cxoffice.errors import ApplicationError

from . import selectors
from .models import Category, Channel, Feedback, Severity, Status


def week_period(value: str, field: str = "week") -> Period:
    """An ISO week key (``2026-W47``); anything else is a 400 naming the field."""
    try:
        period = Period.parse(value)
    except PeriodError as error:
        raise ApplicationError(str(error), field=field, code="invalid_period") from error
    if period.type != PeriodType.WEEK:
        raise ApplicationError(
            _("“%(key)s” is not an ISO week; use a key such as 2026-W47.") % {"key": value},
            field=field,
            code="invalid_period",
        )
    return period


class FeedbackFilter(FilterSet):
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    status = django_filters.ChoiceFilter(choices=Status.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    category = django_filters.CharFilter(field_name="category__code", label=_("category code"))
    department = django_filters.CharFilter(
        field_name="department__code", label=_("department code")
    )
    owner = django_filters.CharFilter(
        field_name="owner__employee_number", label=_("owner's employee number")
    )
    bpi_project = django_filters.CharFilter(
        field_name="bpi_project__code", label=_("BPI project code")
    )
    overdue = BooleanFilter(method="filter_overdue", label=_("overdue"))
    week = django_filters.CharFilter(method="filter_week", label=_("ISO week received (2026-W47)"))

    class Meta:
        model = Feedback
        fields = ["channel", "status", "severity", "category", "department", "owner",
                  "bpi_project", "source_system"]  # fmt: skip

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return (
            queryset.filter(selectors.overdue_q())
            if value
            else queryset.exclude(selectors.overdue_q())
        )

    def filter_week(self, queryset, name, value):
        return queryset.filter(selectors.in_period_q(week_period(value, name)))


class CategoryFilter(FilterSet):
    department = django_filters.CharFilter(
        field_name="department__code", label=_("department code")
    )
    parent = django_filters.CharFilter(field_name="parent__code", label=_("parent code"))

    class Meta:
        model = Category
        fields = ["code", "department", "parent", "is_active"]
