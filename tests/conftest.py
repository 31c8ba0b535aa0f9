import datetime as dt
import os

import pytest
import time_machine
from django.utils import translation
from rest_framework.test import APIClient

from apps.departments import roles
from tests.factories import UserFactory

CLOCK_SHIFT_ENV = "CXOFFICE_TEST_CLOCK_SHIFT_DAYS"


def pytest_addoption(parser):
    parser.addoption(
        "--clock-shift-days",
        type=int,
        default=int(os.environ.get(CLOCK_SHIFT_ENV) or 0),
        help="Run the whole suite with this process's clock moved this many days (negative: "
        f"back). Default: ${CLOCK_SHIFT_ENV}, else 0. `make test` runs PostgreSQL 400 days ahead "
        "so that no expectation can depend on the day the suite happens to run.",
    )


def pytest_configure(config):
    """Start the moved clock before collection, so module-level ``TODAY`` constants see it too.

    Only this process's clock moves (time-machine): the database server, Celery workers and the
    browser keep the real one, which is what a test that leans on "today" must survive anyway.
    Tests that need a particular day set it with the ``clock`` fixture (nesting is fine).
    """
    days = config.getoption("--clock-shift-days")
    if days:
        traveller = time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=days))
        traveller.start()
        config.stash[_CLOCK_KEY] = traveller


def pytest_unconfigure(config):
    traveller = config.stash.get(_CLOCK_KEY, None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config):
    days = config.getoption("--clock-shift-days")
    if days:
        return f"clock: moved {days:+d} days, today is {dt.date.today().isoformat()}"  # noqa: DTZ011
    return None


_CLOCK_KEY = pytest.StashKey[time_machine.travel]()


@pytest.fixture
def clock():
    """``clock("2026-12-02 10:00")`` freezes this process's clock at that local time (ticking
    from there) for the rest of the test; call again to move it."""
    travellers = []

    def travel(when, *, tick: bool = True):
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(when, tick=tick)
        traveller.start()
        travellers.append(traveller)
        return traveller

    yield travel
    for traveller in travellers:
        traveller.stop()


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
