"""Shapes of the review API: actions with their references as codes (owner
``employee_number``, KPI and BPI project ``code``; integers are taken as ids)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.bpi.models import Project
from apps.departments.models import Employee
from apps.feedback.models import Feedback
from apps.kpis.models import KPI
from cxoffice.api.fields import CodeRelatedField

from .models import ReviewAction


class ReviewActionSerializer(serializers.ModelSerializer):
    owner = CodeRelatedField(slug_field="employee_number", queryset=Employee.objects.all())
    owner_name = serializers.CharField(source="owner.full_name", read_only=True)
    kpi = CodeRelatedField(
        slug_field="code", queryset=KPI.objects.all(), allow_null=True, required=False
    )
    bpi_project = CodeRelatedField(
        slug_field="code", queryset=Project.objects.all(), allow_null=True, required=False
    )
    feedback = serializers.PrimaryKeyRelatedField(
        queryset=Feedback.objects.all(), allow_null=True, required=False
    )
    week = serializers.CharField(max_length=10, help_text=_("ISO week of the review: 2026-W47"))
    is_overdue = serializers.BooleanField(read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ReviewAction
        fields = ["id", "week", "objective", "owner", "owner_name", "due_date", "status",
                  "done_on", "is_overdue", "kpi", "bpi_project", "feedback", "created_by",
                  "created_at"]  # fmt: skip
        read_only_fields = ["done_on", "created_at"]


class WeeklyReviewSerializer(serializers.Serializer):
    """The review's sections, in this order (SPEC §16); see ``apps.reviews.selectors``."""

    week = serializers.CharField()
    voice_of_customer = serializers.DictField()
    scorecard = serializers.DictField()
    bpi_projects = serializers.DictField()
    service_days = serializers.DictField()
    actions = serializers.ListField(child=serializers.DictField())
