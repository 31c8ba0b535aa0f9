from pathlib import Path

import pytest

from apps.departments.catalog import load as load_departments
from apps.kpis.catalog import load as load_kpis
from apps.records.catalog import load as load_records_catalog

OLIST = Path("/work/shared/data/olist")
OLIST_ORDERS = OLIST / "olist_orders_dataset.csv"
OLIST_REVIEWS = OLIST / "olist_order_reviews_dataset.csv"


@pytest.fixture
def catalog(db):
    """Departments, the KPI catalog and the records catalog (Olist mappings, stage standards)."""
    load_departments()
    load_kpis()
    load_records_catalog()
