"""The project owner's workplace in the admin: the list, the object rules (read-only for
others), saving through the services (refusals on the form), status buttons, the dashboard."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from apps.bpi.models import KPILink, Project, Status, Update
from apps.departments import roles
from tests.bpi.factories import ProjectFactory, UpdateFactory, owner_person, person, sponsor_person
from tests.factories import DepartmentFactory, EmployeeFactory, KPIFactory, KPIResultFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LIST = "/admin/bpi/project/"


@pytest.fixture
def world():
    owner_user, owner = owner_person(employee_number="E-OWNER")
    sponsor_user, sponsor = sponsor_person(employee_number="E-SPONSOR")
    other_user, _ = owner_person()
    return {"owner": owner_user, "sponsor": sponsor_user, "other": other_user,
            "owner_employee": owner, "sponsor_employee": sponsor}  # fmt: skip


def change_url(project) -> str:
    return f"{LIST}{project.pk}/change/"


def inline_management(links=0, updates=0, milestones=0, initial=(0, 0, 0)) -> dict:
    data = {}
    for prefix, total, start in (("kpi_links", links, initial[0]),
                                 ("updates", updates, initial[1]),
                                 ("milestones", milestones, initial[2])):  # fmt: skip
        data[f"{prefix}-TOTAL_FORMS"] = str(total)
        data[f"{prefix}-INITIAL_FORMS"] = str(start)
    return data


def project_form(**overrides) -> dict:
    return {
        "code": "BPI-CHAT", "title": "Shorter chat waits", "problem": "Chats wait 6 minutes.",
        "root_cause": "", "sponsor": "", "priority": "medium", "start_date": "2026-01-05",
        "due_date": (TODAY + dt.timedelta(days=90)).isoformat(),
        **inline_management(), **overrides,
    }  # fmt: skip


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_changelist_shows_status_overdue_and_progress_in_constant_queries(
    client, world, django_assert_max_num_queries
):
    client.force_login(world["owner"])
    client.get(LIST)
    counts = []
    for n in (3, 27):
        for _ in range(n):
            project = ProjectFactory(owner=EmployeeFactory(), due_date=TODAY - dt.timedelta(days=1),
                                     start_date=TODAY - dt.timedelta(days=30))  # fmt: skip
            project.departments.add(DepartmentFactory())
            UpdateFactory(project=project, progress_percent=42)
            project.kpi_links.create(kpi=KPIFactory(), goal=D(90))
        with django_assert_max_num_queries(20) as captured:
            response = client.get(LIST)
        assert response.status_code == 200
        counts.append(len(captured))
    print("bpi changelist queries (3, 30 projects):", counts)
    assert counts[0] == counts[1], counts
    page = response.content.decode()
    assert page.count('title="42%"') == 30
    assert page.count('class="cx-overdue"') >= 30  # the overdue flags


def test_my_projects_and_overdue_filters(client, world):
    client.force_login(world["owner"])
    ProjectFactory(code="MINE-1", owner=world["owner_employee"],
                   due_date=TODAY + dt.timedelta(days=9))  # fmt: skip
    ProjectFactory(code="LATE-1", start_date=TODAY - dt.timedelta(days=9),
                   due_date=TODAY - dt.timedelta(days=1))  # fmt: skip
    mine = client.get(LIST + "?mine=yes").content.decode()
    assert "MINE-1" in mine
    assert "LATE-1" not in mine
    late = client.get(LIST + "?overdue=yes").content.decode()
    assert "LATE-1" in late
    assert "MINE-1" not in late


def test_a_non_owner_sees_the_project_read_only(client, world):
    project = ProjectFactory(owner=world["owner_employee"], title="Owner's title")
    client.force_login(world["other"])
    page = client.get(change_url(project))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Owner&#x27;s title" in html
    assert 'name="title"' not in html
    assert 'name="_save"' not in html
    refused = client.post(change_url(project), project_form(title="Taken over"))
    assert refused.status_code == 403
    assert Project.objects.get().title == "Owner's title"
    assert client.post(f"{LIST}{project.pk}/delete/", {"post": "yes"}).status_code == 403
    client.force_login(world["owner"])
    assert 'name="title"' in client.get(change_url(project)).content.decode()


def test_hr_reads_but_does_not_change(client, world):
    hr, _ = person(roles.HR)
    project = ProjectFactory(owner=world["owner_employee"])
    client.force_login(hr)
    assert client.get(LIST).status_code == 200
    html = client.get(change_url(project)).content.decode()
    assert 'name="title"' not in html
    assert client.get(f"{LIST}add/").status_code == 403


def test_a_non_administrator_creates_a_project_of_their_own(client, world):
    client.force_login(world["owner"])
    form = client.get(f"{LIST}add/").content.decode()
    assert 'name="owner"' not in form
    kpi = KPIFactory(code="chat.wait_minutes", frequency="month", aggregation="mean")
    KPIResultFactory(kpi=kpi, period="2025-12", value=D("6.2"))
    data = project_form(
        sponsor=world["sponsor_employee"].pk,
        **inline_management(links=1, milestones=1),
        **{"kpi_links-0-kpi": kpi.pk, "kpi_links-0-goal": "3",
           "milestones-0-title": "New routing", "milestones-0-due_date": "2026-03-01"},
    )  # fmt: skip
    response = client.post(f"{LIST}add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    project = Project.objects.get()
    assert (project.owner, project.status) == (world["owner_employee"], Status.PROPOSED)
    link = project.kpi_links.get()
    assert (link.baseline, link.baseline_period) == (D("6.2"), "2025-12")
    assert project.milestones.get().title == "New routing"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"due_date": "2025-12-01"}, "The due date cannot be before the start date."),
        ({"sponsor": "owner"}, "The sponsor must be someone other than the owner."),
        ({"sponsor": "plain"}, "The sponsor must be an executive."),
    ],
)
def test_service_refusals_are_shown_on_the_form(client, overrides, message):
    user, me = person(roles.EXECUTIVE, executive=True)
    client.force_login(user)
    sponsors = {"owner": me.pk, "plain": EmployeeFactory(is_executive=False).pk}
    if "sponsor" in overrides:
        overrides = {"sponsor": sponsors[overrides["sponsor"]]}
    response = client.post(f"{LIST}add/", project_form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Project.objects.exists()


def test_duplicate_kpi_links_are_refused_on_the_form(client, world):
    client.force_login(world["owner"])
    kpi = KPIFactory(code="chat.wait_minutes")
    data = project_form(
        **inline_management(links=2),
        **{"kpi_links-0-kpi": kpi.pk, "kpi_links-0-goal": "3",
           "kpi_links-1-kpi": kpi.pk, "kpi_links-1-goal": "2"},
    )  # fmt: skip
    response = client.post(f"{LIST}add/", data)
    assert response.status_code == 200
    assert "is linked twice" in response.content.decode()
    assert not Project.objects.exists()


def test_the_owner_adds_an_update_and_old_ones_stay_read_only(client, world):
    project = ProjectFactory(owner=world["owner_employee"], status=Status.IN_PROGRESS,
                             due_date=TODAY + dt.timedelta(days=30))  # fmt: skip
    old = UpdateFactory(project=project, progress_percent=10, note="Kick-off")
    client.force_login(world["owner"])
    page = client.get(change_url(project)).content.decode()
    assert 'name="updates-0-progress_percent"' not in page  # the old update is not editable
    assert "Kick-off" in page
    data = project_form(
        code=project.code, title=project.title, problem=project.problem,
        start_date=project.start_date.isoformat(), due_date=project.due_date.isoformat(),
        **inline_management(updates=2, initial=(0, 1, 0)),
        **{"updates-0-id": old.pk, "updates-0-project": project.pk,
           "updates-1-date": "2026-03-01", "updates-1-progress_percent": "55",
           "updates-1-note": "Half way"},
    )  # fmt: skip
    response = client.post(change_url(project), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    new = Update.objects.exclude(pk=old.pk).get()
    assert (new.progress_percent, new.author) == (55, world["owner"])
    assert Update.objects.get(pk=old.pk).progress_percent == 10
    assert 'title="55%"' in client.get(LIST).content.decode()


def test_the_change_page_shows_current_values_and_a_trend_per_kpi(client, world):
    kpi = KPIFactory(code="chat.wait_minutes", frequency="month", aggregation="mean")
    this_month = TODAY.replace(day=1)
    last = (this_month - dt.timedelta(days=1)).strftime("%Y-%m")
    before = (this_month - dt.timedelta(days=40)).strftime("%Y-%m")
    KPIResultFactory(kpi=kpi, period=before, value=D("6"))
    KPIResultFactory(kpi=kpi, period=last, value=D("4.5"))
    project = ProjectFactory(owner=world["owner_employee"])
    KPILink.objects.create(project=project, kpi=kpi, baseline=D(7), goal=D(3))
    client.force_login(world["other"])  # read-only pages show them too
    html = client.get(change_url(project)).content.decode()
    assert f"4.5% ({last})" in html  # in the KPI's unit (percent) and decimals (1)
    assert "7.0%" in html  # the baseline, given by hand
    assert html.count('<svg class="sparkline"') == 1
    assert "chat.wait_minutes" in html


def test_status_buttons_move_the_project_and_refusals_become_messages(client, world):
    project = ProjectFactory(owner=world["owner_employee"], sponsor=world["sponsor_employee"])
    url = f"{LIST}{project.pk}/transition/"
    client.force_login(world["sponsor"])
    page = client.get(change_url(project)).content.decode()
    assert 'value="approved"' in page
    assert 'value="cancelled"' not in page  # the owner's move, not the sponsor's
    response = client.post(url, {"to": "approved"}, follow=True)
    assert response.status_code == 200
    assert Project.objects.get().status == Status.APPROVED
    assert any("is now Approved" in m for m in messages_of(response))

    client.force_login(world["owner"])
    illegal = client.post(url, {"to": "verified"}, follow=True)
    assert illegal.status_code == 200
    assert any("allowed next: “In progress”, “Cancelled”" in m for m in messages_of(illegal))
    wrong_person = client.post(url, {"to": "in_progress"})
    assert wrong_person.status_code == 302
    assert Project.objects.get().status == Status.IN_PROGRESS  # the owner's own move worked
    client.force_login(world["other"])
    refused = client.post(url, {"to": "on_hold"}, follow=True)
    assert any("Only the owner" in m for m in messages_of(refused))
    nonsense = client.post(url, {"to": "done"}, follow=True)
    assert any("Unknown status" in m for m in messages_of(nonsense))
    assert Project.objects.get().status == Status.IN_PROGRESS
    assert client.get(url).status_code == 405


def test_the_dashboard_lists_overdue_projects(client, world):
    ProjectFactory(code="LATE-1", title="Late one", owner=world["owner_employee"],
                   start_date=TODAY - dt.timedelta(days=9),
                   due_date=TODAY - dt.timedelta(days=1))  # fmt: skip
    ProjectFactory(code="FINE-1", due_date=TODAY + dt.timedelta(days=9))
    client.force_login(world["other"])
    html = client.get("/admin/").content.decode()
    panel = html[html.index('id="overdue-projects-panel"') :]
    panel = panel[: panel.index("</div>")]
    assert "LATE-1" in panel
    assert "Late one" in panel
    assert world["owner_employee"].full_name in panel
    assert "FINE-1" not in panel


def test_the_change_page_costs_at_most_one_query_per_kpi_link(
    client, world, django_assert_max_num_queries
):
    project = ProjectFactory(owner=world["owner_employee"])
    client.force_login(world["owner"])
    client.get(change_url(project))
    counts = []
    for n in (1, 7):
        for _ in range(n):
            kpi = KPIFactory(frequency="week")
            KPIResultFactory(kpi=kpi, period="2026-W40", value=D(5))
            KPILink.objects.create(project=project, kpi=kpi, goal=D(3))
        with django_assert_max_num_queries(40) as captured:
            html = client.get(change_url(project)).content.decode()
        assert html.count('<svg class="sparkline"') == project.kpi_links.count()
        counts.append(len(captured))
    print("bpi change page queries (1, 8 links):", counts)
    # Current values and trends: a fixed number for all links; the KPI picker of each row
    # (Django's autocomplete widget) reads its selected KPI.
    assert counts[1] - counts[0] <= 7, counts
