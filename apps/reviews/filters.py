import django_filters
from django.utils.translation import gettext_lazy as _

from cxoffice.api.filters import FilterSet

from .models import ActionStatus, ReviewAction
from .selectors import week_from_key


class ReviewActionFilter(FilterSet):
    """``week`` (ISO week of the review, a bad key is a 400 naming ``week``), ``owner``
    (employee number), ``status`` (open or done)."""

    week = django_filters.CharFilter(method="filter_week", label=_("ISO week (2026-W47)"))
    owner = django_filters.CharFilter(
        field_name="owner__employee_number", label=_("responsible person (employee number)")
    )
    status = django_filters.ChoiceFilter(choices=ActionStatus.choices)

    class Meta:
        model = ReviewAction
        fields = ["week", "owner", "status"]

    def filter_week(self, queryset, name, value):
        return queryset.filter(week=week_from_key(value, field=name).key)
