"""Targets (most specific wins, order in the KPI's direction) and scorecards."""

import datetime as dt
from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from apps.departments import roles
from apps.kpis.models import Scope
from apps.kpis.periods import Period
from apps.kpis.selectors import Holder
from apps.kpis.services import kpi_results_bulk_upsert
from apps.targets.models import Target
from apps.targets.selectors import TargetBook, scorecard
from tests.factories import (
    DepartmentFactory,
    EmployeeFactory,
    KPIFactory,
    KPIResultFactory,
    TargetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
MONTH = Period.parse("2026-11")


@pytest.fixture
def admin_api(api_for):
    return api_for(is_superuser=True)


class TestOrderAndValidity:
    @pytest.mark.parametrize(
        ("direction", "levels", "field"),
        [
            ("higher_is_better", ("90", "85", "95"), "target"),
            ("higher_is_better", ("80", "85", "84"), "stretch"),
            ("lower_is_better", ("3", "5", "8"), "target"),
            ("lower_is_better", ("8", "5", "6"), "stretch"),
        ],
    )
    def test_out_of_order_levels_are_400(self, admin_api, direction, levels, field):
        kpi = KPIFactory(direction=direction)
        threshold, target, stretch = levels
        response = admin_api.post(
            "/api/v1/targets/",
            {"kpi": kpi.code, "threshold": threshold, "target": target, "stretch": stretch},
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["field"] == field
        assert response.json()["code"] == "unordered_levels"
        assert not Target.objects.exists()

    def test_ordered_levels_are_accepted_both_ways(self, admin_api):
        down = KPIFactory(direction="lower_is_better")
        response = admin_api.post(
            "/api/v1/targets/",
            {"kpi": down.code, "threshold": "8", "target": "5", "stretch": "3", "benchmark": "2.5",
             "benchmark_source": "Someone, 2025", "period": "2026"},
            format="json",
        )  # fmt: skip
        assert response.status_code == 201, response.json()
        assert response.json()["threshold"] == "8"
        assert response.json()["scope"] == "company"

    @pytest.mark.parametrize(
        ("extra", "field"),
        [
            ({"period": "2026-W60"}, "period"),
            ({"period": "2026", "valid_from": "2026-01-01"}, "valid_from"),
            ({"valid_from": "2026-05-01", "valid_to": "2026-04-01"}, "valid_to"),
            ({"scope": "department"}, "department"),
            ({"kpi": "nope"}, "kpi"),
        ],
    )
    def test_bad_validity_and_scope_are_400(self, admin_api, extra, field):
        kpi = KPIFactory()
        payload = {"kpi": kpi.code, "target": "90", **extra}
        response = admin_api.post("/api/v1/targets/", payload, format="json")
        assert response.status_code == 400
        assert response.json()["field"] == field

    @pytest.mark.parametrize(
        ("levels", "field"),
        [
            ({"threshold": "150", "target": "200", "stretch": "300"}, "threshold"),
            ({"target": "90", "benchmark": "-1"}, "benchmark"),
            ({"threshold": "80", "target": "90", "stretch": "100.5"}, "stretch"),
        ],
    )
    def test_levels_outside_the_kpis_range_are_400(self, admin_api, levels, field):
        kpi = KPIFactory()  # a percentage: 0 to 100
        response = admin_api.post("/api/v1/targets/", {"kpi": kpi.code, **levels}, format="json")
        assert response.status_code == 400
        assert (response.json()["field"], response.json()["code"]) == (field, "out_of_range")
        assert not Target.objects.exists()

    def test_a_second_target_with_the_same_holder_and_validity_is_refused(self, admin_api):
        kpi = KPIFactory()
        row = {"kpi": kpi.code, "target": "85", "period": "2026"}
        first = admin_api.post("/api/v1/targets/", row, format="json")
        assert first.status_code == 201
        again = admin_api.post("/api/v1/targets/", {**row, "target": "86"}, format="json")
        assert (again.status_code, again.json()["field"]) == (400, "period")
        assert again.json()["code"] == "duplicate"
        other_year = admin_api.post("/api/v1/targets/", {**row, "period": "2027"}, format="json")
        assert other_year.status_code == 201
        moved = admin_api.patch(
            f"/api/v1/targets/{other_year.json()['id']}/", {"period": "2026"}, format="json"
        )
        assert moved.status_code == 400
        kept = admin_api.patch(
            f"/api/v1/targets/{first.json()['id']}/", {"target": "87"}, format="json"
        )
        assert kept.status_code == 200  # changing a target is no duplicate of itself
        assert sorted(Target.objects.values_list("period", "target")) == [
            ("2026", 87), ("2027", 85)
        ]  # fmt: skip

    def test_steward_sets_targets_for_their_department_only(self, api_for):
        ops, other = DepartmentFactory(code="OPS"), DepartmentFactory(code="OTHER")
        user = UserFactory(roles=[roles.DATA_STEWARD])
        ops.stewards.add(user)
        kpi = KPIFactory()
        client = APIClient()
        client.force_authenticate(user)
        row = {"kpi": kpi.code, "scope": "department", "target": "90"}
        ok = client.post("/api/v1/targets/", {**row, "department": "OPS"}, format="json")
        refused = client.post("/api/v1/targets/", {**row, "department": other.code}, format="json")
        assert ok.status_code == 201, ok.json()
        assert refused.status_code == 403
        assert Target.objects.count() == 1


class TestMostSpecificWins:
    def test_employee_then_department_then_ancestor_then_company(self):
        kpi = KPIFactory()
        root = DepartmentFactory(code="ROOT")
        ops = DepartmentFactory(code="OPS", parent=root)
        employee = EmployeeFactory()
        company = TargetFactory(kpi=kpi, target=D(80))
        parent = TargetFactory(kpi=kpi, department=root, target=D(81))
        own = TargetFactory(kpi=kpi, department=ops, target=D(82))
        personal = TargetFactory(kpi=kpi, employee=employee, target=D(83))
        parents = {root.pk: None, ops.pk: root.pk}

        def book(*targets):
            return TargetBook(
                targets, department_parents=parents, employee_departments={employee.pk: ops.pk}
            )

        everything = book(company, parent, own, personal)
        assert everything.target_for(kpi, Holder(Scope.EMPLOYEE, employee.pk), MONTH) == personal
        assert everything.target_for(kpi, Holder(Scope.DEPARTMENT, ops.pk), MONTH) == own
        assert (
            book(company, parent).target_for(kpi, Holder(Scope.DEPARTMENT, ops.pk), MONTH) == parent
        )
        assert book(company).target_for(kpi, Holder(Scope.EMPLOYEE, employee.pk), MONTH) == company

    def test_exact_period_beats_containing_period_beats_dates_beats_open(self):
        kpi = KPIFactory()
        open_ended = TargetFactory(kpi=kpi, target=D(80))
        dated = TargetFactory(kpi=kpi, target=D(81), valid_from=dt.date(2026, 1, 1))
        year = TargetFactory(kpi=kpi, target=D(82), period="2026")
        month = TargetFactory(kpi=kpi, target=D(83), period="2026-11")
        holder = Holder.company()

        def pick(*targets, period=MONTH):
            return TargetBook(targets, department_parents={}).target_for(kpi, holder, period)

        assert pick(open_ended, dated, year, month) == month
        assert pick(open_ended, dated, year) == year
        assert pick(open_ended, dated) == dated
        assert pick(open_ended, dated, period=Period.parse("2025-11")) == open_ended
        assert pick(month, period=Period.parse("2026-10")) is None

    def test_sum_kpi_targets_apply_to_their_own_period_length_only(self):
        kpi = KPIFactory(aggregation="sum", unit="count", frequency="week")
        weekly = TargetFactory(kpi=kpi, target=D(3))
        yearly = TargetFactory(kpi=kpi, target=D(150), period="2026")
        book = TargetBook([weekly, yearly], department_parents={})
        assert book.target_for(kpi, Holder.company(), Period.parse("2026-W47")) == weekly
        assert book.target_for(kpi, Holder.company(), MONTH) is None
        assert book.target_for(kpi, Holder.company(), Period.parse("2026")) == yearly


class TestScorecard:
    def _data(self, kpis: int, departments: int):
        root = DepartmentFactory()
        leaves = [DepartmentFactory(parent=root) for _ in range(departments)]
        parent = KPIFactory(code="tree.root")
        created = [parent] + [
            KPIFactory(parent=parent if n % 3 == 0 else None) for n in range(kpis - 1)
        ]
        rows = []
        for kpi in created:
            TargetFactory(kpi=kpi, threshold=D(80), target=D(90), stretch=D(95))
            rows += [
                {"kpi": kpi.code, "department": leaf.code, "period": week, "numerator": 85,
                 "denominator": 100}
                for leaf in leaves
                for week in ("2026-W45", "2026-W46")
            ]  # fmt: skip
        kpi_results_bulk_upsert(user=UserFactory(is_superuser=True), rows=rows)
        return root

    def test_rows_statuses_children_and_trend(self, api_for):
        self._data(kpis=4, departments=2)
        body = api_for(roles.EMPLOYEE).get("/api/v1/scorecards/?period=2026-11").json()
        assert body["period"] == "2026-11"
        assert body["scope"] == "company"
        root = next(row for row in body["rows"] if row["kpi"] == "tree.root")
        assert root["actual"] == "85"
        assert root["basis"] == "children"
        assert root["status"] == "below_target"
        assert root["gap_to_target"] == "-5"
        assert [c["kpi"] for c in root["children"]] == [k.code for k in root_children()]
        assert len(root["trend"]) == 8
        assert root["trend"][-1] == {"period": "2026-11", "value": "85"}
        assert root["trend"][0] == {"period": "2026-04", "value": None}
        assert set(root) >= {"kpi", "name", "unit", "direction", "actual", "basis", "threshold",
                             "target", "stretch", "benchmark", "status", "gap_to_target",
                             "gap_to_benchmark", "trend", "children"}  # fmt: skip

    @pytest.mark.parametrize(("kpis", "departments"), [(3, 2), (50, 20)])
    def test_query_count_does_not_grow(
        self, api_for, django_assert_max_num_queries, kpis, departments
    ):
        self._data(kpis=kpis, departments=departments)
        client = api_for(roles.EMPLOYEE)
        with django_assert_max_num_queries(8):
            response = client.get("/api/v1/scorecards/?period=2026-11")
        assert response.status_code == 200
        with django_assert_max_num_queries(8):
            response = client.get("/api/v1/scorecards/?period=2026-W46")
        assert response.status_code == 200

    def test_department_scorecard_lists_its_kpis(self):
        ops = DepartmentFactory(code="OPS")
        mine = KPIFactory(code="mine", department=ops)
        KPIFactory(code="theirs", department=DepartmentFactory())
        KPIResultFactory(kpi=mine, department=ops, period="2026-11", numerator=1, denominator=1)
        card = scorecard(period=MONTH, department=ops)
        assert [row.kpi.code for row in card.rows] == ["mine"]
        assert card.rows[0].value.value == D(100)

    def test_a_sub_department_scorecard_has_its_parents_kpis_it_reports(self):
        dist = DepartmentFactory(code="DIST")
        north = DepartmentFactory(code="DIST-N", parent=dist)
        reported = KPIFactory(code="reported", department=dist)
        KPIFactory(code="not.reported", department=dist)
        KPIResultFactory(
            kpi=reported, department=north, period="2026-11", numerator=3, denominator=4
        )
        card = scorecard(period=MONTH, department=north)
        assert [row.kpi.code for row in card.rows] == ["reported"]
        assert card.rows[0].value.value == D(75)

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("", "period"),
            ("period=2026-13", "period"),
            ("period=2026-11&department=NOPE", "department"),
        ],
    )
    def test_bad_parameters_are_400(self, api_for, query, field):
        response = api_for(roles.EMPLOYEE).get(f"/api/v1/scorecards/?{query}")
        assert response.status_code == 400
        assert response.json()["field"] == field


def root_children():
    from apps.kpis.models import KPI

    return KPI.objects.filter(parent__code="tree.root").order_by("code")
