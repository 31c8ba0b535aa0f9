from rest_framework import serializers

from .models import Shipment, Stage, SupportTicket, SurveyResponse

COMMON = ["id", "source_system", "source_record_id", "department"]


class _RecordSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)


class SurveyResponseSerializer(_RecordSerializer):
    class Meta:
        model = SurveyResponse
        fields = [
            *COMMON, "survey_type", "scale", "score", "answered_at", "channel", "comment",
            "order_ref", "customer_ref",
        ]  # fmt: skip


class TicketSerializer(_RecordSerializer):
    class Meta:
        model = SupportTicket
        fields = [
            *COMMON, "opened_at", "first_response_at", "resolved_at", "contacts_to_resolve",
            "channel", "category", "first_response_seconds", "resolution_seconds",
        ]  # fmt: skip


class ShipmentSerializer(_RecordSerializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    carrier = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    # "" for an order delivered (or not yet started): the schema lists it with the stages.
    stuck_stage = serializers.ChoiceField(choices=Stage.choices, read_only=True, allow_blank=True)

    class Meta:
        model = Shipment
        fields = [
            *COMMON, "order_ref", "status", "ordered_at", "paid_at", "warehouse_received_at",
            "picked_at", "sorted_at", "packed_at", "shipped_at", "delivered_at", "promised_at",
            "promised_on", "delivered_on", "first_attempt_ok", "damaged", "lost", "documents_ok",
            "items_ordered", "items_delivered", "warehouse", "carrier", "stuck_stage",
        ]  # fmt: skip


class BulkRecordsSerializer(serializers.Serializer):
    """``{"records": [row, ...]}``, rows keyed by field name (codes for department, warehouse
    and carrier; ISO 8601 times); rows are checked by the loader (per-row errors)."""

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
