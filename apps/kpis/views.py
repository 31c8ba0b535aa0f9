from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from apps.departments.models import Department, Employee
from apps.departments.roles import employees_visible_to
from cxoffice.api.permissions import SignedInReadsModelPermissionsWrite
from cxoffice.errors import ApplicationError, RowError, RowsError

from . import selectors, services
from .filters import KPIFilter, KPIResultFilter
from .models import Scope
from .periods import Period, PeriodError, PeriodType, period_range
from .serializers import (
    BulkOutcomeSerializer,
    BulkResultsSerializer,
    KPIResultSerializer,
    KPISerializer,
    SeriesSerializer,
)

MAX_SERIES_POINTS = 520


class CodeOrIdLookupMixin:
    """``/kpis/12/`` and ``/kpis/delivery.on_time_rate/`` address the same KPI."""

    lookup_value_regex = "[^/]+"
    code_field = "code"

    def get_object(self):
        value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        # List filters (?department=…) do not narrow the lookup of one KPI by its code or id.
        queryset = self.get_queryset()
        lookup = {"pk": int(value)} if value.isdigit() else {self.code_field: value}
        obj = get_object_or_404(queryset, **lookup)
        self.check_object_permissions(self.request, obj)
        return obj


def period_param(request, name: str, default: Period | None = None) -> Period | None:
    raw = request.query_params.get(name)
    if not raw:
        return default
    try:
        return Period.parse(raw)
    except PeriodError as error:
        raise ApplicationError(str(error), field=name, code="invalid_period") from error


BULK_RESULT_KEYS = frozenset(
    {"kpi", "scope", "department", "employee", "period", "value", "numerator", "denominator",
     "sample_size", "note"}
)  # fmt: skip


def holder_from_params(request) -> tuple[selectors.Holder, Department | None, Employee | None]:
    """``scope`` with ``department`` (code) or ``employee`` (number); the scope is inferred."""
    params = request.query_params
    department = employee = None
    if params.get("department"):
        department = Department.objects.filter(code=params["department"]).first()
        if department is None:
            raise ApplicationError(
                _("Unknown department “%(code)s”.") % {"code": params["department"]},
                field="department",
                code="does_not_exist",
            )
    if params.get("employee"):
        employee = Employee.objects.filter(employee_number=params["employee"]).first()
        visible = employees_visible_to(request.user)
        if employee is not None and visible is not None and employee.pk not in visible:
            employee = None  # another person's numbers: as if there were no such employee
        if employee is None:
            raise ApplicationError(
                _("Unknown employee “%(number)s”.") % {"number": params["employee"]},
                field="employee",
                code="does_not_exist",
            )
    scope = params.get("scope") or (
        Scope.EMPLOYEE if employee else Scope.DEPARTMENT if department else Scope.COMPANY
    )
    services.check_scope(scope=scope, department=department, employee=employee)
    holder_id = department.pk if department else employee.pk if employee else None
    return selectors.Holder(scope, holder_id), department, employee


class KPIViewSet(CodeOrIdLookupMixin, viewsets.ModelViewSet):
    serializer_class = KPISerializer
    permission_classes = [SignedInReadsModelPermissionsWrite]
    filterset_class = KPIFilter
    search_fields = ["code", "name", "description"]
    ordering_fields = ["code", "name", "id"]
    ordering = ["code"]

    def get_queryset(self):
        return selectors.kpi_list()

    def perform_create(self, serializer):
        serializer.instance = services.kpi_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.kpi_update(
            kpi=serializer.instance, data=serializer.validated_data
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("scope", str, enum=Scope.values),
            OpenApiParameter("department", str, description=_("department code")),
            OpenApiParameter("employee", str, description=_("employee number")),
            OpenApiParameter("period_type", str, enum=PeriodType.values),
            OpenApiParameter("from", str, description=_("first period key")),
            OpenApiParameter("to", str, description=_("last period key (default: the current)")),
        ],
        responses=SeriesSerializer,
    )
    @action(detail=True, methods=["get"])
    def series(self, request, pk=None):
        """The KPI's values over a range of periods, each saying how it was obtained."""
        kpi = self.get_object()
        holder, department, employee = holder_from_params(request)
        period_type = request.query_params.get("period_type")
        if period_type is None:
            given = period_param(request, "from") or period_param(request, "to")
            period_type = given.type if given else kpi.frequency
        if period_type not in PeriodType.values:
            raise ApplicationError(
                _("Period type must be week, month, quarter or year."),
                field="period_type",
                code="invalid_choice",
            )
        today = Period.for_date(timezone.localdate(), PeriodType(period_type))
        last = period_param(request, "to", today)
        first = period_param(request, "from", last.shift(-11))
        for name, period in (("from", first), ("to", last)):
            if period.type != period_type:
                raise ApplicationError(
                    _("%(key)s is not a %(type)s period.")
                    % {"key": period.key, "type": PeriodType(period_type).label},
                    field=name,
                    code="invalid_period",
                )
        periods = period_range(first, last)
        if not periods or len(periods) > MAX_SERIES_POINTS:
            raise ApplicationError(
                _("Ask for 1 to %(max)s periods, “from” not after “to”.")
                % {"max": MAX_SERIES_POINTS},
                field="from",
                code="invalid_range",
            )
        points = selectors.kpi_series(kpi, holder, periods)
        body = {
            "kpi": kpi.code,
            "scope": holder.scope,
            "department": department.code if department else None,
            "employee": employee.employee_number if employee else None,
            "points": [
                {
                    "period": period.key,
                    "value": value.value,
                    "numerator": value.numerator,
                    "denominator": value.denominator,
                    "sample_size": value.sample_size,
                    "basis": value.basis,
                }
                for period, value in points
            ],
        }
        return Response(SeriesSerializer(body).data)


class KPIResultViewSet(viewsets.ModelViewSet):
    """Results of KPIs. POST is an upsert: the one result of (KPI, scope, period) is created (201)
    or updated (200)."""

    serializer_class = KPIResultSerializer
    permission_classes = [SignedInReadsModelPermissionsWrite]
    filterset_class = KPIResultFilter
    search_fields = ["kpi__code", "kpi__name", "note"]
    ordering_fields = ["period_start", "kpi__code", "value", "updated_at", "id"]
    ordering = ["kpi__code", "-period_start"]

    def get_queryset(self):
        return selectors.individual_numbers_visible(selectors.kpi_result_list(), self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result, outcome = services.kpi_result_upsert(user=request.user, **serializer.validated_data)
        code = status.HTTP_201_CREATED if outcome == "created" else status.HTTP_200_OK
        return Response(self.get_serializer(result).data, status=code)

    def perform_update(self, serializer):
        # Every rule (fixed KPI, scope, holder and period; the value derived again) is the
        # service's, the same the admin's change form runs.
        serializer.instance = services.kpi_result_update(
            user=self.request.user, result=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.kpi_result_delete(user=self.request.user, result=instance)

    @extend_schema(request=BulkResultsSerializer, responses=BulkOutcomeSerializer)
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Upsert many results, all or nothing: counts of created / updated / unchanged, or
        per-row errors (``errors: [{index, field, detail, code}]``) and nothing written."""
        if not request.user.has_perm("kpis.add_kpiresult"):
            self.permission_denied(request)
        serializer = BulkResultsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # A key the API does not know (a typo, "source") is refused, not silently dropped.
        unknown = [
            RowError(index, key, _("Unknown field “%(field)s”.") % {"field": key}, "unknown_field")
            for index, row in enumerate(serializer.validated_data["results"])
            for key in row
            if key not in BULK_RESULT_KEYS
        ]
        if unknown:
            raise RowsError(unknown[:1000])
        counts = services.kpi_results_bulk_upsert(
            user=request.user, rows=serializer.validated_data["results"], source="import"
        )
        return Response(BulkOutcomeSerializer(counts).data)
