"""A project owner creates a BPI project linked to the late-delivery KPI, posts a progress
update, and cannot edit someone else's project — in a real browser."""

import datetime as dt
from decimal import Decimal

from playwright.sync_api import expect

from apps.bpi import services
from apps.bpi.models import Project
from apps.departments import roles
from tests.factories import EmployeeFactory, KPIFactory, KPIResultFactory, UserFactory

PROJECTS_URL = "/admin/bpi/project/"


def choose(page, cell: str, search: str, option: str) -> None:
    """Pick ``option`` in the autocomplete (select2) field in ``cell`` by typing ``search``."""
    page.click(f"{cell} .select2-selection")
    page.fill(".select2-container--open .select2-search__field", search)
    page.click(f".select2-results__option:has-text('{option}')")


def test_an_owner_creates_a_project_posts_an_update_and_cannot_edit_anothers(
    live_server, page, login
):
    # Measured monthly: a link reads values at its KPI's frequency (SPEC §8).
    late = KPIFactory(code="delivery.late_rate", name="Late-delivery rate", frequency="month")
    KPIResultFactory(kpi=late, period="2026-09", value=Decimal("9.5"))
    KPIResultFactory(kpi=late, period="2026-10", value=Decimal("8.2"))  # the latest before start
    KPIResultFactory(kpi=late, period="2026-11", value=Decimal("7.9"))  # after the start
    user = UserFactory(username="owner1", roles=[roles.PROJECT_OWNER])
    me = EmployeeFactory(employee_number="E0013", full_name="Hui Ribeiro", user=user)
    someone = EmployeeFactory(employee_number="E0014", full_name="Pedro Lima")
    theirs = services.project_create(
        user=None, code="BPI-THEIRS", title="Someone else's project", problem="Not mine.",
        owner=someone, start_date=dt.date(2026, 10, 1), due_date=dt.date(2027, 1, 31),
    )  # fmt: skip

    login("owner1")
    page.goto(f"{live_server.url}{PROJECTS_URL}add/")
    expect(page.locator("#id_owner")).to_have_count(0)  # the owner is the signed-in user
    page.fill("#id_code", "BPI-LATE")
    page.fill("#id_title", "Cut late deliveries")
    page.fill("#id_problem", "One order in ten arrives late.")
    page.fill("#id_start_date", "2026-11-02")
    page.fill("#id_due_date", "2027-02-26")
    page.click("#kpi_links-group .add-row a")
    choose(page, "#kpi_links-0 .field-kpi", "late", "delivery.late_rate")
    page.fill("#id_kpi_links-0-goal", "5")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_be_visible()

    project = Project.objects.get(code="BPI-LATE")
    assert (project.owner, project.status) == (me, "proposed")
    link = project.kpi_links.get()
    # The baseline defaults to the latest result before the start date: October's.
    assert (link.kpi, link.baseline, link.baseline_period) == (late, Decimal("8.2"), "2026-10")
    expect(page.locator("#kpi_links-group")).to_contain_text("7.9% (2026-11)")  # the current value

    # A progress update, posted by the owner.
    page.click("#updates-group .add-row a")
    page.fill("#id_updates-0-progress_percent", "20")
    page.fill("#id_updates-0-note", "Measured the hand-over times.")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    update = project.updates.get()
    assert (update.progress_percent, update.author) == (20, user)
    page.goto(f"{live_server.url}{PROJECTS_URL}")
    row = page.locator("#result_list tbody tr", has_text="BPI-LATE")
    expect(row).to_contain_text("20%")

    # Someone else's project: readable, not editable.
    page.goto(f"{live_server.url}{PROJECTS_URL}{theirs.pk}/change/")
    expect(page.locator("#content h1")).to_contain_text("View")
    expect(page.locator("input[name=_save]")).to_have_count(0)
    expect(page.locator("#id_title")).to_have_count(0)
    expect(page.locator("form.cx-transition")).to_have_count(0)
    theirs.refresh_from_db()
    assert theirs.title == "Someone else's project"
