from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.departments.models import Department, Employee
from cxoffice.api.fields import CodeRelatedField, PlainDecimalField

from .models import KPI, KPIResult, Scope, Source


class KPISerializer(serializers.ModelSerializer):
    department = CodeRelatedField(
        slug_field="code", queryset=Department.objects.all(), allow_null=True, required=False
    )
    parent = CodeRelatedField(
        slug_field="code", queryset=KPI.objects.all(), allow_null=True, required=False
    )
    min_value = PlainDecimalField(allow_null=True, required=False)
    max_value = PlainDecimalField(allow_null=True, required=False)

    class Meta:
        model = KPI
        fields = [
            "id", "code", "name", "description", "department", "unit", "direction",
            "aggregation", "frequency", "decimals", "parent", "source", "min_value", "max_value",
            "is_active",
        ]  # fmt: skip


class KPIResultSerializer(serializers.ModelSerializer):
    kpi = CodeRelatedField(slug_field="code", queryset=KPI.objects.all())
    scope = serializers.ChoiceField(
        choices=Scope.choices,
        required=False,
        help_text=_("Inferred when left out: employee, department, else company."),
    )
    department = CodeRelatedField(
        slug_field="code", queryset=Department.objects.all(), allow_null=True, required=False
    )
    employee = CodeRelatedField(
        slug_field="employee_number",
        queryset=Employee.objects.all(),
        allow_null=True,
        required=False,
    )
    period = serializers.CharField(max_length=16)
    value = PlainDecimalField(allow_null=True, required=False)
    numerator = PlainDecimalField(allow_null=True, required=False)
    denominator = PlainDecimalField(allow_null=True, required=False)
    source = serializers.ChoiceField(choices=Source.choices, default=Source.MANUAL)
    entered_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    low_sample = serializers.BooleanField(
        read_only=True,
        help_text=_("Computed from fewer records than the minimum sample (RECORDS_MIN_SAMPLE)."),
    )

    class Meta:
        model = KPIResult
        fields = [
            "id", "kpi", "scope", "department", "employee", "period", "period_type", "value",
            "numerator", "denominator", "sample_size", "low_sample", "source", "note",
            "entered_by", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["period_type", "updated_at"]
        # One result per (KPI, scope, period) is an upsert in the service, not a 400 here.
        validators: list = []


class BulkResultsSerializer(serializers.Serializer):
    """``{"results": [row, ...]}``; rows are checked by the service (per-row errors)."""

    results = serializers.ListField(
        child=serializers.DictField(), allow_empty=False, min_length=1, max_length=200_000
    )


class BulkOutcomeSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class SeriesPointSerializer(serializers.Serializer):
    period = serializers.CharField()
    value = PlainDecimalField(allow_null=True)
    numerator = PlainDecimalField(allow_null=True)
    denominator = PlainDecimalField(allow_null=True)
    sample_size = serializers.IntegerField(allow_null=True)
    basis = serializers.CharField(help_text=_("explicit, rolled_up, children or none"))


class SeriesSerializer(serializers.Serializer):
    kpi = serializers.CharField()
    scope = serializers.CharField()
    department = serializers.CharField(allow_null=True)
    employee = serializers.CharField(allow_null=True)
    points = SeriesPointSerializer(many=True)
