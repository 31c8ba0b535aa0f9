from django.db.models import OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.records import evidence as records_evidence
from cxoffice.api.permissions import CanViewModel
from cxoffice.errors import ApplicationError
from cxoffice.numbers import plain

from . import exports, selectors, services
from .models import Adjustment, Enrollment, Line, Plan
from .serializers import (
    AdjustmentSerializer,
    EnrollmentSerializer,
    EvidenceSerializer,
    LineSerializer,
    PlanSerializer,
    RunSerializer,
    evidence_body,
)

KPI_PARAMETER = OpenApiParameter(
    "kpi", str, required=True, description="The code of an employee-scope component's KPI."
)


def _evidence_response(view, line) -> Response:
    """A line's component drilled down to its records: the number, then a page of records."""
    found = selectors.line_evidence(line, view.request.query_params.get("kpi"))
    page = view.paginate_queryset(found.evidence.records)
    paginated = view.get_paginated_response([]).data
    rows = records_evidence.record_rows(found.evidence, page)
    return Response(EvidenceSerializer(evidence_body(found, rows, paginated)).data)


class FileFormatParam(DefaultContentNegotiation):
    """``?format=csv|xlsx`` names the file to build, not a DRF renderer: answer errors in JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class PlanViewSet(viewsets.ModelViewSet):
    """Bonus plans with their components and gates (HR only). Components and gates given in a
    write replace the plan's lists whole (each component complete: kpi and weight, code
    required); only a component measured for the employee has a low-sample rule (400, code
    employee_scope_only); a plan used by an approved run is read-only (409)."""

    serializer_class = PlanSerializer
    filterset_fields = ["status", "period_type", "currency"]
    search_fields = ["code", "name"]
    ordering = ["code"]

    def get_queryset(self):
        return Plan.objects.prefetch_related("components__kpi", "gates__kpi")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.plan_create(
            components=data.pop("components", []), gates=data.pop("gates", []), **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.plan_update(
            plan=serializer.instance,
            data=data,
            components=data.pop("components", None),
            gates=data.pop("gates", None),
        )

    def perform_destroy(self, instance):
        services.plan_delete(plan=instance)

    @extend_schema(request=None, responses={201: PlanSerializer})
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        """Copy the plan (components, gates, enrollments) as its next version; retire this one."""
        if not request.user.has_perm("bonuses.add_plan"):
            self.permission_denied(request)
        new = services.plan_new_version(plan=self.get_object())
        return Response(PlanSerializer(new).data, status=status.HTTP_201_CREATED)


class EnrollmentViewSet(viewsets.ModelViewSet):
    """Employees enrolled in bonus plans (HR only). Two enrollments of one employee in one plan
    may not overlap (400, code overlap); the target amount is not negative and in whole minor
    units of the plan's currency (max_decimal_places); a plan used by an approved run is frozen
    (409)."""

    serializer_class = EnrollmentSerializer
    filterset_fields = {"plan__code": ["exact"], "employee__employee_number": ["exact"]}
    ordering = ["plan__code", "employee__employee_number", "start_date"]

    def get_queryset(self):
        return Enrollment.objects.select_related("employee", "plan")

    def perform_create(self, serializer):
        serializer.instance = services.enrollment_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.enrollment_update(
            enrollment=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.enrollment_delete(enrollment=instance)


class RunViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """``POST {plan, period}`` creates a draft run; then ``calculate/``, ``approve/`` (another
    person, with the approve permission), ``mark-paid/``; ``lines/``; ``export/``."""

    serializer_class = RunSerializer
    filterset_fields = {"plan__code": ["exact"], "status": ["exact"], "period": ["exact"]}
    ordering = ["-period", "plan__code"]

    def get_queryset(self):
        return selectors.run_list()

    def get_permissions(self):
        if self.action in ("approve", "mark_paid", "true_up"):
            return [CanViewModel()]  # the service checks approve_run / pay_run
        return super().get_permissions()

    def retrieve(self, request, *args, **kwargs):
        return self._respond(self.get_object())

    def perform_create(self, serializer):
        serializer.instance = services.run_create(**serializer.validated_data)

    def perform_destroy(self, instance):
        services.run_delete(run=instance)

    def _respond(self, run):
        """One run with its staleness (recomputed from the current inputs: a fixed number of
        queries; lists leave it out — null — to stay cheap)."""
        context = {**self.get_serializer_context(), "stale": {run.pk: services.run_is_stale(run)}}
        return Response(RunSerializer(run, context=context).data)

    @extend_schema(request=None, responses=RunSerializer)
    @action(detail=True, methods=["post"])
    def calculate(self, request, pk=None):
        if not request.user.has_perm("bonuses.change_run"):
            self.permission_denied(request)
        return self._respond(services.run_calculate(run=self.get_object(), user=request.user))

    @extend_schema(request=None, responses=RunSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._respond(services.run_approve(run=self.get_object(), user=request.user))

    @extend_schema(request=None, responses=RunSerializer)
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request, pk=None):
        return self._respond(services.run_mark_paid(run=self.get_object(), user=request.user))

    @extend_schema(request=None, responses={201: RunSerializer})
    @action(detail=True, methods=["post"], url_path="true-up")
    def true_up(self, request, pk=None):
        """Start the true-up of an approved or paid run whose inputs changed: a draft run
        correcting it (SPEC §10a); 409 when it is not approved, nothing changed, or a true-up
        of it is open."""
        run = services.run_true_up_start(run=self.get_object(), user=request.user)
        response = self._respond(run)
        response.status_code = 201
        return response

    @action(detail=True, methods=["get"])
    def difference(self, request, pk=None):
        """A simulation against the real run of its plan and period: per employee and in total."""
        run = self.get_object()
        if not run.is_simulation:
            raise ApplicationError(
                _("Only a simulation is compared with the real run."),
                field="run",
                code="not_simulation",
            )
        body = services.simulation_difference(run)
        for row in body["rows"]:
            for key in ("real", "simulated", "difference"):
                row[key] = None if row[key] is None else plain(row[key])
        for key in ("real_total", "simulated_total"):
            body[key] = None if body[key] is None else plain(body[key])
        return Response(body)

    @extend_schema(responses=LineSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])  # the run list's filters: not here
    def lines(self, request, pk=None):
        run = self.get_object()
        page = self.paginate_queryset(
            selectors.line_list().filter(run=run).order_by("employee__employee_number")
        )
        return self.get_paginated_response(LineSerializer(page, many=True).data)

    @extend_schema(parameters=[KPI_PARAMETER], responses=EvidenceSerializer)
    @action(
        detail=True,
        methods=["get"],
        url_path=r"lines/(?P<line_id>[0-9]+)/evidence",
        filter_backends=[],
    )
    def evidence(self, request, pk=None, line_id=None):
        """A line's employee-scope component drilled down to the records behind the person's
        number (``?kpi=``): the number, then the records that count against it, paginated. A
        KPI the line does not measure for the employee is a 400 (code not_on_line), one no
        records stand behind (entered numbers) too (code no_records)."""
        line = get_object_or_404(selectors.line_list().filter(run=self.get_object()), pk=line_id)
        return _evidence_response(self, line)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["csv", "xlsx"])],
        responses={
            (200, "text/csv"): bytes,
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): bytes,
        },
    )
    @action(
        detail=True, methods=["get"], content_negotiation_class=FileFormatParam, filter_backends=[]
    )
    def export(self, request, pk=None):
        run = self.get_object()
        kind = request.query_params.get("format", "csv")
        if kind not in ("csv", "xlsx"):
            raise ApplicationError(
                _("Format must be csv or xlsx."), field="format", code="invalid_choice"
            )
        name = f"bonus-{run.plan.code}-{run.period}"
        if run.corrects_id:
            name += f"-true-up-{run.pk}"
        name += f".{kind}"
        if kind == "csv":
            response = HttpResponse(
                exports.payroll_csv(run), content_type="text/csv; charset=utf-8"
            )
        else:
            response = HttpResponse(
                exports.payroll_xlsx(run),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class AdjustmentViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AdjustmentSerializer
    filterset_fields = ["run"]
    ordering = ["-created_at"]

    def get_queryset(self):
        # The line adjusted: the run's line of the same employee (one per run and employee).
        line = Line.objects.filter(run=OuterRef("run"), employee=OuterRef("employee"))
        return Adjustment.objects.select_related("employee", "created_by", "run").annotate(
            line=Subquery(line.values("pk")[:1])
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        adjustment = services.adjustment_create(user=request.user, **serializer.validated_data)
        adjustment = self.get_queryset().get(pk=adjustment.pk)
        return Response(self.get_serializer(adjustment).data, status=status.HTTP_201_CREATED)


class MyStatementViewSet(viewsets.ReadOnlyModelViewSet):
    """The signed-in employee's own bonus lines of approved and paid runs — nobody else's (an
    other employee's line id is 404)."""

    serializer_class = LineSerializer
    permission_classes = [IsAuthenticated]
    ordering = ["-run__period"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema's dry run
            return selectors.line_list().none()
        return selectors.statement_lines(self.request.user)

    @extend_schema(parameters=[KPI_PARAMETER], responses=EvidenceSerializer)
    @action(detail=True, methods=["get"], filter_backends=[])
    def evidence(self, request, pk=None):
        """One of my lines' components drilled down to the records behind my number (another
        person's line is a 404). A KPI the line does not measure for me is a 400 (code
        not_on_line), one no records stand behind too (code no_records)."""
        return _evidence_response(self, self.get_object())
