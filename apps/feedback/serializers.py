"""Shapes of the feedback API (SPEC §16): references travel as codes (category, department,
KPI and BPI project ``code``, owner ``employee_number``); integers are taken as ids."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.bpi.models import Project
from apps.departments.models import Department, Employee
from apps.kpis.models import KPI
from cxoffice.api.fields import CodeRelatedField

from .models import RATING_MAX, RATING_MIN, Category, ColumnMapping, Feedback, Status


class FeedbackSerializer(serializers.ModelSerializer):
    category = CodeRelatedField(
        slug_field="code", queryset=Category.objects.all(), allow_null=True, required=False
    )
    department = CodeRelatedField(
        slug_field="code", queryset=Department.objects.all(), allow_null=True, required=False
    )
    owner = CodeRelatedField(
        slug_field="employee_number",
        queryset=Employee.objects.all(),
        allow_null=True,
        required=False,
    )
    kpi = CodeRelatedField(
        slug_field="code", queryset=KPI.objects.all(), allow_null=True, required=False
    )
    bpi_project = CodeRelatedField(
        slug_field="code", queryset=Project.objects.all(), allow_null=True, required=False
    )
    rating = serializers.IntegerField(
        min_value=RATING_MIN, max_value=RATING_MAX, allow_null=True, required=False
    )
    is_overdue = serializers.BooleanField(read_only=True)
    # A plain string in the schema: "status" enums of BPI projects and bonus runs differ.
    status = serializers.CharField(
        read_only=True, help_text=_("new, triaged, in_progress, resolved or closed")
    )

    class Meta:
        model = Feedback
        fields = [
            "id", "channel", "received_at", "customer_ref", "order_ref", "rating", "text",
            "category", "department", "severity", "status", "owner", "due_date", "resolution",
            "resolved_at", "kpi", "bpi_project", "is_overdue", "source_system", "source_ref",
            "created_at",
        ]  # fmt: skip
        read_only_fields = ["status", "resolved_at", "created_at"]
        # One item per source reference: a repeat is skipped by the import, not a 400 here.
        validators: list = []


class CategorySerializer(serializers.ModelSerializer):
    department = CodeRelatedField(
        slug_field="code", queryset=Department.objects.all(), allow_null=True, required=False
    )
    parent = CodeRelatedField(
        slug_field="code", queryset=Category.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Category
        fields = ["id", "code", "name", "department", "parent", "is_active"]


@extend_schema_field({"type": "string", "enum": Status.values})
class _StatusName(serializers.CharField):
    """A status by its name: the schema lists them; the service refuses another one with the
    list of statuses."""


class TransitionSerializer(serializers.Serializer):
    to = _StatusName(help_text=_("new, triaged, in_progress, resolved or closed"))
    resolution = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class TriageSerializer(serializers.Serializer):
    category = CodeRelatedField(slug_field="code", queryset=Category.objects.all(), required=False)
    department = CodeRelatedField(
        slug_field="code", queryset=Department.objects.all(), required=False
    )
    owner = CodeRelatedField(
        slug_field="employee_number", queryset=Employee.objects.all(), required=False
    )
    severity = serializers.CharField(required=False)
    due_date = serializers.DateField(required=False)


class BulkFeedbackSerializer(serializers.Serializer):
    """``{"items": [row, ...]}`` (or a bare list); rows are checked by the service (per-row
    errors)."""

    items = serializers.ListField(
        child=serializers.JSONField(), allow_empty=False, min_length=1, max_length=200_000
    )


class ImportReportSerializer(serializers.Serializer):
    read = serializers.IntegerField()
    created = serializers.IntegerField()
    skipped = serializers.IntegerField()
    skipped_existing = serializers.IntegerField()
    skipped_duplicates = serializers.IntegerField()


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("CSV (UTF-8) or XLSX; the first row names columns."))
    mapping = serializers.SlugRelatedField(
        slug_field="name", queryset=ColumnMapping.objects.all(), help_text=_("saved mapping name")
    )
