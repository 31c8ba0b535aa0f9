from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cxoffice.api.permissions import CanViewModel

from . import selectors, services
from .filters import ServiceDayFilter
from .models import Finding
from .serializers import (
    ComplianceSerializer,
    FindingSerializer,
    FollowUpSerializer,
    ServiceDaySerializer,
)

FINDING = r"findings/(?P<finding_id>[0-9]+)"


class ServiceDayViewSet(viewsets.ModelViewSet):
    """Executives' days of service. Everyone with access reads every day; an executive logs and
    changes only their own (the executive is the signed-in user's employee), administrators
    anyone's. Findings are nested: ``…/{id}/findings/``, ``…/{id}/findings/{finding_id}/`` and
    ``…/follow-up/``; ``compliance/?period=2026-Q4`` is the quota report."""

    serializer_class = ServiceDaySerializer
    filterset_class = ServiceDayFilter
    search_fields = ["role_played", "summary", "executive__full_name", "executive__employee_number"]
    ordering_fields = ["date", "hours", "customers_served", "id"]
    ordering = ["-date", "executive__employee_number", "id"]

    def get_queryset(self):
        return selectors.service_day_list()

    def get_permissions(self):
        if self.action in ("findings", "finding", "follow_up"):
            return [CanViewModel()]  # the actions check the finding permissions themselves
        return super().get_permissions()

    def _reloaded(self, day):
        return selectors.service_day_list().get(pk=day.pk)

    def perform_create(self, serializer):
        day = services.service_day_create(user=self.request.user, **serializer.validated_data)
        serializer.instance = self._reloaded(day)

    def perform_update(self, serializer):
        day = services.service_day_update(
            user=self.request.user, day=serializer.instance, data=serializer.validated_data
        )
        serializer.instance = self._reloaded(day)

    def perform_destroy(self, instance):
        services.service_day_delete(user=self.request.user, day=instance)

    def _require(self, permission: str) -> None:
        if not self.request.user.has_perm(f"service_days.{permission}"):
            self.permission_denied(self.request)

    def _finding(self, finding_id) -> Finding:
        day = self.get_object()
        return get_object_or_404(selectors.finding_list().filter(service_day=day), pk=finding_id)

    @extend_schema(methods=["GET"], responses=FindingSerializer(many=True))
    @extend_schema(methods=["POST"], request=FindingSerializer, responses={201: FindingSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def findings(self, request, pk=None):
        """GET: the day's findings; POST: add one (the day's executive or an administrator)."""
        day = self.get_object()
        if request.method == "GET":
            return Response(FindingSerializer(day.findings.all(), many=True).data)
        self._require("add_finding")
        serializer = FindingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        finding = services.finding_save(
            user=request.user, finding=Finding(service_day=day), data=serializer.validated_data
        )
        return Response(FindingSerializer(finding).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FindingSerializer, responses=FindingSerializer)
    @action(detail=True, methods=["get", "put", "patch", "delete"], url_path=FINDING)
    def finding(self, request, pk=None, finding_id=None):
        finding = self._finding(finding_id)
        if request.method == "GET":
            return Response(FindingSerializer(finding).data)
        if request.method == "DELETE":
            self._require("delete_finding")
            services.finding_delete(user=request.user, finding=finding)
            return Response(status=status.HTTP_204_NO_CONTENT)
        self._require("change_finding")
        serializer = FindingSerializer(
            finding, data=request.data, partial=request.method == "PATCH"
        )
        serializer.is_valid(raise_exception=True)
        services.finding_save(user=request.user, finding=finding, data=serializer.validated_data)
        return Response(FindingSerializer(self._finding(finding_id)).data)

    @extend_schema(request=FollowUpSerializer, responses={201: FindingSerializer})
    @action(detail=True, methods=["post"], url_path=f"{FINDING}/follow-up")
    def follow_up(self, request, pk=None, finding_id=None):
        """Turn the finding into a proposed BPI project (owner: the responsible department's
        head, else the executive; sponsor: the executive). Once only: again is a 409."""
        finding = self._finding(finding_id)
        self._require("change_finding")
        serializer = FollowUpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.finding_follow_up(user=request.user, finding=finding, **serializer.validated_data)
        return Response(
            FindingSerializer(self._finding(finding_id)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        parameters=[OpenApiParameter("period", str, required=True, description="2026-Q4")],
        responses=ComplianceSerializer,
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def compliance(self, request):
        """Each executive employed during the quarter: days required, expected by today, done,
        last day served and whether they are behind."""
        period = selectors.quarter_from_key(request.query_params.get("period"))
        rows = selectors.compliance(period)
        return Response(ComplianceSerializer({"period": period.key, "rows": rows}).data)
