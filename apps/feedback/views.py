from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from cxoffice.errors import ApplicationError

from . import selectors, services
from .filters import CategoryFilter, FeedbackFilter
from .models import Category
from .serializers import (
    BulkFeedbackSerializer,
    CategorySerializer,
    FeedbackSerializer,
    ImportReportSerializer,
    ImportSerializer,
    TransitionSerializer,
    TriageSerializer,
)


class FeedbackViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Voice-of-the-customer items. The status moves only through ``transition/``; ``triage/``
    routes an item (category → department → owner → due date). Items are records: no DELETE."""

    serializer_class = FeedbackSerializer
    filterset_class = FeedbackFilter
    search_fields = ["text", "customer_ref", "order_ref", "source_ref"]
    ordering_fields = ["received_at", "due_date", "rating", "severity", "id"]
    ordering = ["-received_at", "-id"]

    def get_queryset(self):
        return selectors.feedback_list()

    def perform_create(self, serializer):
        serializer.instance = services.feedback_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.feedback_update(
            feedback=serializer.instance, data=serializer.validated_data
        )

    def _check_write(self, request, permission: str = "feedback.change_feedback") -> None:
        if not request.user.has_perm(permission):
            self.permission_denied(request)

    @extend_schema(request=TransitionSerializer, responses=FeedbackSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """``{"to": status}`` (and optionally ``resolution``): 409 naming the allowed next
        states when the flow forbids the move."""
        self._check_write(request)
        item = self.get_object()
        to = request.data.get("to") if isinstance(request.data, dict) else None
        if not isinstance(to, str) or not to:
            raise ApplicationError(_("Give the status to move to."), field="to", code="required")
        resolution = request.data.get("resolution")
        if resolution is not None and not isinstance(resolution, str):
            raise ApplicationError(_("Give text."), field="resolution", code="invalid")
        item = services.feedback_transition(feedback=item, to=to, resolution=resolution)
        return Response(FeedbackSerializer(selectors.feedback_list().get(pk=item.pk)).data)

    @extend_schema(request=TriageSerializer, responses=FeedbackSerializer)
    @action(detail=True, methods=["post"])
    def triage(self, request, pk=None):
        """Route the item: the category's default department, that department's head as owner
        and the due date from the severity's response time, unless given."""
        self._check_write(request)
        item = self.get_object()
        serializer = TriageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.feedback_triage(feedback=item, **serializer.validated_data)
        return Response(FeedbackSerializer(selectors.feedback_list().get(pk=item.pk)).data)

    @extend_schema(
        request={
            "application/json": {
                "oneOf": [
                    {
                        "type": "object",
                        "properties": {
                            "items": {"type": "array", "items": {"type": "object"}, "minItems": 1}
                        },
                        "required": ["items"],
                    },
                    {"type": "array", "items": {"type": "object"}, "minItems": 1},
                ]
            }
        },
        responses=ImportReportSerializer,
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Create many items, all or nothing: ``{"items": [...]}`` or a bare list. Items whose
        ``source_system`` + ``source_ref`` are stored already are skipped. Answers the counts,
        or per-row errors (``errors: [{index, field, detail, code}]``) and nothing written."""
        self._check_write(request, "feedback.add_feedback")
        data = {"items": request.data} if isinstance(request.data, list) else request.data
        serializer = BulkFeedbackSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        report = services.feedback_rows_create(rows=serializer.validated_data["items"])
        code = status.HTTP_201_CREATED if report.created else status.HTTP_200_OK
        return Response(ImportReportSerializer(report.as_dict()).data, status=code)

    @extend_schema(
        request={"multipart/form-data": ImportSerializer}, responses=ImportReportSerializer
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def import_file(self, request):
        """Upload a CSV/XLSX file with the name of a saved column mapping (``olist-reviews`` …):
        all or nothing; re-importing the same file creates nothing new. Errors name the row
        (``index`` 0-based over data rows) and the file's column."""
        self._check_write(request, "feedback.add_feedback")
        serializer = ImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        rows = services.read_table(upload, upload.name)
        report = services.feedback_import(rows=rows, mapping=serializer.validated_data["mapping"])
        code = status.HTTP_201_CREATED if report.created else status.HTTP_200_OK
        return Response(ImportReportSerializer(report.as_dict()).data, status=code)


class CategoryViewSet(viewsets.ModelViewSet):
    """The feedback taxonomy; each category names its default responsible department."""

    serializer_class = CategorySerializer
    filterset_class = CategoryFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "id"]
    ordering = ["code"]

    def get_queryset(self):
        return Category.objects.select_related("department", "parent")

    def perform_create(self, serializer):
        serializer.instance = services.category_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.category_update(
            category=serializer.instance, data=serializer.validated_data
        )
