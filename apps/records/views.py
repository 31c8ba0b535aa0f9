from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from . import selectors, services
from .filters import ShipmentFilter, SurveyResponseFilter, TicketFilter
from .models import RecordKind
from .serializers import (
    BulkRecordsSerializer,
    ComputationOutcomeSerializer,
    ComputationSerializer,
    LoadReportSerializer,
    ShipmentSerializer,
    SurveyResponseSerializer,
    TicketSerializer,
)


class _RecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Raw CX records, read-only: they are written only by the loader (``bulk/``, the admin
    upload, the ``load_records`` command)."""

    kind: str

    @extend_schema(request=BulkRecordsSerializer, responses=LoadReportSerializer)
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Load many records, all or nothing, idempotent on ``(source_system,
        source_record_id)``: the report (read / created / updated / skipped), or per-row
        errors (``errors: [{index, field, detail, code}]``) and nothing written."""
        serializer = BulkRecordsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job, report = services.records_bulk_load(
            kind=self.kind, rows=serializer.validated_data["records"], user=request.user
        )
        body = {"job": job.pk, **report.as_dict()}
        body.pop("errors")
        return Response(LoadReportSerializer(body).data)


class SurveyResponseViewSet(_RecordViewSet):
    kind = RecordKind.SURVEYS
    serializer_class = SurveyResponseSerializer
    filterset_class = SurveyResponseFilter
    search_fields = ["source_record_id", "order_ref", "customer_ref", "comment"]
    ordering_fields = ["answered_at", "score", "id"]
    ordering = ["-answered_at", "-id"]

    def get_queryset(self):
        return selectors.survey_response_list()


class TicketViewSet(_RecordViewSet):
    kind = RecordKind.TICKETS
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    search_fields = ["source_record_id", "category"]
    ordering_fields = ["opened_at", "resolved_at", "first_response_seconds", "id"]
    ordering = ["-opened_at", "-id"]

    def get_queryset(self):
        return selectors.ticket_list()


class ShipmentViewSet(_RecordViewSet):
    kind = RecordKind.SHIPMENTS
    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilter
    search_fields = ["source_record_id", "order_ref"]
    ordering_fields = ["promised_on", "ordered_at", "delivered_at", "id"]
    ordering = ["-promised_on", "-id"]

    def get_queryset(self):
        return selectors.shipment_list()


class ComputationViewSet(viewsets.GenericViewSet):
    """Compute a period's KPI results from the records, as ``compute_kpis`` does: the company,
    every department with records and every person they credit (or one department). Needs the
    right to add KPI results; a data steward computes their own departments only (403)."""

    serializer_class = ComputationSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ComputationSerializer, responses={200: ComputationOutcomeSerializer})
    def create(self, request):
        if not request.user.has_perm("kpis.add_kpiresult"):
            self.permission_denied(request)
        serializer = ComputationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        summary = services.kpi_results_compute(user=request.user, **serializer.validated_data)
        return Response(ComputationOutcomeSerializer(summary).data)
