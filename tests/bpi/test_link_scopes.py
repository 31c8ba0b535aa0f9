"""Whom a BPI KPI link measures, and how its baseline and current value are read (SPEC §8
amended): the department it names; naming none, the project's department when it has exactly
one, else the company — values read like any other (explicit, rolled up, from sub-departments)
with their period and basis. Through the services, the API and the admin."""

import datetime as dt
from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from apps.bpi import selectors, services
from tests.bpi.factories import ProjectFactory, owner_person
from tests.factories import DepartmentFactory, KPIFactory, KPIResultFactory

pytestmark = pytest.mark.django_db

START = dt.date(2026, 1, 15)
DUE = dt.date(2027, 6, 30)


@pytest.fixture
def world():
    owner_user, owner = owner_person(employee_number="E-OWNER")
    viewer, _ = owner_person()
    dist = DepartmentFactory(code="DIST")
    north = DepartmentFactory(code="DIST-N", parent=dist)
    service = DepartmentFactory(code="CS")
    late = KPIFactory(code="delivery.late_rate", department=dist, frequency="month",
                      unit="percent", decimals=1, direction="lower_is_better")  # fmt: skip
    # The DIST KPI has results for DIST only.
    KPIResultFactory(kpi=late, department=dist, period="2025-12", value=D("4.80365993"))
    KPIResultFactory(kpi=late, department=dist, period="2026-02", value=D("5.89070263"))
    return {"owner": owner_user, "owner_employee": owner, "viewer": viewer, "dist": dist,
            "north": north, "cs": service, "late": late}  # fmt: skip


def create(world, departments, **link):
    return services.project_create(
        user=world["owner"], code="BPI-LATE", title="Fewer late deliveries",
        problem="Too many parcels arrive late.", start_date=START, due_date=DUE,
        departments=departments, kpi_links=[{"kpi": world["late"], "goal": D(3), **link}],
    )  # fmt: skip


def read_link(project):
    loaded = selectors.project_list().get(pk=project.pk)
    selectors.attach_current_values([loaded])
    link = loaded.kpi_links.all()[0]  # the first link made
    return (link.baseline, link.baseline_period, link.baseline_basis), (
        link.current, link.current_period, link.current_basis,
    )  # fmt: skip


# --- the services and selectors ----------------------------------------------------------------


def test_a_link_naming_no_department_measures_the_projects_one_department(world):
    project = create(world, [world["dist"]])
    baseline, current = read_link(project)
    assert baseline == (D("4.80365993"), "2025-12", "explicit")
    assert current == (D("5.89070263"), "2026-02", "explicit")


def test_with_several_departments_or_none_the_link_measures_the_company(world):
    KPIResultFactory(kpi=world["late"], period="2025-11", value=D(7))  # the company's own
    for departments in ([world["dist"], world["cs"]], []):
        project = create(world, departments)
        baseline, current = read_link(project)
        assert baseline == (D(7), "2025-11", "explicit")
        assert current == (D(7), "2025-11", "explicit")
        project.delete()


def test_a_named_department_wins(world):
    KPIResultFactory(kpi=world["late"], department=world["cs"], period="2025-10", value=D(2))
    project = create(world, [world["dist"]], department=world["cs"])
    baseline, _current = read_link(project)
    assert baseline == (D(2), "2025-10", "explicit")


def test_values_rolled_up_from_weeks_and_from_sub_departments(world):
    ratio = KPIFactory(code="delivery.on_time_rate", frequency="month")
    # Only DIST-N has results, weekly: 2025-W50 and W51 lie in December 2025.
    for week, on_time in (("2025-W50", 90), ("2025-W51", 80)):
        KPIResultFactory(kpi=ratio, department=world["north"], period=week, numerator=on_time,
                         denominator=100)  # fmt: skip
    project = services.project_create(
        user=world["owner"], code="BPI-OTD", title="On time", problem="Late.", start_date=START,
        due_date=DUE, departments=[world["dist"]], kpi_links=[{"kpi": ratio, "goal": D(95)}],
    )  # fmt: skip
    baseline, current = read_link(project)
    assert baseline == (D(85), "2025-12", "children")  # DIST from DIST-N
    assert current == (D(85), "2025-12", "children")
    services.project_update(
        user=world["owner"], project=project, data={}, departments=[world["north"]]
    )
    baseline, _current = read_link(project)
    assert baseline == (D(85), "2025-12", "rolled_up")  # DIST-N's own weeks


def test_new_departments_refresh_defaulted_baselines_only(world):
    KPIResultFactory(kpi=world["late"], period="2025-12", value=D(7))
    project = create(world, [world["dist"], world["cs"]])
    other = KPIFactory(code="delivery.damage_rate", frequency="month")
    project.kpi_links.create(kpi=other, goal=D(1), baseline=D(2))  # given by hand
    assert read_link(project)[0] == (D(7), "2025-12", "explicit")
    services.project_update(
        user=world["owner"], project=project, data={}, departments=[world["dist"]]
    )
    assert read_link(project)[0] == (D("4.80365993"), "2025-12", "explicit")
    assert project.kpi_links.get(kpi=other).baseline == D(2)


# --- the API -----------------------------------------------------------------------------------


def test_the_api_reads_the_projects_department_with_period_and_basis(world):
    client = APIClient()
    client.force_authenticate(world["owner"])
    body = {"code": "BPI-LATE", "title": "Fewer late deliveries", "problem": "Late parcels.",
            "departments": ["DIST"], "start_date": START.isoformat(), "due_date": DUE.isoformat(),
            "kpi_links": [{"kpi": "delivery.late_rate", "goal": "3"}]}  # fmt: skip
    created = client.post("/api/v1/bpi-projects/", body, format="json")
    assert created.status_code == 201, created.json()
    expected = {
        "kpi": "delivery.late_rate", "department": None,
        "baseline": "4.80365993", "baseline_period": "2025-12", "baseline_basis": "explicit",
        "goal": "3",
        "current": "5.89070263", "current_period": "2026-02", "current_basis": "explicit",
        "impact": None,
    }  # fmt: skip
    assert created.json()["kpi_links"] == [expected]
    detail = client.get(f"/api/v1/bpi-projects/{created.json()['id']}/").json()
    assert detail["kpi_links"] == [expected]
    listed = client.get("/api/v1/bpi-projects/").json()["results"]
    assert listed[0]["kpi_links"] == [expected]


# --- the admin ---------------------------------------------------------------------------------


def change_url(project) -> str:
    return f"/admin/bpi/project/{project.pk}/change/"


def test_the_admin_shows_values_in_the_kpis_unit_and_decimals(client, world):
    project = create(world, [world["dist"]])
    client.force_login(world["viewer"])  # read-only page
    html = client.get(change_url(project)).content.decode()
    assert "4.8% (2025-12)" in html  # the baseline
    assert "5.9% (2026-02)" in html  # the current value
    assert "3.0%" in html  # the goal
    assert "4.80365993" not in html
    client.force_login(world["owner"])  # the owner's inputs: the stored numbers, exactly
    html = client.get(change_url(project)).content.decode()
    assert 'value="4.80365993"' in html
    assert 'name="kpi_links-0-goal" value="3"' in html
    assert "4.8% (2025-12)" in html  # where the baseline came from
    assert "5.9% (2026-02)" in html


def test_a_link_added_in_the_admin_inline_measures_the_projects_department(client, world):
    project = ProjectFactory(owner=world["owner_employee"], start_date=START, due_date=DUE)
    project.departments.set([world["dist"]])
    client.force_login(world["owner"])
    data = {
        "code": project.code, "title": project.title, "problem": project.problem,
        "root_cause": "", "sponsor": "", "departments": [world["dist"].pk], "priority": "medium",
        "start_date": START.isoformat(), "due_date": DUE.isoformat(),
        "kpi_links-TOTAL_FORMS": "1", "kpi_links-INITIAL_FORMS": "0",
        "kpi_links-0-kpi": world["late"].pk, "kpi_links-0-goal": "3",
        "updates-TOTAL_FORMS": "0", "updates-INITIAL_FORMS": "0",
        "milestones-TOTAL_FORMS": "0", "milestones-INITIAL_FORMS": "0",
    }  # fmt: skip
    response = client.post(change_url(project), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    link = project.kpi_links.get()
    assert (link.baseline, link.baseline_period, link.baseline_basis) == (
        D("4.80365993"), "2025-12", "explicit",
    )  # fmt: skip
    html = client.get(change_url(project)).content.decode()
    assert "5.9% (2026-02)" in html
