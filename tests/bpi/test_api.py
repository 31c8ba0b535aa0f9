"""The BPI API (SPEC §11, §16): the field contract, writes through the services, the object
rules per person, every refusal as a 4xx naming field and rule, and lists in constant queries."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.bpi.models import Milestone, Project, Status, Update
from apps.departments import roles
from tests.bpi.factories import (
    ProjectFactory,
    UpdateFactory,
    owner_person,
    person,
    sponsor_person,
)
from tests.factories import (
    DepartmentFactory,
    EmployeeFactory,
    KPIFactory,
    KPIResultFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/bpi-projects/"
TODAY = timezone.localdate()
DUE = max(TODAY, dt.date(2026, 1, 10)) + dt.timedelta(days=180)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def world():
    owner_user, owner = owner_person(employee_number="E-OWNER")
    sponsor_user, sponsor = sponsor_person(employee_number="E-SPONSOR")
    other_user, other = owner_person(employee_number="E-OTHER")
    hr_user, _ = person(roles.HR)
    admin = UserFactory(is_superuser=True)
    kpi = KPIFactory(code="delivery.late_rate", frequency="month", aggregation="mean",
                     direction="lower_is_better")  # fmt: skip
    logistics = DepartmentFactory(code="LOG")
    # The projects below have one department, LOG: their links naming none measure LOG.
    KPIResultFactory(kpi=kpi, department=logistics, period="2025-12", value=D("11"))
    KPIResultFactory(kpi=kpi, department=logistics, period="2026-02", value=D("8.5"))
    return {
        "owner": owner_user, "sponsor": sponsor_user, "other": other_user, "hr": hr_user,
        "admin": admin, "owner_employee": owner, "sponsor_employee": sponsor,
        "other_employee": other, "kpi": kpi, "logistics": logistics,
    }  # fmt: skip


def new_project(**overrides):
    body = {
        "code": "BPI-REFUND", "title": "Faster refunds", "problem": "Refunds take 9 days.",
        "root_cause": "Manual approval.", "sponsor": "E-SPONSOR", "departments": ["LOG"],
        "priority": "high", "start_date": "2026-01-10", "due_date": DUE.isoformat(),
        "kpi_links": [{"kpi": "delivery.late_rate", "goal": "5"}],
    }  # fmt: skip
    return {**body, **overrides}


@pytest.fixture
def project(world):
    response = client_for(world["owner"]).post(URL, new_project(), format="json")
    assert response.status_code == 201, response.json()
    return Project.objects.get(pk=response.json()["id"])


def test_a_project_speaks_the_field_contract(world, project):
    UpdateFactory(project=project, progress_percent=35, date=dt.date(2026, 2, 1))
    body = client_for(world["hr"]).get(f"{URL}{project.pk}/").json()
    assert list(body) == [
        "id", "code", "title", "problem", "root_cause", "owner", "sponsor", "departments",
        "priority", "status", "start_date", "due_date", "completed_on", "is_overdue",
        "progress_percent", "kpi_links", "allowed_transitions",
    ]  # fmt: skip
    assert body["owner"] == "E-OWNER"  # a non-administrator owns what they create
    assert (body["sponsor"], body["departments"], body["status"]) == (
        "E-SPONSOR", ["LOG"], "proposed",
    )  # fmt: skip
    assert (body["progress_percent"], body["is_overdue"], body["completed_on"]) == (
        35, False, None,
    )  # fmt: skip
    [link] = body["kpi_links"]
    assert {"kpi", "department", "baseline", "baseline_period", "goal", "current"} <= set(link)
    # Baseline: the latest value before the start; current: the latest of all (both of LOG).
    assert (link["kpi"], link["department"], link["baseline"], link["baseline_period"],
            link["goal"], link["current"]) == ("delivery.late_rate", None, "11", "2025-12", "5",
                                               "8.5")  # fmt: skip
    assert body["allowed_transitions"] == []  # HR moves nothing
    for who, moves in (("sponsor", ["approved"]), ("owner", ["cancelled"])):
        seen = client_for(world[who]).get(f"{URL}{project.pk}/").json()
        assert seen["allowed_transitions"] == moves


def test_nested_updates_and_milestones_speak_the_contract(world, project):
    owner = client_for(world["owner"])
    update = {"date": "2026-02-01", "progress_percent": 40, "note": "Pilot live"}
    posted = owner.post(f"{URL}{project.pk}/updates/", update)
    assert posted.status_code == 201, posted.json()
    assert {k: posted.json()[k] for k in ("date", "progress_percent", "note", "author")} == {
        "date": "2026-02-01", "progress_percent": 40, "note": "Pilot live",
        "author": world["owner"].username,
    }  # fmt: skip
    milestone = owner.post(f"{URL}{project.pk}/milestones/",
                           {"title": "Pilot", "due_date": "2026-03-01"})  # fmt: skip
    assert milestone.status_code == 201, milestone.json()
    assert set(milestone.json()) == {"id", "title", "due_date", "done_on"}
    mid = milestone.json()["id"]
    done = owner.patch(f"{URL}{project.pk}/milestones/{mid}/", {"done_on": "2026-02-27"})
    assert (done.status_code, done.json()["done_on"]) == (200, "2026-02-27")
    listed = client_for(world["hr"]).get(f"{URL}{project.pk}/milestones/").json()
    assert [m["title"] for m in listed["results"]] == ["Pilot"]
    assert client_for(world["hr"]).get(f"{URL}{project.pk}/").json()["progress_percent"] == 40
    assert owner.delete(f"{URL}{project.pk}/milestones/{mid}/").status_code == 204
    assert not Milestone.objects.exists()
    assert owner.get(f"{URL}999999/updates/").status_code == 404


def test_links_given_on_update_replace_the_list(world, project):
    owner = client_for(world["owner"])
    response = owner.patch(
        f"{URL}{project.pk}/",
        {"kpi_links": [{"kpi": "delivery.late_rate", "goal": "4"},
                       {"kpi": world["kpi"].pk, "department": "LOG", "goal": "6",
                        "baseline": "13"}]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    links = sorted(response.json()["kpi_links"], key=lambda link: link["department"] or "")
    assert [(x["department"], x["goal"], x["baseline"], x["baseline_period"]) for x in links] == [
        (None, "4", "11", "2025-12"),
        ("LOG", "6", "13", ""),
    ]
    # Without kpi_links the links stay.
    owner.patch(f"{URL}{project.pk}/", {"title": "Refunds in 2 days"}, format="json")
    assert project.kpi_links.count() == 2


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"due_date": "2026-01-01"}, "due_date", "due_before_start"),
        ({"kpi_links": [{"kpi": "no.such_kpi", "goal": "5"}]}, "kpi_links[0].kpi",
         "does_not_exist"),
        ({"kpi_links": [{"kpi": "delivery.late_rate", "department": "NOPE", "goal": "5"}]},
         "kpi_links[0].department", "does_not_exist"),
        ({"kpi_links": [{"kpi": "delivery.late_rate"}]}, "kpi_links[0].goal", "required"),
        ({"kpi_links": [{"kpi": "delivery.late_rate", "goal": "5"},
                        {"kpi": "delivery.late_rate", "goal": "4"}]}, "kpi_links",
         "duplicate_link"),
        ({"departments": ["LOG", "NOPE"]}, "departments", "does_not_exist"),
        ({"sponsor": "E-OTHER"}, "sponsor", "sponsor_not_executive"),
        ({"sponsor": "E-404"}, "sponsor", "does_not_exist"),
        ({"priority": "urgent"}, "priority", "invalid_choice"),
        ({"start_date": "2026-02-30"}, "start_date", "invalid"),
    ],
)  # fmt: skip
def test_bad_input_is_400_naming_the_field_and_rule(world, overrides, field, code):
    response = client_for(world["owner"]).post(URL, new_project(**overrides), format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert (body["field"], body["code"]) == (field, code)
    assert body["detail"].startswith(f"{field}: ")
    assert not Project.objects.exists()


def test_a_duplicate_code_is_400(world, project):
    response = client_for(world["owner"]).post(URL, new_project(), format="json")
    assert (response.status_code, response.json()["field"]) == (400, "code")


def test_naming_someone_else_as_owner_is_403_for_non_administrators(world):
    response = client_for(world["owner"]).post(URL, new_project(owner="E-OTHER"), format="json")
    assert (response.status_code, response.json()["code"]) == (403, "not_owner")
    made = client_for(world["admin"]).post(URL, new_project(owner="E-OTHER"), format="json")
    assert (made.status_code, made.json()["owner"]) == (201, "E-OTHER")


def test_the_sponsor_cannot_be_the_owner(world):
    user, _ = person(roles.EXECUTIVE, executive=True, employee_number="E-EXEC")
    response = client_for(user).post(URL, new_project(sponsor="E-EXEC"), format="json")
    assert (response.status_code, response.json()["field"]) == (400, "sponsor")
    assert response.json()["code"] == "sponsor_is_owner"


def test_a_reversed_date_on_update_is_400(world, project):
    response = client_for(world["owner"]).patch(
        f"{URL}{project.pk}/",
        {"start_date": (DUE + dt.timedelta(days=1)).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("due_date", "due_before_start")


@pytest.mark.parametrize(("percent", "code"), [(101, "max_value"), (-1, "min_value")])
def test_percent_complete_outside_0_to_100_is_400(world, project, percent, code):
    response = client_for(world["owner"]).post(
        f"{URL}{project.pk}/updates/", {"progress_percent": percent}
    )
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("progress_percent", code)
    assert not Update.objects.exists()


def test_transitions_refused_with_the_right_status(world, project):
    owner, sponsor = client_for(world["owner"]), client_for(world["sponsor"])
    url = f"{URL}{project.pk}/transition/"
    unknown = owner.post(url, {"to": "done"})
    assert (unknown.status_code, unknown.json()["field"], unknown.json()["code"]) == (
        400, "to", "invalid_choice",
    )  # fmt: skip
    illegal = owner.post(url, {"to": "completed"})
    assert (illegal.status_code, illegal.json()["code"]) == (409, "illegal_transition")
    assert "“Approved”, “Cancelled”" in illegal.json()["detail"]
    own_approval = owner.post(url, {"to": "approved"})
    assert (own_approval.status_code, own_approval.json()["code"]) == (403, "not_sponsor")
    assert sponsor.post(url, {}).json()["field"] == "to"
    approved = sponsor.post(url, {"to": "approved"})
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    assert approved.json()["allowed_transitions"] == []  # the rest is the owner's
    started = owner.post(url, {"to": "in_progress"}).json()
    assert (started["status"], started["allowed_transitions"]) == (
        "in_progress", ["on_hold", "completed", "cancelled"],
    )  # fmt: skip
    completed = owner.post(url, {"to": "completed"}).json()
    assert completed["completed_on"] == TODAY.isoformat()
    assert sponsor.post(url, {"to": "verified"}).json()["status"] == "verified"
    closed = client_for(world["admin"]).patch(f"{URL}{project.pk}/", {"title": "x"})
    assert (closed.status_code, closed.json()["code"]) == (409, "project_closed")


# --- the object rules, person by person ----------------------------------------------------------

# who → (read, edit, make the next owner move / sponsor move, add an update)
MATRIX = {
    "owner": (200, 200, 200, 201),
    "other": (200, 403, 403, 403),
    "sponsor": (200, 403, 200, 403),
    "hr": (200, 403, 403, 403),
    "admin": (200, 200, 200, 201),
}


@pytest.mark.parametrize("who", list(MATRIX))
def test_object_rules(world, who):
    read, edit, move, update = MATRIX[who]
    # The sponsor's move from proposed, the owner's from approved: each person tries theirs.
    status = Status.PROPOSED if who == "sponsor" else Status.APPROVED
    to = "approved" if who == "sponsor" else "in_progress"
    project = ProjectFactory(status=status, owner=world["owner_employee"],
                             sponsor=world["sponsor_employee"])  # fmt: skip
    client = client_for(world[who])
    assert client.get(f"{URL}{project.pk}/").status_code == read
    assert client.get(URL).json()["count"] == 1
    edited = client.patch(f"{URL}{project.pk}/", {"title": "Renamed"})
    assert edited.status_code == edit
    assert (Project.objects.get().title == "Renamed") is (edit == 200)
    moved = client.post(f"{URL}{project.pk}/transition/", {"to": to})
    assert moved.status_code == move, moved.json()
    assert (Project.objects.get().status == to) is (move == 200)
    added = client.post(f"{URL}{project.pk}/updates/", {"progress_percent": 20})
    assert added.status_code == update
    assert Update.objects.count() == (1 if update == 201 else 0)
    if update == 201:
        assert Update.objects.get().author == world[who]
    deleted = client.delete(f"{URL}{project.pk}/milestones/0/")
    assert deleted.status_code in (403, 404)
    for response in (edited, moved, added):
        if response.status_code == 403:
            assert {"detail", "field", "code"} <= set(response.json())


def test_non_owners_cannot_change_or_delete_milestones_or_the_project(world, project):
    milestone = Milestone.objects.create(project=project, title="Pilot", due_date=TODAY)
    other = client_for(world["other"])
    url = f"{URL}{project.pk}/milestones/{milestone.pk}/"
    assert other.patch(url, {"title": "Mine"}).status_code == 403
    assert other.delete(url).status_code == 403
    assert other.post(f"{URL}{project.pk}/milestones/",
                      {"title": "x", "due_date": "2026-05-01"}).status_code == 403  # fmt: skip
    assert other.delete(f"{URL}{project.pk}/").status_code == 403
    assert Milestone.objects.get().title == "Pilot"
    assert client_for(world["owner"]).delete(f"{URL}{project.pk}/").status_code == 204
    assert not Project.objects.exists()


def test_anonymous_is_401():
    assert APIClient().get(URL).status_code == 401


# --- filters -----------------------------------------------------------------------------------


def test_filters_and_search(world):
    yesterday = TODAY - dt.timedelta(days=1)
    start = TODAY - dt.timedelta(days=90)
    mine = ProjectFactory(code="MINE-1", title="Refund speed", owner=world["owner_employee"],
                          status=Status.IN_PROGRESS, priority="high", start_date=start,
                          due_date=yesterday)  # fmt: skip
    mine.departments.add(world["logistics"])
    theirs = ProjectFactory(code="THEIRS-1", title="Chat wait", owner=world["other_employee"],
                            start_date=start, due_date=TODAY + dt.timedelta(days=5))  # fmt: skip
    done = ProjectFactory(code="DONE-1", title="Old", status=Status.COMPLETED, start_date=start,
                          due_date=yesterday)  # fmt: skip
    client = client_for(world["owner"])

    def codes(query):
        response = client.get(URL + query)
        assert response.status_code == 200, response.json()
        return [p["code"] for p in response.json()["results"]]

    assert codes("?mine=true") == ["MINE-1"]
    assert sorted(codes("?mine=false")) == ["DONE-1", "THEIRS-1"]
    assert codes("?overdue=true") == ["MINE-1"]
    assert sorted(codes("?overdue=false")) == ["DONE-1", "THEIRS-1"]
    assert codes("?status=completed") == ["DONE-1"]
    assert codes("?owner=E-OTHER") == ["THEIRS-1"]
    assert codes("?priority=high") == ["MINE-1"]
    assert codes("?department=LOG") == ["MINE-1"]
    assert codes("?search=chat") == ["THEIRS-1"]
    assert codes("?ordering=-code") == ["THEIRS-1", "MINE-1", "DONE-1"]
    assert client.get(URL + "?status=nope").status_code == 400
    assert {theirs.code, done.code} <= set(codes(""))


# --- query counts ------------------------------------------------------------------------------


def _projects(n: int, world) -> None:
    kpis = [KPIFactory(frequency="month"), KPIFactory(frequency="week")]
    departments = [DepartmentFactory(), DepartmentFactory()]
    KPIResultFactory(kpi=kpis[0], period="2026-10", value=D(85))
    for department in departments:
        KPIResultFactory(kpi=kpis[1], department=department, period="2026-W40", value=D(85))
    for i in range(n):
        owner = EmployeeFactory()
        project = ProjectFactory(owner=owner, sponsor=world["sponsor_employee"])
        project.departments.set(departments)
        for kpi, department in zip(kpis, [None, departments[i % 2]], strict=True):
            project.kpi_links.create(kpi=kpi, department=department, goal=D(90), baseline=D(80))
        UpdateFactory(project=project, progress_percent=10)
        UpdateFactory(project=project, progress_percent=20 + i % 50, date=dt.date(2026, 3, 1))


def test_the_list_costs_the_same_queries_for_3_and_30_projects(
    world, django_assert_max_num_queries
):
    client = client_for(world["sponsor"])
    client.get(URL)  # permissions cached on the user, like every later request of a session
    counts = []
    for n in (3, 27):
        _projects(n, world)
        with django_assert_max_num_queries(7) as captured:
            response = client.get(URL + "?page_size=100")
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == len(body["results"])
        assert all(p["progress_percent"] is not None for p in body["results"])
        assert all(link["current"] == "85" for p in body["results"] for link in p["kpi_links"])
        counts.append(len(captured))
    print("bpi list queries (3, 30 projects):", counts)
    assert counts[0] == counts[1], counts
    assert body["count"] == 30
