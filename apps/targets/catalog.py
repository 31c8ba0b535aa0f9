"""Company targets of the standard catalog, with the industry benchmarks as published.

Each entry: KPI code → (threshold, target, stretch, benchmark, benchmark source). Benchmarks are
figures as their sources published them; the source text says what they measure and any caveat.
"""

from __future__ import annotations

from decimal import Decimal as D

from django.db import transaction
from django.utils.translation import gettext_noop

from apps.kpis.models import KPI

from . import services
from .models import Target

COMPANY_TARGETS = {
    # xgettext:no-python-format
    "delivery.on_time_rate": (D("90"), D("94"), D("97"), D("97.2"), gettext_noop("ShipMatrix: UPS on-time delivery during the December 2025 peak, 97.2% (carrier peak on-time).")),
    "delivery.first_attempt_success_rate": (D("88"), D("92"), D("95"), None, ""),
    # xgettext:no-python-format
    "delivery.damage_loss_rate": (D("1.0"), D("0.6"), D("0.3"), D("0.3"), gettext_noop("WERC DC Measures: 99.7% damage-free shipping is best in class, i.e. 0.3% damaged.")),
    "delivery.late_rate": (D("10"), D("6"), D("3"), None, ""),
    # xgettext:no-python-format
    "service.fcr_rate": (D("65"), D("72"), D("80"), D("80"), gettext_noop("SQM Group: 80% first-contact resolution is “world class”.")),
    "service.csat": (D("75"), D("82"), D("88"), D("80"), gettext_noop("ACSI online retail score 80 (2024). Caveat: ACSI is a 0–100 index, not a share of satisfied answers; use only as a CSAT-style reference.")),
    "service.first_response_time": (D("8"), D("4"), D("1"), None, ""),
    "service.resolution_time": (D("48"), D("24"), D("12"), None, ""),
    # xgettext:no-python-format
    "product.out_of_stock_rate": (D("8.3"), D("5"), D("3"), D("8.3"), gettext_noop("Gruen & Corsten: retail out-of-stock rate, world average 8.3% (an average, not best in class).")),
    "product.price_index": (D("105"), D("100"), D("97"), None, ""),
    "product.active_skus": (D("4000"), D("5000"), D("6000"), None, ""),
    "warehouse.inventory_accuracy": (D("97"), D("98.5"), D("99.5"), None, ""),
    # xgettext:no-python-format
    "warehouse.outbound_accuracy": (D("99"), D("99.5"), D("99.8"), D("99.9"), gettext_noop("WERC DC Measures: picking accuracy 99.9% is best in class.")),
    "it.site_availability": (D("99.5"), D("99.9"), D("99.95"), None, ""),
    "it.search_response_p95": (D("800"), D("500"), D("300"), None, ""),
    "it.production_incidents": (D("5"), D("3"), D("1"), None, ""),
    "marketing.cart_abandonment_rate": (D("75"), D("70"), D("65"), None, ""),
    "marketing.campaign_conversion_rate": (D("2"), D("3"), D("4"), None, ""),
    "qc.receiving_defect_rate": (D("2"), D("1"), D("0.5"), None, ""),
    "qc.description_complaints": (D("3"), D("2"), D("1"), None, ""),
    "cx.nps": (D("20"), D("30"), D("40"), D("28.4"), gettext_noop("XM Institute: US retail NPS benchmark 28.4 (2022).")),
    "cx.ces": (D("5"), D("5.5"), D("6"), None, ""),
    "cx.perfect_order_rate": (D("85"), D("90"), D("94"), None, ""),
    "cx.churn_rate": (D("8"), D("6"), D("4"), None, ""),
    "cx.repeat_purchase_rate": (D("25"), D("30"), D("35"), None, ""),
    "cx.customer_lifetime_value": (D("180"), D("200"), D("230"), None, ""),
}  # fmt: skip


@transaction.atomic
def load() -> dict[str, int]:
    """Create the company target of each catalog KPI that has no open-ended company target yet."""
    kpis = {k.code: k for k in KPI.objects.filter(code__in=COMPANY_TARGETS)}
    have = set(
        Target.objects.filter(
            scope="company", period="", valid_from__isnull=True, valid_to__isnull=True
        ).values_list("kpi__code", flat=True)
    )
    created = 0
    for code, (threshold, target, stretch, benchmark, source) in COMPANY_TARGETS.items():
        if code in have or code not in kpis:
            continue
        services.target_create(
            user=None,
            as_system=True,
            kpi=kpis[code],
            scope="company",
            threshold=threshold,
            target=target,
            stretch=stretch,
            benchmark=benchmark,
            benchmark_source=source,
        )
        created += 1
    return {"targets_created": created}
