"""The taxonomy of SPEC §7 and the saved Olist mapping, loaded idempotently."""

import pytest
from django.core.exceptions import ValidationError

from apps.departments.catalog import load as load_departments
from apps.departments.models import Department
from apps.feedback import catalog
from apps.feedback.models import Category, ColumnMapping, ResponseTime

pytestmark = pytest.mark.django_db


def test_catalog_is_idempotent_and_routes_categories():
    load_departments()
    first = catalog.load()
    assert first == {"categories_created": 13, "response_times_created": 4, "mappings_created": 1}
    assert catalog.load() == {
        "categories_created": 0,
        "response_times_created": 0,
        "mappings_created": 0,
    }
    routes = dict(Category.objects.values_list("code", "department__code"))
    assert routes == {
        "delivery": "DIST", "late_delivery": "DIST", "damaged_goods": "DIST", "wrong_item": "WH",
        "product": "PROD", "out_of_stock": "PROD", "price": "PROD", "description_mismatch": "QC",
        "website_problem": "IT", "service": "CS", "rude_service": "CS",
        "problem_not_solved": "CS", "other": "CS",
    }  # fmt: skip
    assert ResponseTime.objects.get(severity="critical").hours == 24
    mapping = ColumnMapping.objects.get(name="olist-reviews")
    mapping.full_clean()
    assert mapping.constants == {"channel": "survey", "source_system": "olist"}


def test_description_mismatch_goes_to_product_without_a_description_department():
    load_departments()
    Department.objects.filter(code="QC").delete()
    catalog.load()
    assert Category.objects.get(code="description_mismatch").department.code == "PROD"


def test_a_mapping_naming_unknown_fields_is_refused():
    mapping = ColumnMapping(name="bad", mapping={"x": "colour"}, time_zone="Mars/Olympus")
    with pytest.raises(ValidationError) as error:
        mapping.full_clean()
    assert set(error.value.message_dict) == {"mapping", "time_zone"}
