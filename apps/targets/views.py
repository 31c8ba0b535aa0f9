from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.departments.models import Department
from apps.kpis.selectors import individual_numbers_visible
from apps.kpis.views import period_param
from cxoffice.api.permissions import SignedInReadsModelPermissionsWrite
from cxoffice.errors import ApplicationError

from . import selectors, services
from .filters import TargetFilter
from .serializers import ScorecardSerializer, TargetSerializer


class TargetViewSet(viewsets.ModelViewSet):
    serializer_class = TargetSerializer
    permission_classes = [SignedInReadsModelPermissionsWrite]
    filterset_class = TargetFilter
    ordering_fields = ["kpi__code", "period", "valid_from", "id"]
    ordering = ["kpi__code", "scope", "period"]

    def get_queryset(self):
        return individual_numbers_visible(selectors.target_list(), self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.target_create(
            user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.target_update(
            user=self.request.user, target=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.target_delete(user=self.request.user, target=instance)


class ScorecardView(APIView):
    """Every KPI of the company (or a department) for a period: actual and how it was obtained,
    target band, benchmark, status, gaps, the trend of the last 8 periods, and children."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, required=True, description=_("period key")),
            OpenApiParameter("department", str, description=_("department code; none: company")),
        ],
        responses=ScorecardSerializer,
    )
    def get(self, request):
        period = period_param(request, "period")
        if period is None:
            raise ApplicationError(
                _("Give a period, e.g. 2026-11 or 2026-W47."), field="period", code="required"
            )
        department = None
        code = request.query_params.get("department")
        if code:
            department = Department.objects.filter(code=code).first()
            if department is None:
                raise ApplicationError(
                    _("Unknown department “%(code)s”.") % {"code": code},
                    field="department",
                    code="does_not_exist",
                )
        card = selectors.scorecard(period=period, department=department)
        return Response(ScorecardSerializer(card).data)
