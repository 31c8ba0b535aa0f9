"""The set-based bulk update writes exactly what save() would, on SQLite and PostgreSQL."""

from decimal import Decimal

import pytest
from django.utils import timezone

from apps.kpis.models import KPIResult
from cxoffice.db import bulk_update_values
from tests.factories import KPIResultFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_bulk_update_values_round_trips_decimals_nulls_and_foreign_keys():
    # 13 significant digits: SQLite keeps 15 (it stores decimals as floats, save() alike).
    results = [
        KPIResultFactory(period=f"2026-W{n:02d}", numerator=1, denominator=3) for n in range(1, 8)
    ]
    user = UserFactory()
    stamp = timezone.now()
    for n, result in enumerate(results):
        result.value = Decimal("77.89473684") + n
        result.numerator = None if n % 2 else Decimal("12345.12345678")
        result.denominator = None if n % 2 else Decimal("2000000000")
        result.note = f"note {n} ‘quoted’"
        result.entered_by = user
        result.updated_at = stamp
    untouched = KPIResultFactory(period="2026-W30", value=Decimal(5))
    count = bulk_update_values(
        results,
        ["value", "numerator", "denominator", "note", "entered_by", "updated_at"],
        batch_size=3,
    )
    assert count == 7
    for n, result in enumerate(results):
        stored = KPIResult.objects.get(pk=result.pk)
        assert stored.value == Decimal("77.89473684") + n
        assert stored.numerator == (None if n % 2 else Decimal("12345.12345678"))
        assert stored.note == f"note {n} ‘quoted’"
        assert stored.entered_by == user
        assert stored.updated_at == stamp
    assert KPIResult.objects.get(pk=untouched.pk).value == 5
