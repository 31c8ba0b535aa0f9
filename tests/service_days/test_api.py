"""The days-of-service API: who may do what to whose day, refusals with field and code, the
compliance report and a list whose query count does not grow with the days."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from apps.bpi.models import Project
from apps.departments import roles
from apps.feedback.models import Category, Feedback
from apps.service_days.models import Finding, ServiceDay
from tests.factories import DepartmentFactory, EmployeeFactory, KPIFactory, UserFactory

from .factories import ExecutiveFactory, FindingFactory, QuotaFactory, ServiceDayFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/service-days/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def world():
    DepartmentFactory(code="CS")
    KPIFactory(code="service.csat")
    me = ExecutiveFactory(employee_number="X-ME", full_name="Mei Lin")
    other = ExecutiveFactory(employee_number="X-OTHER", full_name="Omar Haddad")
    mine = ServiceDayFactory(executive=me, date=dt.date(2026, 10, 5))
    theirs = ServiceDayFactory(executive=other, date=dt.date(2026, 10, 6))
    FindingFactory(service_day=mine)
    FindingFactory(service_day=theirs)
    return {
        "me": client_for(me.user),
        "hr": client_for(UserFactory(roles=[roles.HR])),
        "admin": client_for(UserFactory(is_superuser=True)),
        "employee": client_for(UserFactory(roles=[roles.EMPLOYEE])),
        "mine": mine,
        "theirs": theirs,
    }


def new_day(**changes):
    return {"date": "2026-11-02", "department": "CS", "role_played": "hotline agent",
            "hours": "7.5", "customers_served": 41, "summary": "Long waits for refunds.",
            **changes}  # fmt: skip


# (who acts, on whose day, succeeds?)
ACTORS = [("me", "mine", True), ("me", "theirs", False), ("hr", "mine", False),
          ("admin", "theirs", True)]  # fmt: skip


def _do(client, operation, day):
    finding = day.findings.first()
    base = f"{URL}{day.pk}/"
    return {
        "read": lambda: client.get(base),
        "edit": lambda: client.patch(base, {"hours": "3"}, format="json"),
        "delete": lambda: client.delete(base),
        "add finding": lambda: client.post(
            f"{base}findings/", {"description": "Refund form times out"}, format="json"
        ),
        "edit finding": lambda: client.patch(
            f"{base}findings/{finding.pk}/", {"severity": "critical"}, format="json"
        ),
        "delete finding": lambda: client.delete(f"{base}findings/{finding.pk}/"),
        "follow-up": lambda: client.post(
            f"{base}findings/{finding.pk}/follow-up/", {"to": "bpi_project"}, format="json"
        ),
    }[operation]()


SUCCESS = {"read": 200, "edit": 200, "delete": 204, "add finding": 201, "edit finding": 200,
           "delete finding": 204, "follow-up": 201}  # fmt: skip


@pytest.mark.parametrize("operation", list(SUCCESS))
@pytest.mark.parametrize(("actor", "target", "allowed"), ACTORS)
def test_object_rules(world, actor, target, allowed, operation):
    day = world[target]
    before = (ServiceDay.objects.count(), Finding.objects.count(), Project.objects.count())

    response = _do(world[actor], operation, day)

    if allowed or operation == "read":  # everyone with access reads every day
        assert response.status_code == SUCCESS[operation], response.content
    else:
        assert response.status_code == 403, response.content
        assert response.json()["code"] in ("not_own_day", "permission_denied")
        after = (ServiceDay.objects.count(), Finding.objects.count(), Project.objects.count())
        assert after == before
        day.refresh_from_db()
        assert day.hours == 8


def test_effects_of_allowed_writes(world):
    me, day = world["me"], world["mine"]
    finding = day.findings.get()
    assert me.patch(f"{URL}{day.pk}/", {"hours": "3"}, format="json").json()["hours"] == "3"
    edited = me.patch(
        f"{URL}{day.pk}/findings/{finding.pk}/", {"severity": "critical", "kpi": "service.csat"},
        format="json",
    ).json()  # fmt: skip
    assert (edited["severity"], edited["kpi"]) == ("critical", "service.csat")
    added = me.post(f"{URL}{day.pk}/findings/", {"description": "Refund form times out"},
                    format="json").json()  # fmt: skip
    assert Finding.objects.get(pk=added["id"]).service_day == day
    assert me.delete(f"{URL}{day.pk}/findings/{finding.pk}/").status_code == 204
    assert list(day.findings.values_list("description", flat=True)) == ["Refund form times out"]


@pytest.mark.parametrize(
    ("actor", "executive", "status"),
    [("me", None, 201), ("me", "X-ME", 201), ("me", "X-OTHER", 403), ("hr", None, 403),
     ("admin", "X-OTHER", 201), ("employee", None, 403)],
)  # fmt: skip
def test_create_rules(world, actor, executive, status):
    finding = {"description": "Agents cannot see the courier's notes", "severity": "high",
               "department": "CS", "kpi": "service.csat"}  # fmt: skip
    body = new_day(findings=[finding])
    if executive:
        body["executive"] = executive

    response = world[actor].post(URL, body, format="json")

    assert response.status_code == status, response.content
    if status == 201:
        created = response.json()
        assert created["executive"] == (executive or "X-ME")
        assert (created["hours"], created["department"]) == ("7.5", "CS")
        assert created["findings"] == [
            {"id": created["findings"][0]["id"], "description":
             "Agents cannot see the courier's notes", "category": None, "severity": "high",
             "department": "CS", "kpi": "service.csat", "follow_up_type": "none",
             "feedback": None, "bpi_project": None}
        ]  # fmt: skip
    else:
        assert not ServiceDay.objects.filter(date=dt.date(2026, 11, 2)).exists()


def test_everyone_with_access_reads_all_days_and_others_are_refused(world):
    for actor in ("me", "hr", "admin"):
        response = world[actor].get(URL)
        assert response.status_code == 200
        assert {row["executive"] for row in response.json()["results"]} == {"X-ME", "X-OTHER"}
    refused = world["employee"].get(URL)
    assert refused.status_code == 403
    assert world["employee"].get(f"{URL}compliance/?period=2026-Q4").status_code == 403
    assert APIClient().get(URL).status_code == 401


def test_filters(world):
    me = world["me"]
    ServiceDayFactory(executive=world["theirs"].executive, date=dt.date(2026, 7, 1))

    def numbers(query):
        response = me.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return sorted((row["executive"], row["date"]) for row in response.json()["results"])

    assert numbers("mine=true") == [("X-ME", "2026-10-05")]
    assert numbers("executive=X-OTHER") == [("X-OTHER", "2026-07-01"), ("X-OTHER", "2026-10-06")]
    assert numbers(f"executive={world['mine'].executive.pk}") == [("X-ME", "2026-10-05")]
    assert numbers("period=2026-Q3") == [("X-OTHER", "2026-07-01")]
    assert numbers("date_after=2026-10-06&date_before=2026-10-31") == [("X-OTHER", "2026-10-06")]
    assert numbers(f"department={world['mine'].department.code}") == [("X-ME", "2026-10-05")]
    bad = me.get(f"{URL}?period=2026-Q9")
    assert (bad.status_code, bad.json()["field"], bad.json()["code"]) == (
        400, "period", "invalid_period",
    )  # fmt: skip
    bad_date = me.get(f"{URL}?date_after=soon")
    assert (bad_date.status_code, bad_date.json()["field"]) == (400, "date_after")


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"hours": "25"}, "hours", "max_value"),
        ({"hours": "-1"}, "hours", "min_value"),
        ({"hours": "0"}, "hours", "min_value"),
        ({"hours": "lots"}, "hours", "invalid"),
        ({"department": "NOPE"}, "department", "does_not_exist"),
        ({"date": "2026-13-01"}, "date", "invalid"),
        ({"role_played": ""}, "role_played", "blank"),
        ({"customers_served": -3}, "customers_served", "min_value"),
        ({"findings": [{"description": "x", "kpi": "no.such"}]}, "findings[0].kpi",
         "does_not_exist"),
        ({"findings": [{"description": "x", "severity": "urgent"}]}, "findings[0].severity",
         "invalid_choice"),
        ({"findings": [{"severity": "low"}]}, "findings[0].description", "required"),
        ({"date": "2026-10-05"}, "date", "duplicate_day"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_field_and_code(world, changes, field, code):
    response = world["me"].post(URL, new_day(**changes), format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["field"], body["code"]) == (field, code), body
    assert body["detail"].startswith(f"{field}: ")
    assert ServiceDay.objects.count() == 2


def test_bad_edits_are_refused(world):
    me, admin, day = world["me"], world["admin"], world["mine"]
    later = ServiceDayFactory(executive=world["theirs"].executive, date=dt.date(2026, 10, 7))
    cases = [
        (me.patch(f"{URL}{day.pk}/", {"hours": "24.5"}, format="json"), "hours", "max_value"),
        (me.patch(f"{URL}{day.pk}/", {"findings": []}, format="json"), "findings", "read_only"),
        (admin.patch(f"{URL}{day.pk}/", {"executive": "X-OTHER"}, format="json"), "executive",
         "executive_fixed"),
        (admin.patch(f"{URL}{later.pk}/", {"date": "2026-10-06"}, format="json"), "date",
         "duplicate_day"),
        (admin.post(URL, new_day(executive=EmployeeFactory(employee_number="E-9").employee_number),
                    format="json"), "executive", "not_executive"),
        (admin.post(URL, new_day(), format="json"), "executive", "required"),
        (me.post(f"{URL}{day.pk}/findings/", {"description": "x", "department": "NOPE"},
                 format="json"), "department", "does_not_exist"),
        (me.post(f"{URL}{day.pk}/findings/{day.findings.get().pk}/follow-up/",
                 {"to": "survey"}, format="json"), "to", "invalid_choice"),
        (me.post(f"{URL}{day.pk}/findings/{day.findings.get().pk}/follow-up/",
                 {"code": "bad code!"}, format="json"), "code", "invalid_code"),
    ]  # fmt: skip
    for response, field, code in cases:
        assert response.status_code == 400, response.content
        assert (response.json()["field"], response.json()["code"]) == (field, code)
    day.refresh_from_db()
    assert (day.hours, day.date) == (8, dt.date(2026, 10, 5))
    assert not Project.objects.exists()


def test_follow_up_through_the_api(world):
    me, day = world["me"], world["mine"]
    finding = day.findings.get()
    url = f"{URL}{day.pk}/findings/{finding.pk}/follow-up/"

    created = me.post(url, {"to": "bpi_project", "code": "CX-77", "title": "Refunds"},
                      format="json")  # fmt: skip

    assert created.status_code == 201, created.content
    assert (created.json()["follow_up_type"], created.json()["bpi_project"]) == (
        "bpi_project", "CX-77",
    )  # fmt: skip
    project = Project.objects.get(code="CX-77")
    assert (project.title, project.status, list(project.findings.all())) == (
        "Refunds", "proposed", [finding],
    )  # fmt: skip
    again = me.post(url, {"to": "bpi_project"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_followed_up")
    assert me.get(f"{URL}{day.pk}/").json()["findings"][0]["bpi_project"] == "CX-77"
    kept = me.delete(f"{URL}{day.pk}/findings/{finding.pk}/")
    assert (kept.status_code, kept.json()["code"]) == (409, "followed_up")
    assert me.delete(f"{URL}{day.pk}/").status_code == 409
    assert me.get(f"{URL}{world['theirs'].pk}/findings/{finding.pk}/").status_code == 404


def test_a_finding_becomes_a_feedback_item_for_triage(world):
    """Follow-up to the voice of the customer: a new item of channel service_day, in the
    finding's category and department, linked both ways; once only."""
    me, day = world["me"], world["mine"]
    cs = DepartmentFactory(code="CS-VOC")
    category = Category.objects.create(code="rude_service", name="Rude service", department=cs)
    finding = day.findings.get()
    assert me.patch(f"{URL}{day.pk}/findings/{finding.pk}/", {"category": "rude_service"},
                    format="json").status_code == 200  # fmt: skip
    url = f"{URL}{day.pk}/findings/{finding.pk}/follow-up/"

    created = me.post(url, {"to": "feedback"}, format="json")

    assert created.status_code == 201, created.content
    item = Feedback.objects.get()
    assert created.json()["follow_up_type"] == "feedback"
    assert created.json()["feedback"] == item.pk
    assert (item.channel, item.status, item.category, item.department) == (
        "service_day", "new", category, cs,
    )  # fmt: skip
    assert item.text == finding.description
    assert list(item.findings.all()) == [finding]
    again = me.post(url, {"to": "bpi_project"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_followed_up")
    assert Feedback.objects.count() == 1
    unknown = me.patch(f"{URL}{day.pk}/findings/{finding.pk}/", {"category": "nope"},
                       format="json")  # fmt: skip
    assert (unknown.status_code, unknown.json()["field"]) == (400, "category")


def test_compliance_report(world):
    QuotaFactory(executive=None, days_per_quarter=2)
    me, other = world["mine"].executive, world["theirs"].executive
    ServiceDayFactory(executive=me, date=dt.date(2026, 7, 1))
    ServiceDayFactory(executive=me, date=dt.date(2026, 9, 30))
    ServiceDayFactory(executive=other, date=dt.date(2026, 8, 14))

    response = world["hr"].get(f"{URL}compliance/?period=2026-Q3")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "period": "2026-Q3",
        "rows": [
            {"executive": "X-ME", "full_name": "Mei Lin", "required": 2, "expected": 2,
             "done": 2, "last_date": "2026-09-30", "behind": False},
            {"executive": "X-OTHER", "full_name": "Omar Haddad", "required": 2, "expected": 2,
             "done": 1, "last_date": "2026-08-14", "behind": True},
        ],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "code"),
    [("", "required"), ("?period=", "required"), ("?period=Q4", "invalid_period"),
     ("?period=2026-11", "not_quarter"), ("?period=2026", "not_quarter")],
)  # fmt: skip
def test_compliance_needs_a_quarter(world, query, code):
    response = world["hr"].get(f"{URL}compliance/{query}")

    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("period", code)


def _days_with_findings(count):
    executive = ExecutiveFactory()
    kpi = KPIFactory()
    for n in range(count):
        day = ServiceDayFactory(executive=executive, date=dt.date(2026, 1, 1) + dt.timedelta(n))
        FindingFactory(service_day=day, kpi=kpi, department=day.department)
        FindingFactory(service_day=day)


@pytest.mark.parametrize("count", [3, 30])
def test_list_query_count_does_not_grow_with_the_days(count, django_assert_max_num_queries):
    _days_with_findings(count)
    client = client_for(UserFactory(roles=[roles.HR]))

    with django_assert_max_num_queries(5):
        response = client.get(URL)

    assert response.status_code == 200
    assert len(response.json()["results"]) == count
    assert sum(len(row["findings"]) for row in response.json()["results"]) == 2 * count
