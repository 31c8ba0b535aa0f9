"""Issue 15: passwords cannot be guessed without limit. After 10 failed logins (default) a
username is refused at every door, even with the right password, until the cool-off has passed;
a successful login forgets the failures; another username is not affected; every failure is
recorded with username, IP address and time."""

import datetime as dt
import logging

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client

from apps.departments import roles
from tests.factories import UserFactory

from .conftest import ADMIN, API, OFFICE_IP, PASSWORD, SELF_SERVICE

pytestmark = pytest.mark.django_db

START = "2026-12-02 10:00"


def assert_locked(door, response, *, max_wait: int):
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= max_wait
    if door is API:
        body = response.json()
        assert body["code"] == "locked_out"
        assert body["field"] is None
        assert "Too many failed logins for this username" in body["detail"]
        assert "token" not in body
    else:
        page = response.content.decode()
        assert "Too many failed logins for this username. Try again in" in page
        assert "even the right password is refused" in page


def assert_signed_in(door, response):
    assert response.status_code == door.success_status
    if door is API:
        assert response.json()["token"]
    else:
        assert "sessionid" in response.cookies


def test_ten_failures_lock_the_username_even_for_the_right_password(door, clock):
    clock(START)
    UserFactory(username="mei")
    failures = door.fail("mei", 9)
    assert {response.status_code for response in failures} == {door.failure_status}

    tenth = door.attempt("mei", "wrong-password")
    assert_locked(door, tenth, max_wait=15 * 60)
    right = door.attempt("mei", PASSWORD)
    assert_locked(door, right, max_wait=15 * 60)
    assert int(right["Retry-After"]) > 14 * 60  # counted from the tenth failure, a moment ago


def test_the_right_password_works_again_after_the_cool_off(door, clock):
    clock(START, tick=False)
    UserFactory(username="mei")
    door.fail("mei", 10)

    clock("2026-12-02 10:14", tick=False)
    still_locked = door.attempt("mei", PASSWORD)
    assert_locked(door, still_locked, max_wait=60)
    assert still_locked["Retry-After"] == "60"
    clock("2026-12-02 10:14:59", tick=False)  # refused attempts did not extend the cool-off
    assert door.attempt("mei", PASSWORD)["Retry-After"] == "1"
    clock("2026-12-02 10:15:01", tick=False)
    assert_signed_in(door, door.attempt("mei", PASSWORD))


def test_a_successful_login_forgets_the_failures(door):
    UserFactory(username="mei")
    door.fail("mei", 9)
    assert_signed_in(door, door.attempt("mei", PASSWORD))
    failures = door.fail("mei", 9)
    assert {response.status_code for response in failures} == {door.failure_status}
    assert_signed_in(door, door.attempt("mei", PASSWORD))


def test_a_locked_username_does_not_lock_another_from_the_same_address(door):
    UserFactory(username="mei")
    UserFactory(username="li")
    door.fail("mei", 10)
    assert door.attempt("mei", PASSWORD).status_code == 429
    assert_signed_in(door, door.attempt("li", PASSWORD))


def test_failures_count_across_doors_and_addresses():
    UserFactory(username="mei")
    ADMIN.fail("mei", 4, ip="203.0.113.1")
    SELF_SERVICE.fail("mei", 3, ip="203.0.113.2")
    API.fail("mei", 2, ip="203.0.113.3")
    assert_locked(API, API.attempt("mei", "wrong-password", ip="203.0.113.4"), max_wait=900)
    for door in (ADMIN, SELF_SERVICE, API):
        assert door.attempt("mei", PASSWORD, ip="192.0.2.99").status_code == 429


def test_each_failure_is_recorded_with_username_address_and_time(clock, caplog):
    clock(START, tick=False)
    UserFactory(username="mei")
    with caplog.at_level(logging.WARNING, logger="cxoffice.auth"):
        ADMIN.fail("mei", 2, ip="203.0.113.5")
        API.fail("nobody", 1, ip="203.0.113.6")

    recorded = list(
        AccessFailureLog.objects.order_by("id").values_list(
            "username", "ip_address", "attempt_time", "path_info"
        )
    )
    at = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
    assert recorded == [
        ("mei", "203.0.113.5", at, "/admin/login/"),
        ("mei", "203.0.113.5", at, "/admin/login/"),
        ("nobody", "203.0.113.6", at, "/api/v1/auth/token/"),
    ]
    assert AccessAttempt.objects.get(username="mei").failures_since_start == 2
    lines = [r.getMessage() for r in caplog.records if r.name == "cxoffice.auth"]
    assert len(lines) == 3
    assert "username='mei' ip=203.0.113.5 time=2026-12-02T10:00:00+00:00" in lines[0]
    assert "username='nobody' ip=203.0.113.6" in lines[2]
    assert "wrong-password" not in "\n".join(caplog.messages)


def test_the_lockout_is_recorded_and_logged(caplog):
    UserFactory(username="mei")
    with caplog.at_level(logging.WARNING, logger="cxoffice.auth"):
        ADMIN.fail("mei", 10)
        ADMIN.attempt("mei", PASSWORD)
    locking = AccessFailureLog.objects.filter(username="mei", locked_out=True)
    assert locking.count() == 1  # the tenth failure; refused attempts are logged, not counted
    lockouts = [m for m in caplog.messages if m.startswith("Login locked out")]
    assert len(lockouts) == 2  # the tenth failure, then the refused right password
    assert all(f"username='mei' ip={OFFICE_IP}" in m for m in lockouts)


def test_a_configured_limit_and_cool_off_apply(settings, door, clock):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=5)
    clock(START)
    UserFactory(username="mei")
    assert {r.status_code for r in door.fail("mei", 2)} == {door.failure_status}
    assert_locked(door, door.attempt("mei", "wrong-password"), max_wait=5 * 60)
    assert_locked(door, door.attempt("mei", PASSWORD), max_wait=5 * 60)
    clock("2026-12-02 10:05:01")
    assert_signed_in(door, door.attempt("mei", PASSWORD))


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "此用户名登录失败次数过多"), ("zh-hant", "此使用者名稱登入失敗次數過多")],
)
@pytest.mark.parametrize("door", [ADMIN, API], ids=["admin", "api"])
def test_the_lockout_speaks_the_users_language(door, language, expected):
    UserFactory(username="mei")
    door.fail("mei", 10)
    response = door.attempt("mei", PASSWORD, language=language)
    assert response.status_code == 429
    assert expected in response.content.decode()


def test_administrators_read_the_failure_log_but_cannot_change_or_delete_it(client):
    UserFactory(username="mei")
    ADMIN.fail("mei", 1, ip="203.0.113.9")
    failure = AccessFailureLog.objects.get()
    client.force_login(UserFactory(username="root", is_superuser=True))

    listing = client.get("/admin/axes/accessfailurelog/")
    assert listing.status_code == 200
    assert "203.0.113.9" in listing.content.decode()
    detail = client.get(f"/admin/axes/accessfailurelog/{failure.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert client.get(f"/admin/axes/accessfailurelog/{failure.pk}/delete/").status_code == 403
    assert client.post(f"/admin/axes/accessfailurelog/{failure.pk}/delete/").status_code == 403
    assert AccessFailureLog.objects.filter(pk=failure.pk).exists()
    assert client.get("/admin/axes/accesslog/").status_code == 200
    assert client.get("/admin/axes/accessattempt/").status_code == 200


def test_an_administrator_lifts_a_lock_by_deleting_the_attempt(client):
    UserFactory(username="mei")
    ADMIN.fail("mei", 10)
    client.force_login(UserFactory(username="root", is_superuser=True))
    attempt = AccessAttempt.objects.get(username="mei")
    response = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert_signed_in(ADMIN, ADMIN.attempt("mei", PASSWORD))


def test_other_staff_do_not_see_the_login_logs(client):
    client.force_login(UserFactory(username="hr", roles=[roles.HR]))
    assert client.get("/admin/axes/accessfailurelog/").status_code == 403
    assert client.get("/admin/axes/accessattempt/").status_code == 403


def test_behind_a_proxy_the_address_the_proxy_appended_is_recorded(settings):
    settings.AXES_CLIENT_IP_CALLABLE = "apps.accounts.audit.client_ip_behind_proxy"
    UserFactory(username="mei")
    Client().post(
        "/admin/login/",
        {"username": "mei", "password": "wrong-password"},
        REMOTE_ADDR="10.0.0.2",  # the proxy
        HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.50",  # a claim by the client, then the proxy's
    )
    assert AccessFailureLog.objects.get().ip_address == "203.0.113.50"
