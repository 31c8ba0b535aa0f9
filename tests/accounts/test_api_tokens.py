"""API tokens expire (CXOFFICE_TOKEN_TTL_DAYS, default 30 days after they were issued) and the
caller can revoke their own with DELETE /api/v1/auth/token/."""

import datetime as dt

import pytest
import yaml
from axes.models import AccessLog
from rest_framework.test import APIClient

from apps.departments import roles
from tests.factories import UserFactory

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


def obtain(username):
    response = APIClient().post(TOKEN, {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()["token"]


def client_with(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def hr_user(db):
    return UserFactory(username="hruser", roles=[roles.HR])


def test_a_token_works_for_29_days(hr_user, clock):
    clock("2026-01-01 09:00")
    token = obtain("hruser")
    clock("2026-01-30 09:00")
    assert client_with(token).get("/api/v1/departments/").status_code == 200


def test_a_31_day_old_token_is_refused_with_a_message(hr_user, clock):
    clock("2026-01-01 09:00")
    token = obtain("hruser")
    clock("2026-02-01 09:00")
    response = client_with(token).get("/api/v1/departments/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    body = response.json()
    assert body["code"] == "token_expired"
    assert body["detail"].startswith("The token has expired.")
    assert "/api/v1/auth/token/" in body["detail"]
    chinese = client_with(token).get("/api/v1/departments/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "令牌已过期" in chinese.json()["detail"]


def test_logging_in_again_after_expiry_issues_a_new_token(hr_user, clock):
    clock("2026-01-01 09:00")
    old = obtain("hruser")
    assert obtain("hruser") == old  # still valid: the same token
    clock("2026-02-01 09:00")
    new = obtain("hruser")
    assert new != old
    assert client_with(new).get("/api/v1/departments/").status_code == 200
    assert client_with(old).get("/api/v1/departments/").status_code == 401


def test_a_configured_lifetime_applies(hr_user, clock, settings):
    settings.API_TOKEN_TTL = dt.timedelta(days=7)
    clock("2026-01-01 09:00")
    token = obtain("hruser")
    clock("2026-01-07 09:00")
    assert client_with(token).get("/api/v1/departments/").status_code == 200
    clock("2026-01-08 09:01")
    assert client_with(token).get("/api/v1/departments/").status_code == 401


def test_delete_revokes_the_callers_own_token(hr_user):
    token = obtain("hruser")
    UserFactory(username="other", roles=[roles.HR])
    others = obtain("other")
    client = client_with(token)

    response = client.delete(TOKEN)
    assert response.status_code == 204
    assert response.content == b""
    after = client.get("/api/v1/departments/")
    assert after.status_code == 401
    assert after.json()["detail"] == "Invalid token."
    assert client_with(others).get("/api/v1/departments/").status_code == 200
    assert obtain("hruser") != token  # a new login gets a new token


def test_delete_without_credentials_is_401():
    response = APIClient().delete(TOKEN)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_wrong_credentials_and_missing_fields_are_400(hr_user):
    wrong = APIClient().post(TOKEN, {"username": "hruser", "password": "nope"}, format="json")
    assert wrong.status_code == 400
    assert wrong.json() == {
        "detail": "Unable to log in with provided credentials.",
        "field": None,
        "code": "authorization",
    }
    missing = APIClient().post(TOKEN, {"username": "hruser"}, format="json")
    assert missing.status_code == 400
    assert missing.json()["field"] == "password"


def test_an_inactive_user_gets_no_token():
    UserFactory(username="gone", is_active=False)
    response = APIClient().post(TOKEN, {"username": "gone", "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_a_token_login_is_recorded_as_a_login(hr_user):
    assert hr_user.last_login is None
    obtain("hruser")
    hr_user.refresh_from_db()
    assert hr_user.last_login is not None
    assert AccessLog.objects.filter(username="hruser", path_info=TOKEN).count() == 1


def test_the_schema_documents_the_token_endpoint():
    document = yaml.safe_load(APIClient().get("/api/schema/").content)
    operations = document["paths"]["/api/v1/auth/token/"]
    assert set(operations["post"]["responses"]) >= {"200", "400", "429"}
    assert "Retry-After" in operations["post"]["responses"]["429"]["headers"]
    assert set(operations["delete"]["responses"]) >= {"204", "401"}
    assert "token_expired" in operations["delete"]["responses"]["401"]["description"]
