from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.departments.models import Department

from .models import Shipment, Stage, SupportTicket, SurveyResponse

COMMON = ["id", "source_system", "source_record_id", "department"]


class _RecordSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)


def _person(help_text: str):
    """A credited person (SPEC §5) by employee number; null when the source named no one."""
    return serializers.SlugRelatedField(
        slug_field="employee_number", read_only=True, allow_null=True, help_text=help_text
    )


class SurveyResponseSerializer(_RecordSerializer):
    agent = _person(_("Employee number of who served the contact surveyed."))

    class Meta:
        model = SurveyResponse
        fields = [
            *COMMON, "survey_type", "scale", "score", "answered_at", "channel", "comment",
            "order_ref", "customer_ref", "agent",
        ]  # fmt: skip


class TicketSerializer(_RecordSerializer):
    agent = _person(_("Employee number of who owned the ticket."))

    class Meta:
        model = SupportTicket
        fields = [
            *COMMON, "opened_at", "first_response_at", "resolved_at", "contacts_to_resolve",
            "channel", "category", "first_response_seconds", "resolution_seconds", "agent",
        ]  # fmt: skip


class ShipmentSerializer(_RecordSerializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    carrier = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    # "" for an order delivered (or not yet started): the schema lists it with the stages.
    stuck_stage = serializers.ChoiceField(choices=Stage.choices, read_only=True, allow_blank=True)
    courier = _person(_("Employee number of the rider who delivered it."))
    picker = _person(_("Employee number of who picked it."))
    packer = _person(_("Employee number of who packed it."))

    class Meta:
        model = Shipment
        fields = [
            *COMMON, "order_ref", "status", "ordered_at", "paid_at", "warehouse_received_at",
            "picked_at", "sorted_at", "packed_at", "shipped_at", "delivered_at", "promised_at",
            "promised_on", "delivered_on", "first_attempt_ok", "damaged", "lost", "documents_ok",
            "items_ordered", "items_delivered", "warehouse", "carrier", "stuck_stage", "courier",
            "picker", "packer",
        ]  # fmt: skip


class BulkRecordsSerializer(serializers.Serializer):
    """``{"records": [row, ...]}``, rows keyed by field name (codes for department, warehouse
    and carrier, employee numbers for credited people; ISO 8601 times); rows are checked by
    the loader (per-row errors)."""

    records = serializers.ListField(
        child=serializers.DictField(), allow_empty=False, min_length=1, max_length=100_000
    )


class LoadReportSerializer(serializers.Serializer):
    job = serializers.IntegerField()
    read = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    skipped = serializers.IntegerField()
    rejected = serializers.IntegerField()


class ComputationSerializer(serializers.Serializer):
    """``POST kpi-computations/``: compute a period's record-based KPIs (company, departments
    and every credited person, or one department)."""

    period = serializers.CharField(max_length=16, help_text=_("A period key: 2026-03, 2026-Q1 …"))
    department = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Only this department (its steward's own numbers); omitted: everything."),
    )


class ComputationOutcomeSerializer(serializers.Serializer):
    period = serializers.CharField()
    results = serializers.IntegerField(help_text=_("Results written (created or updated)."))
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    removed = serializers.IntegerField(
        help_text=_("Computed results the records no longer support.")
    )
    kept = serializers.IntegerField(help_text=_("Numbers people entered, left as they are."))
