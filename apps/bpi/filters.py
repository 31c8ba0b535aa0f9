import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cxoffice.api.filters import BooleanFilter, FilterSet

from .models import Priority, Project, Status
from .selectors import overdue_q


class ProjectFilter(FilterSet):
    """``status``, ``priority``, ``owner`` (employee number), ``sponsor``, ``department`` (code),
    ``overdue=true|false`` and ``mine=true`` (projects the caller owns)."""

    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    owner = django_filters.CharFilter(
        field_name="owner__employee_number", label=_("owner (employee number)")
    )
    sponsor = django_filters.CharFilter(
        field_name="sponsor__employee_number", label=_("sponsor (employee number)")
    )
    department = django_filters.CharFilter(
        field_name="departments__code", label=_("department code"), distinct=True
    )
    overdue = BooleanFilter(method="filter_overdue", label=_("overdue"))
    mine = BooleanFilter(method="filter_mine", label=_("my projects"))

    class Meta:
        model = Project
        fields = ["status", "priority", "owner", "sponsor", "department", "overdue", "mine"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())

    def filter_mine(self, queryset, name, value):
        if value is None:
            return queryset
        user = getattr(self.request, "user", None)
        mine = Q(owner__user=user) if user is not None and user.is_authenticated else Q(pk__in=[])
        return queryset.filter(mine) if value else queryset.exclude(mine)
