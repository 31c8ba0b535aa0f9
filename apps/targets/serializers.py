from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.departments.models import Department, Employee
from apps.kpis.models import KPI, Scope
from cxoffice.api.fields import CodeRelatedField, PlainDecimalField

from .models import Target


class TargetSerializer(serializers.ModelSerializer):
    kpi = CodeRelatedField(slug_field="code", queryset=KPI.objects.all())
    scope = serializers.ChoiceField(choices=Scope.choices, default=Scope.COMPANY)
    department = CodeRelatedField(
        slug_field="code", queryset=Department.objects.all(), allow_null=True, required=False
    )
    employee = CodeRelatedField(
        slug_field="employee_number",
        queryset=Employee.objects.all(),
        allow_null=True,
        required=False,
    )
    period = serializers.CharField(max_length=16, allow_blank=True, required=False)
    threshold = PlainDecimalField(allow_null=True, required=False)
    target = PlainDecimalField()
    stretch = PlainDecimalField(allow_null=True, required=False)
    benchmark = PlainDecimalField(allow_null=True, required=False)

    class Meta:
        model = Target
        fields = [
            "id", "kpi", "scope", "department", "employee", "period", "valid_from", "valid_to",
            "threshold", "target", "stretch", "benchmark", "benchmark_source", "note",
        ]  # fmt: skip
        validators: list = []


class TrendPointSerializer(serializers.Serializer):
    period = serializers.CharField()
    value = PlainDecimalField(allow_null=True)


class ScorecardRowSerializer(serializers.Serializer):
    kpi = serializers.CharField(source="kpi.code")
    name = serializers.SerializerMethodField(help_text=_("in the caller's language"))
    unit = serializers.CharField(source="kpi.unit")
    direction = serializers.CharField(source="kpi.direction")
    actual = PlainDecimalField(source="value.value", allow_null=True)
    basis = serializers.CharField(source="value.basis")
    threshold = PlainDecimalField(source="target.threshold", allow_null=True, default=None)
    target = PlainDecimalField(source="target.target", allow_null=True, default=None)
    stretch = PlainDecimalField(source="target.stretch", allow_null=True, default=None)
    benchmark = PlainDecimalField(source="target.benchmark", allow_null=True, default=None)
    status = serializers.CharField()
    gap_to_target = PlainDecimalField(allow_null=True)
    gap_to_benchmark = PlainDecimalField(allow_null=True)
    trend = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()

    def get_name(self, row) -> str:
        # Catalog names are translated; names a company typed itself come back as they are.
        return gettext(row.kpi.name) if row.kpi.name else ""

    def get_trend(self, row) -> list[dict]:
        return TrendPointSerializer(
            [{"period": p.key, "value": v} for p, v in row.trend], many=True
        ).data

    def get_children(self, row) -> list[dict]:
        return ScorecardRowSerializer(row.children, many=True).data


class ScorecardSerializer(serializers.Serializer):
    period = serializers.CharField(source="period.key")
    scope = serializers.CharField()
    department = serializers.CharField(source="department.code", allow_null=True, default=None)
    rows = ScorecardRowSerializer(many=True)
