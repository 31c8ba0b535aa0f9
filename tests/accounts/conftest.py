"""The three doors a password goes through: the admin login form, the employees' self-service
login form and the API token endpoint. Each door answers a login attempt in its own way."""

from dataclasses import dataclass

import pytest
from django.test import Client
from rest_framework.test import APIClient

PASSWORD = "pw-for-tests-1"
OFFICE_IP = "198.51.100.7"


@dataclass(frozen=True)
class Door:
    name: str
    path: str
    success_status: int  # the right password: a redirect after the login form, 200 at the API
    failure_status: int  # a wrong one: the form again, 400 at the API

    def attempt(self, username, password, *, ip=OFFICE_IP, language="en"):
        if self.name == "api":
            return APIClient().post(
                self.path,
                {"username": username, "password": password},
                format="json",
                REMOTE_ADDR=ip,
                HTTP_ACCEPT_LANGUAGE=language,
            )
        return Client().post(
            self.path,
            {"username": username, "password": password},
            REMOTE_ADDR=ip,
            HTTP_ACCEPT_LANGUAGE=language,
        )

    def fail(self, username, times, **kwargs):
        """``times`` wrong passwords; every one but a locking one is an ordinary refusal."""
        return [self.attempt(username, "wrong-password", **kwargs) for _ in range(times)]


ADMIN = Door("admin", "/admin/login/", success_status=302, failure_status=200)
SELF_SERVICE = Door("self-service", "/accounts/login/", success_status=302, failure_status=200)
API = Door("api", "/api/v1/auth/token/", success_status=200, failure_status=400)
DOORS = [ADMIN, SELF_SERVICE, API]


@pytest.fixture(params=DOORS, ids=lambda door: door.name)
def door(request):
    return request.param
