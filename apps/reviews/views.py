"""The review API: ``weekly-reviews/{week}/`` (live, or ``?as_sent=true`` as stored) and the
actions. Rules are the services'; these views only read and call."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from cxoffice.api.permissions import CanViewModel, ModelPermissions

from . import selectors, services
from .filters import ReviewActionFilter
from .models import WeeklyReview
from .serializers import ReviewActionSerializer, WeeklyReviewSerializer

TRUE = ("1", "true", "yes")


class WeeklyReviewViewSet(viewsets.GenericViewSet):
    """The weekly business review of an ISO week (SPEC §7): ``{week, voice_of_customer,
    scorecard, bpi_projects, service_days, actions}`` in that order. Live by default (today's
    data); ``?as_sent=true`` gives the stored review as it was built and sent, or 404."""

    queryset = WeeklyReview.objects.all()
    permission_classes = [CanViewModel]
    lookup_field = "week"
    lookup_value_regex = "[^/]+"
    serializer_class = WeeklyReviewSerializer
    filter_backends: list = []
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "week",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description=gettext_lazy("ISO week, e.g. 2026-W47"),
            ),
            OpenApiParameter(
                "as_sent",
                OpenApiTypes.BOOL,
                description=gettext_lazy("true: the stored review as it was sent (404 if none)"),
            ),
        ],
        responses=WeeklyReviewSerializer,
    )
    def retrieve(self, request, week=None):
        period = selectors.week_from_key(week)
        if str(request.query_params.get("as_sent", "")).lower() in TRUE:
            stored = selectors.review_get(period)
            if stored is None:
                raise NotFound(
                    _("The review of %(week)s has not been stored yet.") % {"week": period.key}
                )
            return Response(selectors.in_section_order(stored.data))
        return Response(selectors.build_review(period))


class ReviewActionViewSet(viewsets.ModelViewSet):
    """Actions agreed in weekly reviews: a responsible person (``owner``, employee number), an
    objective and a due date; filters ``week``, ``owner``, ``status``."""

    serializer_class = ReviewActionSerializer
    permission_classes = [ModelPermissions]
    filterset_class = ReviewActionFilter
    search_fields = ["objective"]
    ordering_fields = ["due_date", "week", "status", "id"]
    ordering = ["due_date", "id"]

    def get_queryset(self):
        return selectors.action_list()

    def perform_create(self, serializer):
        serializer.instance = services.action_create(
            user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.action_update(
            action=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.action_delete(action=instance)
