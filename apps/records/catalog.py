"""What the records app ships (``manage.py load_catalog``): the saved column mappings of the
Olist public data set, the standard stage durations of the late-delivery tree, and the OTIF KPI.
Idempotent: only what is missing is created; mappings and durations edited by the company are
left alone."""

from django.db import transaction
from django.utils.translation import gettext_noop

from apps.departments.models import Department
from apps.kpis import services as kpi_services
from apps.kpis.models import KPI

from .models import RecordKind, RecordMapping, StageStandard
from .selectors import DEFAULT_STAGE_HOURS

OLIST_ORDERS = {
    "name": "olist-orders",
    "kind": RecordKind.SHIPMENTS,
    "description": "Olist public e-commerce data set, olist_orders_dataset.csv: one shipment per "
    "order. Estimated delivery date = the promised date; canceled/unavailable = cancelled.",
    "columns": {
        "order_id": "source_record_id",
        "order_status": "status",
        "order_purchase_timestamp": "ordered_at",
        "order_approved_at": "paid_at",
        "order_delivered_carrier_date": "shipped_at",
        "order_delivered_customer_date": "delivered_at",
        "order_estimated_delivery_date": "promised_at",
    },
    "value_maps": {
        "status": {
            "canceled": "cancelled",
            "unavailable": "cancelled",
            "delivered": "delivered",
            "*": "in_transit",
        }
    },
    "constants": {"source_system": "olist"},
    "date_format": "%Y-%m-%d %H:%M:%S",
    "time_zone": "America/Sao_Paulo",
}
OLIST_REVIEWS = {
    "name": "olist-reviews-csat",
    "kind": RecordKind.SURVEYS,
    "description": "Olist public e-commerce data set, olist_order_reviews_dataset.csv: each "
    "review's 1–5 score as a CSAT answer.",
    "columns": {
        "review_id": "source_record_id",
        "order_id": "order_ref",
        "review_score": "score",
        "review_comment_message": "comment",
        "review_creation_date": "answered_at",
    },
    "value_maps": {},
    "constants": {"source_system": "olist", "survey_type": "csat", "channel": "survey"},
    "date_format": "%Y-%m-%d %H:%M:%S",
    "time_zone": "America/Sao_Paulo",
}
MAPPINGS = [OLIST_ORDERS, OLIST_REVIEWS]
OTIF = {
    "code": "delivery.otif_rate",
    "name": gettext_noop("On time in full (OTIF) rate"),
    "description": gettext_noop(
        "Orders delivered on or before the promised date with every item, counted per order."
    ),
}


@transaction.atomic
def load() -> dict[str, int]:
    mappings = 0
    for item in MAPPINGS:
        _mapping, created = RecordMapping.objects.get_or_create(
            name=item["name"], defaults={k: v for k, v in item.items() if k != "name"}
        )
        mappings += int(created)
    have = set(StageStandard.objects.values_list("stage", flat=True))
    StageStandard.objects.bulk_create(
        StageStandard(stage=stage, hours=hours)
        for stage, hours in DEFAULT_STAGE_HOURS.items()
        if stage not in have
    )
    kpis = 0
    if not KPI.objects.filter(code=OTIF["code"]).exists():
        kpi_services.kpi_create(
            code=OTIF["code"],
            name=OTIF["name"],
            description=OTIF["description"],
            department=Department.objects.filter(code="DIST").first(),
            unit="percent",
            direction="higher_is_better",
            aggregation="ratio",
            frequency="week",
            decimals=1,
            parent=None,
            source="computed",
            min_value=None,
            max_value=None,
        )
        kpis = 1
    return {
        "mappings_created": mappings,
        "stage_standards_created": len(DEFAULT_STAGE_HOURS) - len(have & set(DEFAULT_STAGE_HOURS)),
        "kpis_created": kpis,
    }
