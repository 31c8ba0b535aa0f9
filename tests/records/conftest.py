from pathlib import Path

import pytest
from django.contrib.auth.models import Permission

from apps.departments import roles
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


@pytest.fixture
def company_steward(make_user):
    """A data steward who may also write company numbers: records without a department (the
    Olist files name none) count for the company."""
    user = make_user(roles.DATA_STEWARD)
    user.user_permissions.add(Permission.objects.get(codename="write_company_numbers"))
    return user
