"""An executive logs a day of service with two findings in the admin, turns one of them into a
BPI project and the other into a feedback item — in a real browser. The executive field is not
offered: the day is theirs."""

import datetime as dt

from playwright.sync_api import expect

from apps.bpi.models import Project
from apps.departments import roles
from apps.feedback.models import Feedback
from apps.service_days.models import ServiceDay
from tests.factories import DepartmentFactory, EmployeeFactory, UserFactory

ADD_URL = "/admin/service_days/serviceday/add/"


def test_an_executive_logs_a_day_with_two_findings_and_turns_one_into_a_project(
    live_server, page, login
):
    head = EmployeeFactory(employee_number="E0100", full_name="Ana Costa")
    warehouse = DepartmentFactory(code="WH", name="Warehouse", head=head)
    DepartmentFactory(code="DIST", name="Distribution")
    user = UserFactory(username="lin", roles=[roles.EXECUTIVE])
    lin = EmployeeFactory(
        employee_number="E0003", full_name="Lin Yue", is_executive=True, user=user
    )
    other = EmployeeFactory(employee_number="E0004", full_name="Carla Mendes", is_executive=True)

    login("lin")
    page.goto(f"{live_server.url}{ADD_URL}")
    expect(page.locator("#id_executive")).to_have_count(0)  # not a free choice
    page.fill("#id_date", "2026-11-20")
    page.select_option("#id_department", label=str(warehouse))
    page.fill("#id_role_played", "Picker")
    page.fill("#id_hours", "7.5")
    page.fill("#id_customers_served", "0")
    page.fill("#id_summary", "Picked and packed on the morning shift.")
    page.fill("#id_findings-0-description", "Parcels packed after 14:00 miss the pick-up.")
    page.select_option("#id_findings-0-severity", "high")
    page.select_option("#id_findings-0-department", label=str(warehouse))
    page.click("#findings-group .add-row a")
    page.fill("#id_findings-1-description", "Labels smear in the rain.")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_be_visible()

    day = ServiceDay.objects.get()
    assert (day.executive, day.date, str(day.hours)) == (lin, dt.date(2026, 11, 20), "7.50")
    assert day.findings.count() == 2
    assert not ServiceDay.objects.filter(executive=other).exists()

    # Turn the first finding into a BPI project: proposed, owned by the warehouse's head,
    # sponsored by Lin, linked both ways.
    finding = day.findings.get(description__startswith="Parcels")
    page.click(f"button[name=_follow_up][value='{finding.pk}']")
    message = page.locator(".messagelist li").first
    expect(message).to_contain_text("Parcels packed after 14:00")
    project = Project.objects.get()
    expect(page.locator(".messagelist li a", has_text=project.code)).to_be_visible()
    assert (project.status, project.owner, project.sponsor) == ("proposed", head, lin)
    assert list(project.findings.all()) == [finding]
    # The finding's row now shows the project and offers no second follow-up.
    expect(page.locator(f"button[name=_follow_up][value='{finding.pk}']")).to_have_count(0)
    expect(page.locator("#findings-group")).to_contain_text(project.code)
    other_finding = day.findings.exclude(pk=finding.pk).get()
    expect(page.locator(f"button[name=_follow_up][value='{other_finding.pk}']")).to_be_visible()

    # The other finding goes to the voice of the customer, for triage.
    page.click(f"button[name=_follow_up_feedback][value='{other_finding.pk}']")
    expect(page.locator(".messagelist li").first).to_contain_text("feedback item #")
    item = Feedback.objects.get()
    assert (item.channel, item.status, item.text) == (
        "service_day",
        "new",
        other_finding.description,
    )
    assert list(item.findings.all()) == [other_finding]
    expect(
        page.locator(f"button[name=_follow_up_feedback][value='{other_finding.pk}']")
    ).to_have_count(0)
