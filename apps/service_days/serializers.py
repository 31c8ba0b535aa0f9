"""Shapes of the days-of-service API (SPEC §16). Departments are given by code, executives by
employee number, KPIs by code (integers are ids); a finding's BPI project is its code."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.departments.models import Department, Employee
from apps.feedback.models import Category
from apps.kpis.models import KPI
from cxoffice.api.fields import CodeRelatedField, PlainDecimalField

from .models import Finding, FollowUp, ServiceDay


class FindingSerializer(serializers.ModelSerializer):
    department = CodeRelatedField(
        slug_field="code", queryset=Department.objects.all(), required=False, allow_null=True,
        help_text=_("The responsible department (code or id)."),
    )  # fmt: skip
    kpi = CodeRelatedField(
        slug_field="code", queryset=KPI.objects.all(), required=False, allow_null=True
    )
    category = CodeRelatedField(
        slug_field="code", queryset=Category.objects.all(), required=False, allow_null=True,
        help_text=_("A feedback category code (or id)."),
    )  # fmt: skip
    feedback = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text=_("The id of the feedback item raised from this finding."),
    )
    bpi_project = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Finding
        fields = ["id", "description", "category", "severity", "department", "kpi",
                  "follow_up_type", "feedback", "bpi_project"]  # fmt: skip
        read_only_fields = ["follow_up_type"]


class ServiceDaySerializer(serializers.ModelSerializer):
    executive = CodeRelatedField(
        slug_field="employee_number", queryset=Employee.objects.all(), required=False,
        help_text=_("Set from the signed-in user's employee; only administrators name another "
                    "executive. Never changes after creation."),
    )  # fmt: skip
    department = CodeRelatedField(slug_field="code", queryset=Department.objects.all())
    hours = PlainDecimalField(max_digits=4, decimal_places=2)
    findings = FindingSerializer(
        many=True, required=False,
        help_text=_("Written with a new day only; afterwards through …/findings/."),
    )  # fmt: skip

    class Meta:
        model = ServiceDay
        fields = ["id", "executive", "date", "department", "role_played", "hours",
                  "customers_served", "summary", "findings"]  # fmt: skip
        validators: list = []  # one day per executive and date: the service names the field

    def validate(self, attrs):
        if self.instance is not None and "findings" in attrs:
            raise serializers.ValidationError(
                {
                    "findings": [
                        _(
                            "Findings of an existing day are changed through "
                            "service-days/{id}/findings/."
                        )
                    ]
                },
                code="read_only",
            )
        return attrs


class FollowUpSerializer(serializers.Serializer):
    to = serializers.CharField(
        default=FollowUp.BPI_PROJECT,
        help_text=_("What to turn the finding into: bpi_project or feedback."),
    )
    code = serializers.CharField(
        required=False, max_length=32,
        help_text=_("The new project's code (default: SD-<year>-<number>)."),
    )  # fmt: skip
    title = serializers.CharField(
        required=False, max_length=200,
        help_text=_("The new project's title (default: the finding's first line)."),
    )  # fmt: skip


class ComplianceRowSerializer(serializers.Serializer):
    executive = serializers.CharField(source="executive.employee_number")
    full_name = serializers.CharField(source="executive.full_name")
    required = serializers.IntegerField()
    expected = serializers.IntegerField(
        help_text=_("Days owed by today: the quota pro rata in a running quarter.")
    )
    done = serializers.IntegerField()
    last_date = serializers.DateField(allow_null=True)
    behind = serializers.BooleanField()


class ComplianceSerializer(serializers.Serializer):
    period = serializers.CharField()
    rows = ComplianceRowSerializer(many=True)
