"""The standard departments of SPEC §4's catalog."""

from django.db import transaction

from .models import Department
from .services import department_create

# (code, name, parent code)
STANDARD_DEPARTMENTS = [
    ("CO", "Company", None),
    ("DIST", "Distribution", "CO"),
    ("CS", "Customer service", "CO"),
    ("PROD", "Product", "CO"),
    ("WH", "Warehouse", "CO"),
    ("IT", "IT", "CO"),
    ("MKT", "Marketing", "CO"),
    ("QC", "QC / Description", "CO"),
]


@transaction.atomic
def load() -> dict[str, int]:
    """Create the standard departments that are missing; existing ones are left alone."""
    departments = {d.code: d for d in Department.objects.all()}
    created = 0
    for code, name, parent in STANDARD_DEPARTMENTS:
        if code not in departments:
            departments[code] = department_create(
                code=code, name=name, parent=departments.get(parent)
            )
            created += 1
    return {"departments_created": created}
