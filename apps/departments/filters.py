import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cxoffice.api.filters import BooleanFilter, FilterSet

from .models import Assignment, Department, Employee
from .selectors import department_descendant_ids


class DepartmentFilter(FilterSet):
    parent = django_filters.CharFilter(field_name="parent__code", label=_("parent code"))
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("name contains"))

    class Meta:
        model = Department
        fields = ["code", "parent", "is_active", "name"]


class EmployeeFilter(FilterSet):
    department = django_filters.CharFilter(
        method="filter_department",
        label=_("current department code (sub-departments included)"),
    )
    is_active = BooleanFilter(
        method="filter_active", label=_("employed today (hired and not left)")
    )
    hired_after = django_filters.DateFilter(field_name="hire_date", lookup_expr="gte")
    hired_before = django_filters.DateFilter(field_name="hire_date", lookup_expr="lte")

    class Meta:
        model = Employee
        fields = ["employee_number", "is_executive", "department", "is_active"]

    def filter_department(self, queryset, name, value):
        roots = set(Department.objects.filter(code=value).values_list("pk", flat=True))
        return queryset.filter(current_department_id__in=department_descendant_ids(roots))

    def filter_active(self, queryset, name, value):
        today = timezone.localdate()
        employed = Q(hire_date__lte=today) & (Q(leave_date__isnull=True) | Q(leave_date__gte=today))
        return queryset.filter(employed) if value else queryset.exclude(employed)


class AssignmentFilter(FilterSet):
    employee = django_filters.CharFilter(field_name="employee__employee_number")
    department = django_filters.CharFilter(field_name="department__code")
    active_on = django_filters.DateFilter(method="filter_active_on", label=_("covering this date"))

    class Meta:
        model = Assignment
        fields = ["employee", "department", "active_on"]

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(
            Q(start_date__lte=value), Q(end_date__isnull=True) | Q(end_date__gte=value)
        )
