import pytest

from apps.departments import roles
from apps.departments.catalog import load as load_departments
from apps.departments.models import Department
from apps.feedback.catalog import load as load_feedback_catalog
from tests.factories import EmployeeFactory


@pytest.fixture
def catalog(db):
    """The standard departments, each with a head, and the feedback catalog."""
    load_departments()
    for department in Department.objects.all():
        department.head = EmployeeFactory(full_name=f"Head of {department.code}")
        department.save()
    load_feedback_catalog()


@pytest.fixture
def cs_lead(make_user):
    """A customer-service lead: the data steward of Customer service."""
    return make_user(roles.DATA_STEWARD)


@pytest.fixture
def cs_api(cs_lead):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(cs_lead)
    return client
