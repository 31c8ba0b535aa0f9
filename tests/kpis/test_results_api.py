"""KPI results through the API: upsert, the rules of SPEC §4/§13, bulk, series, permissions."""

import pytest
from rest_framework.test import APIClient

from apps.departments import roles
from apps.kpis.models import KPIResult
from tests.factories import (
    AssignmentFactory,
    DepartmentFactory,
    EmployeeFactory,
    KPIFactory,
    KPIResultFactory,
    TargetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops():
    return DepartmentFactory(code="OPS")


@pytest.fixture
def kpi():
    return KPIFactory(code="delivery.on_time_rate", name="On-time delivery rate")


@pytest.fixture
def steward(ops):
    user = UserFactory(username="steward1", roles=[roles.DATA_STEWARD])
    ops.stewards.add(user)
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(client, **row):
    return client.post("/api/v1/kpi-results/", row, format="json")


def test_post_derives_the_value_and_upserts(steward, kpi, ops):
    first = post(
        steward, kpi=kpi.code, department="OPS", period="2026-W47", numerator=45, denominator=50
    )
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["value"] == "90"
    assert body["scope"] == "department"
    assert body["period_type"] == "week"
    again = post(
        steward, kpi=kpi.code, department="OPS", period="2026-W47", numerator=46, denominator=50
    )
    assert again.status_code == 200
    assert again.json()["value"] == "92"
    result = KPIResult.objects.get()
    assert [h.value for h in result.history.order_by("history_date")] == [90, 92]
    assert result.history.latest().history_user.username == "steward1"


@pytest.mark.parametrize(
    ("row", "field", "code"),
    [
        ({"value": "120"}, "value", "out_of_range"),
        ({"value": "-1"}, "value", "out_of_range"),
        ({"numerator": 5, "denominator": 0}, "denominator", "zero_denominator"),
        ({"numerator": 60, "denominator": 50}, "numerator", "numerator_exceeds_denominator"),
        ({"numerator": 5}, "denominator", "required"),
        ({"numerator": 45, "denominator": 50, "value": "80"}, "value", "value_mismatch"),
        ({"value": "90", "period": "2026-13"}, "period", "invalid_period"),
        ({"value": "90", "period": "2026-W54"}, "period", "invalid_period"),
        ({"value": "90", "period": "2025-W53"}, "period", "invalid_period"),
        ({"value": "90", "kpi": "no.such.kpi"}, "kpi", "does_not_exist"),
        ({"value": "90", "department": "NOPE"}, "department", "does_not_exist"),
        ({"value": "90", "department": None, "scope": "department"}, "department", "required"),
        ({"value": "90", "sample_size": -3}, "sample_size", "min_value"),
        ({"value": "ninety"}, "value", "invalid"),
    ],
)
def test_refusals_are_400_naming_field_and_rule(steward, kpi, ops, row, field, code):
    payload = {"kpi": kpi.code, "department": "OPS", "period": "2026-W47", **row}
    response = post(steward, **payload)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["field"] == field
    assert body["code"] == code
    assert not KPIResult.objects.exists()


def test_bad_period_message_lists_the_accepted_forms(steward, kpi, ops):
    body = post(steward, kpi=kpi.code, department="OPS", period="2026-13", value="90").json()
    assert "2026-13" in body["detail"]
    assert "2026-W47" in body["detail"]
    assert "2026-Q4" in body["detail"]


def test_scores_respect_the_kpis_own_scale(steward, ops):
    nps = KPIFactory(code="cx.nps", unit="score", aggregation="mean", min_value=-100, max_value=100)
    assert (
        post(steward, kpi="cx.nps", department="OPS", period="2026-11", value="-35").status_code
        == 201
    )
    refused = post(steward, kpi=nps.code, department="OPS", period="2026-10", value="150")
    assert refused.status_code == 400
    assert refused.json()["code"] == "out_of_range"


def test_steward_writes_only_their_departments(steward, kpi, ops):
    DepartmentFactory(code="OTHER")
    response = post(steward, kpi=kpi.code, department="OTHER", period="2026-W47", value="90")
    assert response.status_code == 403
    assert response.json()["code"] == "not_steward"
    company = post(steward, kpi=kpi.code, period="2026-W47", value="90")
    assert company.status_code == 403
    assert not KPIResult.objects.exists()


def test_steward_of_a_parent_writes_for_its_sub_departments(steward, kpi, ops):
    DepartmentFactory(code="OPS-N", parent=ops)
    response = post(steward, kpi=kpi.code, department="OPS-N", period="2026-W47", value="90")
    assert response.status_code == 201


def test_everyone_signed_in_reads_but_only_stewards_write(api_for, kpi, ops):
    KPIResultFactory(kpi=kpi, department=ops, period="2026-W47", numerator=9, denominator=10)
    employee = api_for(roles.EMPLOYEE)
    assert employee.get("/api/v1/kpis/").status_code == 200
    assert employee.get("/api/v1/kpi-results/").json()["count"] == 1
    assert employee.get("/api/v1/scorecards/?period=2026-11").status_code == 200
    assert (
        post(employee, kpi=kpi.code, department="OPS", period="2026-W46", value="1").status_code
        == 403
    )
    assert APIClient().get("/api/v1/kpi-results/").status_code == 401


class TestBulk:
    URL = "/api/v1/kpi-results/bulk/"

    def test_an_unknown_key_is_refused_not_dropped(self, steward, kpi):
        good = {"kpi": kpi.code, "department": "OPS", "period": "2026-W45", "value": "90"}
        rows = [good, {**good, "period": "2026-W46", "source": "alien", "extra_field": 1}]
        response = steward.post(self.URL, {"results": rows}, format="json")
        assert response.status_code == 400
        errors = [(e["index"], e["field"], e["code"]) for e in response.json()["errors"]]
        assert errors == [(1, "source", "unknown_field"), (1, "extra_field", "unknown_field")]
        assert not KPIResult.objects.exists()

    def test_counts_created_updated_unchanged(self, steward, kpi, ops):
        KPIResultFactory(kpi=kpi, department=ops, period="2026-W45", numerator=9, denominator=10)
        KPIResultFactory(kpi=kpi, department=ops, period="2026-W46", numerator=9, denominator=10)
        rows = [
            {
                "kpi": kpi.code,
                "department": "OPS",
                "period": "2026-W45",
                "numerator": 9,
                "denominator": 10,
            },
            {
                "kpi": kpi.code,
                "department": "OPS",
                "period": "2026-W46",
                "numerator": 8,
                "denominator": 10,
            },
            {"kpi": kpi.code, "department": "OPS", "period": "2026-W47", "value": "95.5"},
        ]
        response = steward.post(self.URL, {"results": rows}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json() == {"created": 1, "updated": 1, "unchanged": 1}
        updated = KPIResult.objects.get(period="2026-W46")
        assert (updated.value, updated.numerator, updated.source) == (80, 8, "import")
        assert updated.entered_by.username == "steward1"
        latest = updated.history.latest()
        assert (latest.history_type, latest.value, latest.history_user.username) == (
            "~",
            80,
            "steward1",
        )
        assert KPIResult.objects.get(period="2026-W47").history.get().history_type == "+"

    def test_one_bad_row_writes_nothing_and_names_every_bad_row(self, steward, kpi, ops):
        rows = [
            {"kpi": kpi.code, "department": "OPS", "period": "2026-W45", "value": "90"},
            {"kpi": kpi.code, "department": "OPS", "period": "2026-W46", "value": "120"},
            {"kpi": "nope", "department": "OPS", "period": "2026-W47", "value": "90"},
            {"kpi": kpi.code, "department": "OPS", "period": "2026-W45", "value": "91"},
        ]
        response = steward.post(self.URL, {"results": rows}, format="json")
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert [(e["index"], e["field"], e["code"]) for e in errors] == [
            (1, "value", "out_of_range"),
            (2, "kpi", "does_not_exist"),
            (3, "period", "duplicate"),
        ]
        assert not KPIResult.objects.exists()

    def test_a_row_outside_stewardship_is_403_and_writes_nothing(self, steward, kpi, ops):
        DepartmentFactory(code="OTHER")
        rows = [
            {"kpi": kpi.code, "department": "OPS", "period": "2026-W45", "value": "90"},
            {"kpi": kpi.code, "department": "OTHER", "period": "2026-W45", "value": "90"},
        ]
        response = steward.post(self.URL, {"results": rows}, format="json")
        assert response.status_code == 403
        assert response.json()["errors"][0]["index"] == 1
        assert not KPIResult.objects.exists()

    def test_malformed_bodies_are_400(self, steward):
        assert steward.post(self.URL, {"results": []}, format="json").status_code == 400
        assert steward.post(self.URL, {"results": "x"}, format="json").status_code == 400
        assert steward.post(self.URL, [1, 2], format="json").status_code == 400
        bad_row = steward.post(self.URL, {"results": [["not", "an", "object"]]}, format="json")
        assert bad_row.status_code == 400

    def test_employee_role_cannot_bulk(self, api_for):
        response = api_for(roles.EMPLOYEE).post(
            self.URL, {"results": [{"kpi": "x", "period": "2026-11", "value": 1}]}, format="json"
        )
        assert response.status_code == 403

    @pytest.mark.parametrize("count", [10, 200])
    def test_query_count_does_not_grow_with_rows(
        self, steward, kpi, ops, count, django_assert_max_num_queries
    ):
        rows = [
            {
                "kpi": kpi.code,
                "department": "OPS",
                "period": f"{2020 + n // 50}-W{n % 50 + 1:02d}",
                "value": "90",
            }
            for n in range(count)
        ]
        with django_assert_max_num_queries(40):
            response = steward.post(self.URL, {"results": rows}, format="json")
        assert response.json()["created"] == count


class TestSeries:
    def test_weeks_roll_up_to_the_month_and_say_so(self, api_for, kpi, ops):
        for week, (num, den) in {
            "2026-W44": (1, 100),
            "2026-W45": (90, 100),
            "2026-W46": (45, 60),
        }.items():
            KPIResultFactory(kpi=kpi, department=ops, period=week, numerator=num, denominator=den)
        body = (
            api_for(roles.EMPLOYEE)
            .get(
                f"/api/v1/kpis/{kpi.code}/series/?department=OPS&period_type=month&from=2026-10&to=2026-11"
            )
            .json()
        )
        assert body["kpi"] == kpi.code
        assert body["department"] == "OPS"
        assert body["points"] == [
            {"period": "2026-10", "value": "1", "numerator": "1", "denominator": "100",
             "sample_size": None, "basis": "rolled_up"},
            {"period": "2026-11", "value": "84.375", "numerator": "135", "denominator": "160",
             "sample_size": None, "basis": "rolled_up"},
        ]  # fmt: skip

    def test_company_series_comes_from_children(self, api_for, kpi, ops):
        KPIResultFactory(kpi=kpi, department=ops, period="2026-W45", numerator=9, denominator=10)
        body = (
            api_for(roles.EMPLOYEE)
            .get(f"/api/v1/kpis/{kpi.pk}/series/?from=2026-W45&to=2026-W45")
            .json()
        )
        assert body["scope"] == "company"
        assert body["points"][0]["basis"] == "children"
        assert body["points"][0]["value"] == "90"

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("from=2026-13", "from"),
            ("period_type=month&from=2026-W01&to=2026-W04", "from"),
            ("period_type=decade", "period_type"),
            ("department=NOPE", "department"),
            ("from=2026-W10&to=2026-W01", "from"),
        ],
    )
    def test_bad_parameters_are_400(self, api_for, kpi, query, field):
        response = api_for(roles.EMPLOYEE).get(f"/api/v1/kpis/{kpi.code}/series/?{query}")
        assert response.status_code == 400
        assert response.json()["field"] == field

    def test_unknown_kpi_is_404(self, api_for):
        assert api_for(roles.EMPLOYEE).get("/api/v1/kpis/no.such/series/").status_code == 404


class TestKPIs:
    def test_addressed_by_code_or_id(self, api_for, kpi):
        client = api_for(roles.EMPLOYEE)
        by_code = client.get(f"/api/v1/kpis/{kpi.code}/").json()
        by_id = client.get(f"/api/v1/kpis/{kpi.pk}/").json()
        assert by_code == by_id
        assert set(by_code) >= {
            "id", "code", "name", "description", "department", "unit", "direction", "aggregation",
            "frequency", "decimals", "parent", "source", "is_active",
        }  # fmt: skip

    def test_a_kpi_cannot_become_its_own_ancestor(self, kpi):
        admin = APIClient()
        admin.force_authenticate(UserFactory(is_superuser=True))
        child = KPIFactory(code="child", parent=kpi)
        grandchild = KPIFactory(code="grandchild", parent=child)
        response = admin.patch(
            f"/api/v1/kpis/{kpi.code}/", {"parent": grandchild.code}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["field"] == "parent"
        assert response.json()["code"] == "cycle"
        kpi.refresh_from_db()
        assert kpi.parent is None

    def test_filters(self, api_for, kpi, ops):
        KPIFactory(code="other", department=ops, parent=kpi)
        client = api_for(roles.EMPLOYEE)
        assert [
            k["code"] for k in client.get("/api/v1/kpis/?department=OPS").json()["results"]
        ] == ["other"]
        assert [k["code"] for k in client.get("/api/v1/kpis/?is_root=true").json()["results"]] == [
            kpi.code
        ]


def test_result_filters(api_for, kpi, ops):
    for period in ("2026-W40", "2026-W44", "2026-10", "2026-11"):
        KPIResultFactory(kpi=kpi, department=ops, period=period, numerator=1, denominator=2)
    client = api_for(roles.EMPLOYEE)

    def periods(query):
        return sorted(
            r["period"] for r in client.get(f"/api/v1/kpi-results/?{query}").json()["results"]
        )

    assert periods("period_type=month") == ["2026-10", "2026-11"]
    assert periods("period_in=2026-10") == ["2026-10", "2026-W40", "2026-W44"]
    assert periods("period_from=2026-11&period_type=month") == ["2026-11"]
    assert periods(f"kpi={kpi.code}&department=OPS&period=2026-W44") == ["2026-W44"]
    bad = client.get("/api/v1/kpi-results/?period_in=2026-W99")
    assert bad.status_code == 400
    assert bad.json()["field"] == "period_in"


def test_patch_changes_numbers_but_not_identity(steward, kpi, ops):
    result = KPIResultFactory(
        kpi=kpi, department=ops, period="2026-W47", numerator=9, denominator=10
    )
    url = f"/api/v1/kpi-results/{result.pk}/"
    ok = steward.patch(url, {"numerator": 7, "period": "2026-w47"}, format="json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["value"] == "70"
    moved = steward.patch(url, {"period": "2026-W46"}, format="json")
    assert moved.status_code == 400
    assert moved.json()["code"] == "immutable"
    assert steward.delete(url).status_code == 204
    assert not KPIResult.objects.exists()


def test_individual_numbers_are_seen_by_the_person_hr_and_their_steward_only(ops, kpi, steward):
    """Employee-scope results and targets are bonus inputs: an employee sees their own and
    nobody else's (not listed, and another's number in a series is unknown); HR sees all; a
    steward sees the people of the departments they steward."""
    me_user = UserFactory(username="me", roles=[roles.EMPLOYEE])
    me = EmployeeFactory(employee_number="E1", user=me_user)
    colleague = EmployeeFactory(employee_number="E2")
    outsider = EmployeeFactory(employee_number="E3")
    AssignmentFactory(employee=colleague, department=ops)
    for person in (me, colleague, outsider):
        KPIResultFactory(kpi=kpi, employee=person, value=70)
        TargetFactory(kpi=kpi, employee=person, period="2026")
    KPIResultFactory(kpi=kpi, department=ops, value=80)

    def seen(client, url):
        rows = client.get(url).json()["results"]
        return sorted((r["scope"], r.get("employee") or r.get("department") or "") for r in rows)

    mine = APIClient()
    mine.force_authenticate(me_user)
    assert seen(mine, "/api/v1/kpi-results/") == [("department", "OPS"), ("employee", "E1")]
    assert seen(mine, "/api/v1/targets/?scope=employee") == [("employee", "E1")]
    other = mine.get(f"/api/v1/kpis/{kpi.code}/series/?employee=E2&start=2026-11&end=2026-11")
    assert (other.status_code, other.json()["field"]) == (400, "employee")
    own = mine.get(f"/api/v1/kpis/{kpi.code}/series/?employee=E1&start=2026-11&end=2026-11")
    assert own.status_code == 200

    assert seen(steward, "/api/v1/kpi-results/?scope=employee") == [("employee", "E2")]
    hr = APIClient()
    hr.force_authenticate(UserFactory(roles=[roles.HR]))
    assert len(seen(hr, "/api/v1/kpi-results/?scope=employee")) == 3
