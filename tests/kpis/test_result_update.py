"""Changing a stored KPI result (SPEC §4, §13): one service holds the rules — the KPI, scope,
holder and period are fixed, the value is derived again as on creation, the numbers pass the
same checks — and the API and the admin both go through it."""

from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from apps.departments import roles
from apps.kpis import services
from apps.kpis.models import KPIResult
from cxoffice.errors import ApplicationError, PermissionDeniedError
from tests.factories import (
    DepartmentFactory,
    EmployeeFactory,
    KPIFactory,
    KPIResultFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops():
    return DepartmentFactory(code="OPS")


@pytest.fixture
def steward(ops):
    user = UserFactory(username="steward1", roles=[roles.DATA_STEWARD])
    ops.stewards.add(user)
    return user


@pytest.fixture
def result(ops):
    kpi = KPIFactory(code="delivery.on_time_rate")
    return KPIResultFactory(kpi=kpi, department=ops, period="2026-W47", numerator=9, denominator=10)


def stored(result) -> tuple:
    row = KPIResult.objects.get(pk=result.pk)
    return (row.kpi_id, row.scope, row.department_id, row.period, row.value, row.numerator,
            row.denominator)  # fmt: skip


# --- the service -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "new"),
    [
        ("kpi", lambda r: KPIFactory(code="other.kpi")),
        ("scope", lambda r: "company"),
        ("department", lambda r: DepartmentFactory(code="ELSEWHERE")),
        ("employee", lambda r: EmployeeFactory()),
        ("period", lambda r: "2026-W46"),
    ],
)
def test_the_kpi_scope_holder_and_period_cannot_change(steward, result, field, new):
    before = stored(result)
    with pytest.raises(ApplicationError) as refused:
        services.kpi_result_update(user=steward, result=result, **{field: new(result)})
    assert (refused.value.field, refused.value.code) == (field, "immutable")
    assert "cannot change" in refused.value.message
    assert stored(result) == before


def test_repeating_the_key_unchanged_is_no_change_of_it(steward, result, ops):
    saved = services.kpi_result_update(
        user=steward, result=result, kpi=result.kpi, scope="department", department=ops,
        employee=None, period="2026-w47", numerator=D(7),
    )  # fmt: skip
    assert (saved.period, saved.numerator, saved.value) == ("2026-W47", 7, 70)


def test_a_new_numerator_derives_the_value_again_and_is_kept_in_history(steward, result):
    saved = services.kpi_result_update(user=steward, result=result, numerator=D(8))
    assert (saved.value, saved.numerator, saved.denominator) == (80, 8, 10)
    assert saved.entered_by == steward
    assert [h.value for h in saved.history.order_by("history_date")] == [90, 80]
    assert saved.history.latest().history_user == steward
    again = services.kpi_result_update(user=steward, result=result, numerator=D(8))
    assert again.history.count() == 2  # nothing changed: not written again


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"value": D(50)}, "value", "value_mismatch"),  # 9 / 10 is 90, not 50
        ({"numerator": D(11)}, "numerator", "numerator_exceeds_denominator"),
        ({"denominator": D(0)}, "denominator", "zero_denominator"),
        ({"numerator": None}, "numerator", "required"),
        ({"numerator": None, "denominator": None, "value": D(120)}, "value", "out_of_range"),
        ({"sample_size": "many"}, "sample_size", "invalid"),
        ({"source": "guess"}, "source", "invalid_choice"),
    ],
)
def test_the_numbers_pass_the_checks_of_creation(steward, result, changes, field, code):
    before = stored(result)
    with pytest.raises(ApplicationError) as refused:
        services.kpi_result_update(user=steward, result=result, **changes)
    assert (refused.value.field, refused.value.code) == (field, code)
    assert stored(result) == before


def test_a_value_without_numerator_and_denominator_is_taken_as_given(steward, result):
    saved = services.kpi_result_update(
        user=steward, result=result, numerator=None, denominator=None, value=D("88.5")
    )
    assert (saved.value, saved.numerator, saved.denominator) == (D("88.5"), None, None)


def test_only_a_steward_of_the_holder_changes_it(result):
    outsider = UserFactory(roles=[roles.DATA_STEWARD])
    DepartmentFactory(code="THEIRS").stewards.add(outsider)
    before = stored(result)
    with pytest.raises(PermissionDeniedError) as refused:
        services.kpi_result_update(user=outsider, result=result, numerator=D(1))
    assert refused.value.code == "not_steward"
    assert stored(result) == before


# --- the API -----------------------------------------------------------------------------------


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_patching_the_kpi_is_400_naming_the_field(steward, result):
    KPIFactory(code="other.kpi")
    response = api(steward).patch(
        f"/api/v1/kpi-results/{result.pk}/", {"kpi": "other.kpi"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert (body["field"], body["code"]) == ("kpi", "immutable")
    assert body["detail"].startswith("kpi: ")
    assert KPIResult.objects.get(pk=result.pk).kpi.code == "delivery.on_time_rate"


def test_patching_the_numbers_goes_through_the_same_rules(steward, result):
    url = f"/api/v1/kpi-results/{result.pk}/"
    client = api(steward)
    ok = client.patch(url, {"numerator": "6", "note": "recount"}, format="json")
    assert ok.status_code == 200, ok.json()
    assert (ok.json()["value"], ok.json()["note"]) == ("60", "recount")
    plain = client.patch(url, {"numerator": None, "denominator": None, "value": "75.5"},
                         format="json")  # fmt: skip
    assert plain.status_code == 200, plain.json()
    assert plain.json()["value"] == "75.5"
    refused = client.patch(url, {"value": "101"}, format="json")
    assert refused.status_code == 400
    assert (refused.json()["field"], refused.json()["code"]) == ("value", "out_of_range")
    assert KPIResult.objects.get(pk=result.pk).value == D("75.5")
    outsider = UserFactory(roles=[roles.DATA_STEWARD])
    DepartmentFactory(code="THEIRS").stewards.add(outsider)
    assert api(outsider).patch(url, {"value": "70"}, format="json").status_code == 403


# --- the admin ---------------------------------------------------------------------------------


def change_form(result, **values) -> dict:
    return {"value": str(result.value), "numerator": str(result.numerator or ""),
            "denominator": str(result.denominator or ""), "sample_size": "", "note": "",
            **values}  # fmt: skip


def test_the_change_form_shows_the_results_identity_read_only(client, steward, result):
    client.force_login(steward)
    page = client.get(f"/admin/kpis/kpiresult/{result.pk}/change/").content.decode()
    for name in ("kpi", "scope", "department", "employee", "period"):
        assert f'name="{name}"' not in page, name
    assert 'name="value"' in page
    assert 'name="numerator"' in page
    assert "2026-W47" in page
    assert "delivery.on_time_rate" in page
    add = client.get("/admin/kpis/kpiresult/add/").content.decode()
    assert 'name="period"' in add  # a new result names its key


def test_a_posted_key_change_is_ignored_and_the_numbers_are_saved(client, steward, result):
    client.force_login(steward)
    other = KPIFactory(code="other.kpi")
    response = client.post(
        f"/admin/kpis/kpiresult/{result.pk}/change/",
        change_form(result, kpi=other.pk, period="2026-W01", numerator="7"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = KPIResult.objects.get(pk=result.pk)
    assert (row.kpi.code, row.period, row.numerator, row.value) == (
        "delivery.on_time_rate", "2026-W47", 7, 70,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"numerator": "11"}, "cannot exceed the denominator"),
        ({"denominator": "0"}, "cannot be 0"),
        ({"value": "50"}, "does not match numerator / denominator"),
    ],
)
def test_a_refused_change_shows_the_message_and_leaves_the_row(
    client, steward, result, values, message
):
    client.force_login(steward)
    before, history = stored(result), result.history.count()
    response = client.post(
        f"/admin/kpis/kpiresult/{result.pk}/change/", change_form(result, **values)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert stored(result) == before
    assert result.history.count() == history
