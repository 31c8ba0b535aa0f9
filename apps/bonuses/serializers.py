"""Shapes of the bonus API (SPEC §16). Percentages are plain numbers in percent (``60`` = 60%):
weights, payouts, the cap, gate multipliers, and a line's ``factor`` and ``gate_multiplier``;
``proration`` is the fraction of the period's days (``0.5``)."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.departments.models import Employee
from apps.kpis.models import KPI
from apps.records.models import Stage
from cxoffice.api.fields import CodeRelatedField, PlainDecimalField
from cxoffice.numbers import plain

from .messages import render
from .models import Adjustment, Component, Enrollment, Gate, Line, Plan, Run, RunKind

HUNDRED = Decimal(100)
ZERO = Decimal(0)
IN_KPI_UNIT = _("In the KPI's unit: for a percent KPI, 95 means 95 %.")


class ComponentSerializer(serializers.ModelSerializer):
    kpi = CodeRelatedField(slug_field="code", queryset=KPI.objects.all())
    weight = PlainDecimalField(
        min_value=ZERO,
        max_value=HUNDRED,
        max_digits=9,
        decimal_places=4,
        help_text=_("Percent, 0 to 100 (50 means 50 %, not 0.5): the share of the target amount."),
    )
    payout_at_threshold = PlainDecimalField(
        min_value=ZERO,
        max_digits=9,
        decimal_places=4,
        required=False,
        help_text=_(
            "Percent, from 0 (50 means 50 %): the payout when the actual meets the threshold."
        ),
    )
    payout_at_stretch = PlainDecimalField(
        min_value=ZERO,
        max_digits=9,
        decimal_places=4,
        required=False,
        help_text=_(
            "Percent, from 0 (150 means 150 %): the payout at the stretch level and beyond."
        ),
    )
    threshold = PlainDecimalField(allow_null=True, required=False, help_text=IN_KPI_UNIT)
    target = PlainDecimalField(allow_null=True, required=False, help_text=IN_KPI_UNIT)
    stretch = PlainDecimalField(allow_null=True, required=False, help_text=IN_KPI_UNIT)

    class Meta:
        model = Component
        fields = ["kpi", "weight", "scope", "payout_at_threshold", "payout_at_stretch",
                  "threshold", "target", "stretch", "low_sample"]  # fmt: skip


class GateSerializer(serializers.ModelSerializer):
    kpi = CodeRelatedField(slug_field="code", queryset=KPI.objects.all())
    minimum = PlainDecimalField(help_text=IN_KPI_UNIT)
    multiplier = PlainDecimalField(
        min_value=ZERO,
        max_value=HUNDRED,
        max_digits=9,
        decimal_places=4,
        required=False,
        help_text=_("Percent, 0 to 100 (50 means 50 %, not 0.5): kept if the gate is missed."),
    )

    class Meta:
        model = Gate
        fields = ["kpi", "scope", "minimum", "multiplier"]


class PlanSerializer(serializers.ModelSerializer):
    cap_percent = PlainDecimalField(
        min_value=ZERO,
        max_digits=9,
        decimal_places=4,
        required=False,
        help_text=_(
            "Percent, from 0 (200 means 200 %): no line pays more than this share of its target."
        ),
    )
    components = ComponentSerializer(many=True, required=False)
    gates = GateSerializer(many=True, required=False)

    class Meta:
        model = Plan
        fields = ["id", "code", "name", "period_type", "currency", "status", "cap_percent",
                  "missing_data_policy", "true_up_negative", "components", "gates",
                  "version"]  # fmt: skip
        read_only_fields = ["version"]


class EnrollmentSerializer(serializers.ModelSerializer):
    employee = CodeRelatedField(slug_field="employee_number", queryset=Employee.objects.all())
    plan = CodeRelatedField(slug_field="code", queryset=Plan.objects.all())
    target_amount = PlainDecimalField(max_digits=15, decimal_places=3, min_value=ZERO)

    class Meta:
        model = Enrollment
        fields = ["id", "employee", "plan", "target_amount", "start_date", "end_date"]
        validators: list = []


class RunSerializer(serializers.ModelSerializer):
    plan = CodeRelatedField(slug_field="code", queryset=Plan.objects.all())
    period = serializers.CharField(max_length=16)
    currency = serializers.CharField(source="plan.currency", read_only=True)
    total_amount = PlainDecimalField(read_only=True)
    stale = serializers.SerializerMethodField()
    calculated_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    approved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    blocking_issues = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(
        choices=RunKind.choices,
        read_only=True,
        help_text=_("A true-up pays the deltas of the run it corrects (SPEC §10a)."),
    )
    corrects = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text=_("A true-up: the run it corrects.")
    )

    class Meta:
        model = Run
        fields = ["id", "plan", "period", "status", "kind", "corrects", "is_simulation",
                  "currency", "total_amount",
                  "line_count", "stale", "blocking_issues", "calculated_at", "calculated_by",
                  "approved_at", "approved_by"]  # fmt: skip
        read_only_fields = ["status", "line_count", "calculated_at",
                            "approved_at"]  # fmt: skip
        validators: list = []

    def get_blocking_issues(self, run) -> list[str]:
        """In the reader's language (stored language-neutral)."""
        return list(run.blocking_issue_texts())

    def get_stale(self, run) -> bool | None:
        """Recomputed for one run (detail and actions); null in lists, which stay cheap."""
        return self.context.get("stale", {}).get(run.pk)


class LineSerializer(serializers.ModelSerializer):
    run = serializers.PrimaryKeyRelatedField(read_only=True)
    employee = serializers.CharField(source="employee.employee_number")
    full_name = serializers.CharField(source="employee.full_name")
    department = serializers.CharField(source="department.code", default=None, allow_null=True)
    target_amount = PlainDecimalField()
    proration = PlainDecimalField(
        max_digits=20,
        decimal_places=12,
        help_text=_("A fraction, not a percent: 0.5 means half of the period's days."),
    )
    factor = serializers.SerializerMethodField(
        help_text=_("Percent (87.5 means 87.5 %): the weighted payout before gates and cap.")
    )
    gate_multiplier = serializers.SerializerMethodField(
        help_text=_("Percent (100 means 100 %): the product of the gates' multipliers.")
    )
    adjustments_total = PlainDecimalField()
    amount = PlainDecimalField()
    previously_paid = PlainDecimalField(
        read_only=True, allow_null=True, help_text=_("True-up lines only; null on others.")
    )
    delta = PlainDecimalField(
        read_only=True,
        allow_null=True,
        help_text=_("True-up lines only: what the true-up pays (negative: recovered)."),
    )
    explanation = serializers.SerializerMethodField()

    class Meta:
        model = Line
        fields = ["id", "run", "employee", "full_name", "department", "target_amount",
                  "eligible_days", "period_days", "proration", "factor", "gate_multiplier",
                  "capped", "adjustments_total", "amount", "previously_paid", "delta",
                  "explanation", "flags",
                  "components"]  # fmt: skip
        read_only_fields = fields

    def get_factor(self, line) -> str:
        return plain(line.factor * HUNDRED)

    def get_gate_multiplier(self, line) -> str:
        return plain(line.gate_multiplier * HUNDRED)

    def get_explanation(self, line) -> list[str]:
        """In the reader's language (Accept-Language or the profile), as calculated."""
        return list(render(line.explanation))


class AdjustmentSerializer(serializers.ModelSerializer):
    """Written with ``line``, or with ``run`` and ``employee`` (number or id)."""

    # Read back from the view's annotation ``line`` (the run's line of the adjusted employee).
    line = serializers.PrimaryKeyRelatedField(queryset=Line.objects.all(), required=False)
    amount = PlainDecimalField(max_digits=15, decimal_places=3)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    run = serializers.PrimaryKeyRelatedField(queryset=Run.objects.all(), required=False)
    employee = CodeRelatedField(
        slug_field="employee_number", queryset=Employee.objects.all(), required=False
    )

    class Meta:
        model = Adjustment
        fields = ["id", "line", "run", "employee", "amount", "reason", "created_by", "created_at"]
        read_only_fields = ["created_at"]


class EvidenceRecordSerializer(serializers.Serializer):
    """One record behind a person's number, and why it counts against it."""

    id = serializers.IntegerField()
    source_record_id = serializers.CharField()
    order_ref = serializers.CharField(allow_blank=True)
    date = serializers.DateField(
        help_text=_("The day it counted on: promised date, ticket opened or resolved, answer.")
    )
    reason = serializers.CharField(help_text=_("In the reader's language."))
    stages = serializers.ListField(
        child=serializers.ChoiceField(choices=Stage.choices),
        help_text=_("Shipments: the stages whose standard duration the order overran."),
    )
    hours = PlainDecimalField(allow_null=True, help_text=_("Tickets: the duration counted."))
    score = serializers.IntegerField(allow_null=True, help_text=_("Survey answers: the score."))


class EvidenceSerializer(serializers.Serializer):
    """A line's employee-scope component drilled down to the records behind it (paginated)."""

    kpi = serializers.CharField()
    kpi_name = serializers.CharField()
    employee = serializers.CharField()
    period = serializers.CharField()
    actual = PlainDecimalField(
        allow_null=True, help_text=_("What the line used (see basis: own or department).")
    )
    basis = serializers.CharField()
    value = PlainDecimalField(allow_null=True, help_text=_("The person's own number."))
    numerator = PlainDecimalField(allow_null=True)
    denominator = PlainDecimalField(allow_null=True)
    sample_size = serializers.IntegerField(allow_null=True)
    low_sample = serializers.BooleanField()
    records = serializers.ChoiceField(choices=["shipments", "tickets", "survey_responses"])
    counted = serializers.IntegerField(
        help_text=_("How many records the number counts, as the records stand now.")
    )
    summary = serializers.CharField(
        help_text=_("The number in one sentence, in the reader's language.")
    )
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = EvidenceRecordSerializer(many=True)


def evidence_body(found, page: list[dict], paginated: dict) -> dict:
    """The drill-down's answer: the number, then the page of records."""
    own, row = found.own, found.component
    return {
        "kpi": found.kpi.code,
        "kpi_name": str(found.kpi.name),
        "employee": found.line.employee.employee_number,
        "period": found.line.run.period,
        "actual": None if row.get("actual") is None else Decimal(str(row["actual"])),
        "basis": row.get("basis", ""),
        "value": own.value,
        "numerator": own.numerator,
        "denominator": own.denominator,
        "sample_size": own.sample_size,
        "low_sample": own.low_sample,
        "records": found.evidence.kind,
        "counted": found.evidence.counted,
        "summary": found.summary,
        **paginated,
        "results": page,
    }
