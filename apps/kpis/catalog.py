"""The standard KPI catalog of SPEC §4, by department, with the late-delivery root-cause tree.

Names are marked for translation : they are stored in English and shown in the
reader's language wherever the interface displays a KPI name.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_noop

from apps.departments.models import Department

from . import services
from .models import KPI

UP, DOWN = "higher_is_better", "lower_is_better"


@dataclass(frozen=True)
class CatalogKPI:
    code: str
    name: str
    department: str
    unit: str
    direction: str
    aggregation: str
    frequency: str = "week"
    decimals: int = 1
    parent: str | None = None
    description: str = ""
    min_value: Decimal | None = None
    max_value: Decimal | None = None


CATALOG = [
    # Distribution
    CatalogKPI("delivery.on_time_rate", gettext_noop("On-time delivery rate"), "DIST", "percent", UP, "ratio",
               description=gettext_noop("Orders delivered on or before the promised date / orders delivered or overdue.")),
    CatalogKPI("delivery.first_attempt_success_rate", gettext_noop("First-attempt delivery success rate"), "DIST",
               "percent", UP, "ratio"),
    CatalogKPI("delivery.damage_loss_rate", gettext_noop("Broken, spilled or lost rate"), "DIST", "percent", DOWN,
               "ratio", decimals=2),
    CatalogKPI("delivery.late_rate", gettext_noop("Late-delivery rate"), "DIST", "percent", DOWN, "ratio",
               description=gettext_noop("Late orders / orders due. Its children split the late orders by the stage that overran.")),
    CatalogKPI("delivery.late.order_processing", gettext_noop("Late because of order processing"), "DIST", "percent",
               DOWN, "ratio", decimals=2, parent="delivery.late_rate"),
    CatalogKPI("delivery.late.payment_confirmation", gettext_noop("Late because of payment confirmation"), "DIST",
               "percent", DOWN, "ratio", decimals=2, parent="delivery.late_rate"),
    CatalogKPI("delivery.late.warehouse", gettext_noop("Late because of the warehouse"), "WH", "percent", DOWN,
               "ratio", decimals=2, parent="delivery.late_rate"),
    CatalogKPI("delivery.late.warehouse.picking", gettext_noop("Late because of picking"), "WH", "percent", DOWN,
               "ratio", decimals=2, parent="delivery.late.warehouse"),
    CatalogKPI("delivery.late.warehouse.sorting", gettext_noop("Late because of sorting"), "WH", "percent", DOWN,
               "ratio", decimals=2, parent="delivery.late.warehouse"),
    CatalogKPI("delivery.late.warehouse.packing", gettext_noop("Late because of packing"), "WH", "percent", DOWN,
               "ratio", decimals=2, parent="delivery.late.warehouse"),
    CatalogKPI("delivery.late.warehouse.dispatch", gettext_noop("Late because of dispatch"), "WH", "percent", DOWN,
               "ratio", decimals=2, parent="delivery.late.warehouse"),
    CatalogKPI("delivery.late.carrier", gettext_noop("Late because of the carrier"), "DIST", "percent", DOWN,
               "ratio", decimals=2, parent="delivery.late_rate"),
    # Customer service
    CatalogKPI("service.fcr_rate", gettext_noop("First-contact resolution rate"), "CS", "percent", UP, "ratio"),
    CatalogKPI("service.csat", gettext_noop("Customer satisfaction (CSAT)"), "CS", "percent", UP, "ratio",
               description=gettext_noop("Share of 4–5 answers on a 1–5 satisfaction survey.")),
    CatalogKPI("service.first_response_time", gettext_noop("First response time (median)"), "CS", "hours", DOWN,
               "median"),
    CatalogKPI("service.resolution_time", gettext_noop("Average resolution time"), "CS", "hours", DOWN, "mean"),
    # Product
    CatalogKPI("product.out_of_stock_rate", gettext_noop("Out-of-stock rate"), "PROD", "percent", DOWN, "ratio"),
    CatalogKPI("product.price_index", gettext_noop("Price index vs competitors"), "PROD", "score", DOWN, "mean",
               frequency="month", description=gettext_noop("100 = parity with competitors; below 100 is cheaper.")),
    CatalogKPI("product.active_skus", gettext_noop("Assortment richness (active SKUs)"), "PROD", "count", UP, "last",
               frequency="month", decimals=0),
    # Warehouse
    CatalogKPI("warehouse.inventory_accuracy", gettext_noop("Inventory record accuracy"), "WH", "percent", UP,
               "ratio", frequency="month", decimals=2),
    CatalogKPI("warehouse.outbound_accuracy", gettext_noop("Outbound (pick/ship) accuracy"), "WH", "percent", UP,
               "ratio", decimals=2),
    # IT
    CatalogKPI("it.site_availability", gettext_noop("Site availability"), "IT", "percent", UP, "ratio", decimals=2),
    CatalogKPI("it.search_response_p95", gettext_noop("Search response time (p95)"), "IT", "milliseconds", DOWN,
               "median", decimals=0),
    CatalogKPI("it.production_incidents", gettext_noop("Production incidents"), "IT", "count", DOWN, "sum",
               decimals=0),
    # Marketing
    CatalogKPI("marketing.cart_abandonment_rate", gettext_noop("Cart abandonment rate"), "MKT", "percent", DOWN,
               "ratio"),
    CatalogKPI("marketing.campaign_conversion_rate", gettext_noop("Campaign conversion rate"), "MKT", "percent", UP,
               "ratio", frequency="month", decimals=2),
    # QC / Description
    CatalogKPI("qc.receiving_defect_rate", gettext_noop("Defect rate of received goods"), "QC", "percent", DOWN,
               "ratio", decimals=2),
    CatalogKPI("qc.description_complaints", gettext_noop("Product-description complaints per 1,000 orders"), "QC",
               "per_thousand", DOWN, "ratio", decimals=2),
    # Company
    CatalogKPI("cx.nps", gettext_noop("Net Promoter Score (NPS)"), "CO", "score", UP, "mean", frequency="month",
               min_value=Decimal(-100), max_value=Decimal(100),
               # xgettext:no-python-format
               description=gettext_noop("% promoters (9–10) − % detractors (0–6); rolls up weighted by responses.")),
    CatalogKPI("cx.ces", gettext_noop("Customer Effort Score (CES)"), "CO", "score", UP, "mean", frequency="month",
               decimals=2, min_value=Decimal(1), max_value=Decimal(7),
               description=gettext_noop("Mean of the 1–7 answer to “the company made it easy”.")),
    CatalogKPI("cx.perfect_order_rate", gettext_noop("Perfect-order rate"), "CO", "percent", UP, "ratio",
               description=gettext_noop("Orders on time AND in full AND undamaged AND with the right documents, counted per order.")),
    CatalogKPI("cx.churn_rate", gettext_noop("Customer churn rate"), "CO", "percent", DOWN, "ratio", frequency="month"),
    CatalogKPI("cx.repeat_purchase_rate", gettext_noop("Repeat-purchase rate"), "CO", "percent", UP, "ratio",
               frequency="month"),
    CatalogKPI("cx.customer_lifetime_value", gettext_noop("Customer lifetime value"), "CO", "currency", UP, "last",
               frequency="quarter", decimals=0),
]  # fmt: skip


@transaction.atomic
def load() -> dict[str, int]:
    """Create the standard KPIs that are missing (after the departments' catalog). Existing ones
    are left as they are (a company may have renamed or retuned them), so running it again
    changes nothing."""
    departments = {d.code: d for d in Department.objects.all()}
    existing = {k.code: k for k in KPI.objects.all()}
    created = 0
    for item in CATALOG:
        if item.code in existing:
            continue
        existing[item.code] = services.kpi_create(
            code=item.code,
            name=item.name,
            description=item.description,
            department=departments[item.department],
            unit=item.unit,
            direction=item.direction,
            aggregation=item.aggregation,
            frequency=item.frequency,
            decimals=item.decimals,
            parent=existing.get(item.parent) if item.parent else None,
            source="manual",
            min_value=item.min_value,
            max_value=item.max_value,
        )
        created += 1
    return {"kpis": len(CATALOG), "kpis_created": created}
