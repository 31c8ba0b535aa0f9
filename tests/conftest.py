import pytest
from django.utils import translation
from rest_framework.test import APIClient

from apps.departments import roles
from tests.factories import UserFactory


@pytest.fixture
def make_user(db):
    def make(*role_names, **kwargs):
        return UserFactory(roles=list(role_names), **kwargs)

    return make


def _client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api_for(make_user):
    """``api_for(roles.HR)`` → an API client signed in as a new user with that role."""

    def make(*role_names, **kwargs):
        return _client_for(make_user(*role_names, **kwargs))

    return make


@pytest.fixture
def hr_api(api_for):
    return api_for(roles.HR)


@pytest.fixture
def employee_api(api_for):
    return api_for(roles.EMPLOYEE)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many users; a fast hasher keeps the suite quick (production is unchanged)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request through the test client activates
    its Accept-Language in this thread and nothing resets it afterwards."""
    translation.deactivate()
    yield
    translation.deactivate()
