"""A year of plausible weekly, monthly and quarterly results for the demo (``load_demo``).

Deterministic (seeded), written through the bulk upsert, so running it again changes nothing.
Distribution's numbers are kept by its two regions and roll up; the late-delivery tree adds up;
the south region's carrier trouble in the last weeks turns on-time delivery red.
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.targets.catalog import COMPANY_TARGETS

from .models import KPI, RATIO_SCALE, Aggregation
from .periods import Period, PeriodType
from .services import kpi_results_bulk_upsert

LATE_LEAVES = {
    "delivery.late.order_processing": 0.12,
    "delivery.late.payment_confirmation": 0.08,
    "delivery.late.warehouse.picking": 0.12,
    "delivery.late.warehouse.sorting": 0.05,
    "delivery.late.warehouse.packing": 0.10,
    "delivery.late.warehouse.dispatch": 0.08,
    "delivery.late.carrier": 0.45,
}


def _periods(kind: PeriodType, count: int) -> list[Period]:
    return Period.for_date(timezone.localdate(), kind).previous().last(count)


def _holders(kpi: KPI) -> list[dict]:
    """Who keeps the KPI's numbers: the owning department (Distribution: its two regions); the
    company's own figure too where it cannot be rolled up from departments (means, medians)."""
    code = kpi.department.code if kpi.department else "CO"
    if code == "CO":
        return [{"scope": "company"}]
    holders = (
        [{"department": "DIST-N"}, {"department": "DIST-S"}]
        if code == "DIST"
        else [{"department": code}]
    )
    if kpi.aggregation not in (Aggregation.RATIO, Aggregation.SUM):
        holders.append({"scope": "company"})
    return holders


def _late_rows(weeks: list[Period], rng: random.Random) -> list[dict]:
    rows = []
    for region in ("DIST-N", "DIST-S"):
        for index, week in enumerate(weeks):
            orders = rng.randrange(1800, 3200)
            trouble = region == "DIST-S" and index >= len(weeks) - 6
            late_share = rng.uniform(0.035, 0.065) + (0.09 if trouble else 0)
            shares = dict(LATE_LEAVES)
            if trouble:
                shares["delivery.late.carrier"] *= 3
            total = sum(shares.values())
            late = round(orders * late_share)
            counts = {code: round(late * share / total) for code, share in shares.items()}
            counts["delivery.late.warehouse"] = sum(
                v for k, v in counts.items() if k.startswith("delivery.late.warehouse.")
            )
            late = sum(v for k, v in counts.items() if k != "delivery.late.warehouse")
            base = {"department": region, "period": week.key, "denominator": orders}
            rows.append({**base, "kpi": "delivery.late_rate", "numerator": late})
            rows.append({**base, "kpi": "delivery.on_time_rate", "numerator": orders - late})
            rows.extend({**base, "kpi": code, "numerator": n} for code, n in counts.items())
    return rows


def _value_rows(kpi: KPI, periods: list[Period], rng: random.Random) -> list[dict]:
    threshold, target, stretch, _benchmark, _source = COMPANY_TARGETS[kpi.code]
    low, high = sorted((float(threshold), float(stretch)))
    rows = []
    for holder in _holders(kpi):
        level = rng.uniform(low, high)
        for period in periods:
            width = high - low
            level += rng.uniform(-0.15, 0.15) * width
            level = min(max(level, low - 0.3 * width, 0.0), high + 0.2 * width)
            row = {**holder, "kpi": kpi.code, "period": period.key}
            if kpi.aggregation == Aggregation.RATIO:
                denominator = 40_000 if float(target) < 5 else rng.randrange(2_000, 6_000)
                scale = RATIO_SCALE.get(kpi.unit, 1)
                numerator = min(round(level / scale * denominator), denominator)
                row.update(numerator=max(numerator, 0), denominator=denominator)
            else:
                places = Decimal(1).scaleb(-kpi.decimals)
                row["value"] = str(Decimal(str(level)).quantize(places))
                if kpi.aggregation == Aggregation.MEAN:
                    row["sample_size"] = rng.randrange(150, 900)
            rows.append(row)
    return rows


def load(*, seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed)
    weeks = _periods(PeriodType.WEEK, 52)
    spans = {
        PeriodType.WEEK: weeks,
        PeriodType.MONTH: _periods(PeriodType.MONTH, 12),
        PeriodType.QUARTER: _periods(PeriodType.QUARTER, 4),
    }
    rows = _late_rows(weeks, rng)
    tree = {"delivery.late_rate", "delivery.on_time_rate", "delivery.late.warehouse", *LATE_LEAVES}
    for kpi in KPI.objects.select_related("department").order_by("code"):
        if kpi.code in tree or kpi.code not in COMPANY_TARGETS:
            continue
        rows.extend(_value_rows(kpi, spans[PeriodType(kpi.frequency)], rng))
        if kpi.aggregation == Aggregation.MEDIAN:
            # Medians never roll up: the monthly figures come (in real life) from raw records.
            rows.extend(_value_rows(kpi, spans[PeriodType.MONTH], rng))
    admin = get_user_model().objects.get(username="admin")
    return kpi_results_bulk_upsert(user=admin, rows=rows, source="import")
