"""Days of service in the admin: an executive's own days, read-only for others, HR reads all,
the compliance page and the dashboard panel, follow-ups as BPI projects."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from apps.bpi.models import Project
from apps.departments import roles
from apps.kpis.periods import Period, PeriodType
from apps.service_days.models import Finding, FollowUp, Quota, ServiceDay
from tests.factories import DepartmentFactory, EmployeeFactory, UserFactory

from .factories import ExecutiveFactory, FindingFactory, QuotaFactory, ServiceDayFactory

pytestmark = pytest.mark.django_db

DAYS = "/admin/service_days/serviceday/"


def day_form(department, findings=(), initial=(), **changes):
    """The add/change form of a day with its findings inline (``initial``: existing rows)."""
    data = {"date": "2026-11-02", "department": department.pk, "role_played": "picker",
            "hours": "6", "customers_served": "0", "summary": "",
            "findings-TOTAL_FORMS": str(len(initial) + len(findings)),
            "findings-INITIAL_FORMS": str(len(initial)), **changes}  # fmt: skip
    rows = [*initial, *findings]
    for n, row in enumerate(rows):
        data |= {f"findings-{n}-{key}": value for key, value in row.items()}
        data.setdefault(f"findings-{n}-severity", "medium")
    return data


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def me(client):
    executive = ExecutiveFactory(employee_number="X-ME", full_name="Mei Lin")
    client.force_login(executive.user)
    return executive


def test_an_executives_add_form_has_no_executive_field_and_the_day_is_theirs(client, me):
    page = client.get(f"{DAYS}add/").content.decode()
    assert 'name="role_played"' in page
    assert 'name="executive"' not in page
    department = DepartmentFactory()

    response = client.post(
        f"{DAYS}add/",
        day_form(
            department, findings=[{"description": "Scanner dies by noon", "severity": "high"}]
        ),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    day = ServiceDay.objects.get()
    assert (day.executive, day.date, day.role_played) == (me, dt.date(2026, 11, 2), "picker")
    assert list(day.findings.values_list("description", "severity")) == [
        ("Scanner dies by noon", "high")
    ]


def test_refusals_are_shown_on_the_form(client, me):
    department = DepartmentFactory()
    ServiceDayFactory(executive=me, date=dt.date(2026, 11, 2))

    duplicate = client.post(f"{DAYS}add/", day_form(department))
    too_long = client.post(f"{DAYS}add/", day_form(department, date="2026-11-03", hours="25"))

    assert duplicate.status_code == too_long.status_code == 200
    assert "already logged a day of service on 2026-11-02" in duplicate.content.decode()
    assert "24" in too_long.content.decode()
    assert ServiceDay.objects.count() == 1


def test_an_executive_edits_their_own_day_and_findings(client, me):
    day = ServiceDayFactory(executive=me, date=dt.date(2026, 11, 2))
    kept, dropped = FindingFactory(service_day=day), FindingFactory(service_day=day)
    page = client.get(f"{DAYS}{day.pk}/change/").content.decode()
    assert 'name="executive"' not in page
    assert "Mei Lin" in page
    initial = [
        {"id": kept.pk, "service_day": day.pk, "description": "Scanner dies by 11:00"},
        {"id": dropped.pk, "service_day": day.pk, "description": dropped.description,
         "DELETE": "on"},
    ]  # fmt: skip

    response = client.post(
        f"{DAYS}{day.pk}/change/",
        day_form(day.department, initial=initial, findings=[{"description": "New one"}],
                 date="2026-11-02", hours="4"),
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:3000]
    day.refresh_from_db()
    assert day.hours == 4
    assert sorted(day.findings.values_list("description", flat=True)) == [
        "New one", "Scanner dies by 11:00",
    ]  # fmt: skip


def test_another_executives_day_is_read_only_for_me(client, me):
    theirs = ServiceDayFactory(executive=ExecutiveFactory(full_name="Omar Haddad"))
    FindingFactory(service_day=theirs, description="Labels smudge")
    url = f"{DAYS}{theirs.pk}/change/"

    page = client.get(url)

    assert page.status_code == 200
    html = page.content.decode()
    assert "Omar Haddad" in html
    assert "Labels smudge" in html
    assert 'name="role_played"' not in html
    assert 'name="_save"' not in html
    assert "Turn into BPI project" not in html
    refused = client.post(url, day_form(theirs.department, hours="1"))
    assert refused.status_code == 403
    assert client.post(f"{DAYS}{theirs.pk}/delete/", {"post": "yes"}).status_code == 403
    theirs.refresh_from_db()
    assert theirs.hours == 8


def test_hr_reads_every_day_and_changes_none(client):
    client.force_login(UserFactory(roles=[roles.HR]))
    days = [ServiceDayFactory(), ServiceDayFactory()]
    FindingFactory(service_day=days[0])

    listing = client.get(DAYS).content.decode()

    for day in days:
        assert day.executive.full_name in listing
    assert 'class="field-findings_count">1<' in listing
    page = client.get(f"{DAYS}{days[0].pk}/change/").content.decode()
    assert 'name="role_played"' not in page
    assert client.get(f"{DAYS}add/").status_code == 403


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_for_many_days(client, count, django_assert_max_num_queries):
    client.force_login(UserFactory(is_superuser=True))
    for _ in range(count):
        FindingFactory(service_day=ServiceDayFactory())
    client.get(DAYS)  # warm the session and permission caches
    with django_assert_max_num_queries(9):
        page = client.get(DAYS)
    assert page.content.decode().count('class="field-findings_count">1<') == count


def test_an_administrator_names_the_executive(client):
    client.force_login(UserFactory(is_superuser=True))
    executive = ExecutiveFactory()
    department = DepartmentFactory()
    assert 'name="executive"' in client.get(f"{DAYS}add/").content.decode()

    missing = client.post(f"{DAYS}add/", day_form(department))
    saved = client.post(f"{DAYS}add/", day_form(department, executive=executive.pk))

    assert missing.status_code == 200
    assert "Name the executive" in missing.content.decode()
    assert saved.status_code == 302
    assert ServiceDay.objects.get().executive == executive


def test_follow_up_button_on_the_day_creates_the_project(client, me):
    head = EmployeeFactory(full_name="Head of Delivery")
    delivery = DepartmentFactory(head=head)
    day = ServiceDayFactory(executive=me, date=dt.date(2026, 11, 2))
    finding = FindingFactory(service_day=day, department=delivery, description="No photos")
    url = f"{DAYS}{day.pk}/change/"
    assert "Turn into BPI project" in client.get(url).content.decode()
    initial = [{"id": finding.pk, "service_day": day.pk, "description": "No photos",
                "department": delivery.pk}]  # fmt: skip

    response = client.post(
        url,
        {**day_form(day.department, initial=initial, hours="8"), "_follow_up": str(finding.pk)},
    )

    assert response.status_code == 302
    finding.refresh_from_db()
    project = finding.bpi_project
    assert (finding.follow_up_type, project.owner, project.sponsor) == (
        FollowUp.BPI_PROJECT, head, me,
    )  # fmt: skip
    shown = client.get(url).content.decode()
    assert project.code in shown
    assert "Turn into BPI project" not in shown
    assert any(project.code in message for message in messages_of(response))


def test_follow_up_action_reports_the_project_and_refusals(client, me):
    mine = FindingFactory(service_day=ServiceDayFactory(executive=me))
    theirs = FindingFactory()

    response = client.post(
        "/admin/service_days/finding/",
        {"action": "follow_up", "_selected_action": [mine.pk, theirs.pk]},
        follow=True,
    )

    assert response.status_code == 200
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.bpi_project is not None
    assert theirs.bpi_project is None
    texts = messages_of(response)
    assert any(mine.bpi_project.code in text and "<a href=" in text for text in texts), texts
    assert any("Only" in text for text in texts), texts
    again = client.post(
        "/admin/service_days/finding/",
        {"action": "follow_up", "_selected_action": [mine.pk]},
        follow=True,
    )
    assert any("already followed up" in text for text in messages_of(again))
    assert Project.objects.count() == 1


def test_a_followed_up_finding_and_its_day_are_kept(client, me):
    day = ServiceDayFactory(executive=me, date=dt.date(2026, 11, 2))
    finding = FindingFactory(service_day=day)
    client.post(
        "/admin/service_days/finding/", {"action": "follow_up", "_selected_action": [finding.pk]}
    )
    initial = [{"id": finding.pk, "service_day": day.pk, "description": finding.description,
                "DELETE": "on"}]  # fmt: skip

    refused = client.post(f"{DAYS}{day.pk}/change/", day_form(day.department, initial=initial))
    deleted = client.post(f"{DAYS}{day.pk}/delete/", {"post": "yes"}, follow=True)

    assert refused.status_code == 200
    assert "was followed up" in refused.content.decode()
    alone = client.post(f"/admin/service_days/finding/{finding.pk}/delete/", {"post": "yes"},
                        follow=True)  # fmt: skip
    assert any("kept as their source" in text for text in messages_of(deleted))
    assert any("kept as the source" in text for text in messages_of(alone))
    assert Finding.objects.filter(pk=finding.pk).exists()


def test_an_executive_deletes_their_own_day_with_its_findings(client, me):
    day = ServiceDayFactory(executive=me)
    FindingFactory(service_day=day)

    response = client.post(f"{DAYS}{day.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not ServiceDay.objects.exists()
    assert not Finding.objects.exists()


def test_quota_admin_keeps_one_company_default(client):
    client.force_login(UserFactory(roles=[roles.HR]))
    executive = ExecutiveFactory()
    url = "/admin/service_days/quota/add/"

    assert client.post(url, {"executive": "", "days_per_quarter": "3"}).status_code == 302
    second = client.post(url, {"executive": "", "days_per_quarter": "5"})
    override = client.post(url, {"executive": executive.pk, "days_per_quarter": "1"})

    assert second.status_code == 200
    assert "already a quota" in second.content.decode()
    assert override.status_code == 302
    assert sorted(Quota.objects.values_list("executive", "days_per_quarter"), key=str) == sorted(
        [(None, 3), (executive.pk, 1)], key=str
    )
    assert "Company default" in client.get("/admin/service_days/quota/").content.decode()


def test_compliance_page_shows_each_executives_numbers(client):
    client.force_login(UserFactory(roles=[roles.HR]))
    QuotaFactory(executive=None, days_per_quarter=2)
    done = ExecutiveFactory(full_name="Done Dana")
    behind = ExecutiveFactory(full_name="Behind Bo")
    ServiceDayFactory(executive=done, date=dt.date(2026, 7, 3))
    ServiceDayFactory(executive=done, date=dt.date(2026, 9, 29))
    ServiceDayFactory(executive=behind, date=dt.date(2026, 8, 1))

    page = client.get("/admin/service-days/compliance/?period=2026-Q3").content.decode()

    def row(executive):
        start = page.index(f'id="executive-{executive.pk}"')
        return page[start : page.index("</tr>", start)]

    assert 'data-behind="no"' in row(done)
    assert "2026-09-29" in row(done)
    assert '<td class="num">2</td>' in row(done)
    assert 'data-behind="yes"' in row(behind)
    assert 'class="cx-behind"' in row(behind)
    assert '<td class="num">1</td>' in row(behind)
    assert "2026-08-01" in row(behind)
    bad = client.get("/admin/service-days/compliance/?period=2026-11").content.decode()
    assert "is not a quarter" in bad


def test_compliance_page_defaults_to_this_quarter_and_needs_read_access(client):
    client.force_login(UserFactory(roles=[roles.HR]))
    current = Period.for_date(timezone.localdate(), PeriodType.QUARTER).key

    page = client.get("/admin/service-days/compliance/").content.decode()

    assert f'<option value="{current}" selected>' in page
    client.force_login(UserFactory(roles=[roles.EMPLOYEE]))
    assert client.get("/admin/service-days/compliance/").status_code == 403


def test_dashboard_panel_lists_executives_behind_this_quarter(client):
    client.force_login(UserFactory(roles=[roles.HR]))
    QuotaFactory(executive=None, days_per_quarter=92)  # a day of service every day
    ExecutiveFactory(full_name="Behind Bo")
    ExecutiveFactory(
        full_name="Left Lee", hire_date=dt.date(2019, 1, 1), leave_date=dt.date(2020, 1, 1)
    )

    page = client.get("/admin/").content.decode()

    panel = page[page.index('id="service-days-panel"') :]
    assert "Behind Bo" in panel
    assert "Left Lee" not in panel
    assert "/admin/service-days/compliance/" in panel
