"""The feedback taxonomy of SPEC §7 with each category's default department, the response time
per severity, and the saved column mapping of the Olist review file (``manage.py load_catalog``).
Idempotent: only what is missing is created; categories and mappings edited by the company are
left alone."""

from django.db import transaction
from django.utils.translation import gettext_noop

from apps.departments.models import Department

from .models import DEFAULT_RESPONSE_HOURS, Category, ColumnMapping, ResponseTime

# (code, name, parent code, department code). Names are stored in English and shown translated.
# Description mismatches go to the QC / Description department; without one, to Product.
CATEGORIES = [
    ("delivery", gettext_noop("Delivery"), None, "DIST"),
    ("late_delivery", gettext_noop("Late delivery"), "delivery", "DIST"),
    ("damaged_goods", gettext_noop("Damaged goods"), "delivery", "DIST"),
    ("wrong_item", gettext_noop("Wrong item"), "delivery", "WH"),
    ("product", gettext_noop("Product"), None, "PROD"),
    ("out_of_stock", gettext_noop("Out of stock"), "product", "PROD"),
    ("price", gettext_noop("Price"), "product", "PROD"),
    ("description_mismatch", gettext_noop("Description mismatch"), "product", ("QC", "PROD")),
    ("website_problem", gettext_noop("Website problem"), None, "IT"),
    ("service", gettext_noop("Customer service"), None, "CS"),
    ("rude_service", gettext_noop("Rude or unhelpful service"), "service", "CS"),
    ("problem_not_solved", gettext_noop("Problem not solved"), "service", "CS"),
    ("other", gettext_noop("Other"), None, "CS"),
]

OLIST_REVIEWS = {
    "name": "olist-reviews",
    "description": "Olist public e-commerce data set, olist_order_reviews_dataset.csv: one "
    "post-delivery satisfaction survey answer per review.",
    "mapping": {
        "review_id": "source_ref",
        "order_id": "order_ref",
        "review_score": "rating",
        "review_comment_title": "text",
        "review_comment_message": "text",
        "review_creation_date": "received_at",
    },
    "date_format": "%Y-%m-%d %H:%M:%S",
    "time_zone": "America/Sao_Paulo",
    "constants": {"channel": "survey", "source_system": "olist"},
}


@transaction.atomic
def load() -> dict[str, int]:
    departments = {d.code: d for d in Department.objects.all()}
    categories = {c.code: c for c in Category.objects.all()}
    created = 0
    for code, name, parent, department_codes in CATEGORIES:
        if code in categories:
            continue
        if isinstance(department_codes, str):
            department_codes = (department_codes,)
        department = next((departments[c] for c in department_codes if c in departments), None)
        categories[code] = Category.objects.create(
            code=code, name=name, parent=categories.get(parent), department=department
        )
        created += 1
    times = set(ResponseTime.objects.values_list("severity", flat=True))
    ResponseTime.objects.bulk_create(
        ResponseTime(severity=severity, hours=hours)
        for severity, hours in DEFAULT_RESPONSE_HOURS.items()
        if severity not in times
    )
    _mapping, mapping_created = ColumnMapping.objects.get_or_create(
        name=OLIST_REVIEWS["name"],
        defaults={k: v for k, v in OLIST_REVIEWS.items() if k != "name"},
    )
    return {
        "categories_created": created,
        "response_times_created": len(DEFAULT_RESPONSE_HOURS) - len(times),
        "mappings_created": int(mapping_created),
    }
