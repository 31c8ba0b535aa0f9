"""HR calculates a run in the admin, a second HR approver approves it, the first cannot approve
their own calculation, the export downloads — in a real browser.

One CSAT component (weight 100 %, threshold 80 / target 85 / stretch 90) and CS's 2026-Q3 result
of 175 / 200 = 87.5 %: halfway from target to stretch, a payout factor of 125 %. 李梅 is enrolled
for the whole quarter with a target of 1000 EUR, so the run's total is 1250.00 EUR.
"""

import datetime as dt
from decimal import Decimal

from openpyxl import load_workbook
from playwright.sync_api import expect

from apps.bonuses import services
from apps.bonuses.models import Run
from apps.departments import roles
from tests.factories import (
    AssignmentFactory,
    DepartmentFactory,
    EmployeeFactory,
    KPIFactory,
    KPIResultFactory,
    TargetFactory,
    UserFactory,
)

RUNS_URL = "/admin/bonuses/run/"
Q3 = "2026-Q3"  # 1 July – 30 September 2026
PAYROLL_LINE = "E1,李梅,CS,Q-CX,2026-Q3,EUR,1250.00"

CALCULATE = "Calculate the selected runs"
APPROVE = "Approve the selected runs"
EXPORT_CSV = "Export to payroll (CSV)"
EXPORT_XLSX = "Export to payroll (XLSX)"


def make_run() -> Run:
    cs = DepartmentFactory(code="CS", name="Customer service")
    kpi = KPIFactory(code="service.csat")
    TargetFactory(kpi=kpi, threshold=Decimal(80), target=Decimal(85), stretch=Decimal(90))
    KPIResultFactory(kpi=kpi, department=cs, period=Q3, numerator=175, denominator=200)
    plan = services.plan_create(
        code="Q-CX", name="Quarterly", period_type="quarter", currency="EUR",
        components=[{"kpi": kpi, "weight": Decimal(100), "scope": "department"}],
    )  # fmt: skip
    employee = EmployeeFactory(
        employee_number="E1", full_name="李梅", hire_date=dt.date(2020, 1, 1)
    )
    AssignmentFactory(employee=employee, department=cs, start_date=dt.date(2020, 1, 1))
    services.enrollment_create(
        employee=employee,
        plan=plan,
        target_amount=Decimal(1000),
        start_date=dt.date(2026, 1, 1),
    )
    return services.run_create(plan=plan, period=Q3)


def switch_user(page, login, username: str) -> None:
    page.context.clear_cookies()  # signs the previous user out
    login(username)


def choose_action(page, live_server, run: Run, action: str) -> None:
    """On the runs' change list: tick the run and choose the action (not run yet)."""
    page.goto(f"{live_server.url}{RUNS_URL}")
    page.locator(f"#result_list input.action-select[value='{run.pk}']").check()
    page.select_option("#changelist-form select[name=action]", label=action)


def click_go(page) -> None:
    page.click("#changelist-form .actions button[name=index]")


def run_action(page, live_server, run: Run, action: str) -> None:
    """Tick the run, choose the action, click "Go": the admin redirects back with messages."""
    choose_action(page, live_server, run, action)
    click_go(page)


def download(page, live_server, run: Run, action: str):
    """Run an export action; returns Playwright's download."""
    choose_action(page, live_server, run, action)
    with page.expect_download() as info:
        click_go(page)
    return info.value


def done(page):
    """The messages that report an action done. ``RunAdmin`` sends them at the default level
    (INFO, class ``info``) rather than SUCCESS; the admin shows both alike, green with a tick."""
    return page.locator(".messagelist li:not(.error):not(.warning)")


def run_row(page, run: Run):
    return page.locator("#result_list tbody tr").filter(
        has=page.locator(f"input.action-select[value='{run.pk}']")
    )


def test_hr_calculates_another_approves_four_eyes_hold_and_the_export_downloads(
    live_server, page, login, tmp_path
):
    run = make_run()
    UserFactory(username="hr1", roles=[roles.HR])
    UserFactory(username="approver1", roles=[roles.HR_APPROVER])
    UserFactory(username="hr_both", roles=[roles.HR, roles.HR_APPROVER])

    # 1. hr1 calculates the run: 1250.00 EUR, all of it in CS.
    login("hr1")
    run_action(page, live_server, run, CALCULATE)
    expect(done(page)).to_contain_text("Calculation of Q-CX 2026-Q3")
    expect(page.locator(".messagelist .error")).to_have_count(0)
    row = run_row(page, run)
    expect(row.locator(".field-status")).to_have_text("calculated")
    expect(row.locator(".field-total")).to_have_text("1250.00")
    run.refresh_from_db()
    assert (run.status, run.total_amount, run.calculated_by.username) == (
        "calculated",
        Decimal("1250.00"),
        "hr1",
    )

    page.goto(f"{live_server.url}{RUNS_URL}{run.pk}/change/")
    totals = page.locator("#totals-by-department tbody tr")
    expect(totals).to_have_count(1)
    # Money with its cents, as in the change list. (On SQLite the page shows "1250": the
    # template prints the raw Sum("amount"), which SQLite's backend does not quantize.)
    expect(totals.first.locator("td")).to_have_text(["CS", "1", "1250.00"])
    expect(page.locator("#factor-chart")).to_be_visible()
    expect(page.locator("#factor-chart rect")).to_have_count(9)
    expect(page.locator("#blocking-issues")).to_have_count(0)
    expect(page.locator("#run-stale")).to_have_count(0)

    # 2. hr1 may not approve at all: HR lacks the approve permission, so it is not offered.
    page.goto(f"{live_server.url}/admin/bonuses/run/")
    actions = page.locator("#changelist-form select[name=action] option")
    expect(actions.filter(has_text=APPROVE)).to_have_count(0)
    expect(run_row(page, run).locator(".field-status")).to_have_text("calculated")
    run.refresh_from_db()
    assert run.status == "calculated"

    # 3. Someone with both roles calculates again, then cannot approve their own calculation.
    switch_user(page, login, "hr_both")
    run_action(page, live_server, run, CALCULATE)
    expect(done(page)).to_contain_text("Calculation of Q-CX 2026-Q3")
    run.refresh_from_db()
    assert run.calculated_by.username == "hr_both"
    run_action(page, live_server, run, APPROVE)
    expect(page.locator(".messagelist .error")).to_contain_text(
        "You calculated this run; a different person must approve it (four eyes)."
    )
    expect(done(page)).to_have_count(0)
    expect(run_row(page, run).locator(".field-status")).to_have_text("calculated")
    run.refresh_from_db()
    assert (run.status, run.approved_by) == ("calculated", None)

    # 4. approver1, who did not calculate, approves.
    switch_user(page, login, "approver1")
    run_action(page, live_server, run, APPROVE)
    expect(done(page)).to_contain_text("Q-CX 2026-Q3 approved.")
    expect(page.locator(".messagelist .error")).to_have_count(0)
    expect(run_row(page, run).locator(".field-status")).to_have_text("approved")
    run.refresh_from_db()
    assert (run.status, run.approved_by.username) == ("approved", "approver1")

    # 5. The payroll file downloads: CSV (UTF-8 with a BOM) and XLSX.
    csv_download = download(page, live_server, run, EXPORT_CSV)
    assert csv_download.suggested_filename == "bonus-Q-CX-2026-Q3.csv"
    csv_path = tmp_path / csv_download.suggested_filename
    csv_download.save_as(csv_path)
    content = csv_path.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert PAYROLL_LINE in lines
    assert len(lines) == 2  # the header and 李梅's line

    xlsx_download = download(page, live_server, run, EXPORT_XLSX)
    assert xlsx_download.suggested_filename == "bonus-Q-CX-2026-Q3.xlsx"
    xlsx_path = tmp_path / xlsx_download.suggested_filename
    xlsx_download.save_as(xlsx_path)
    sheet = load_workbook(xlsx_path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert list(rows[1][:6]) == ["E1", "李梅", "CS", "Q-CX", "2026-Q3", "EUR"]
    assert Decimal(str(rows[1][6])) == Decimal("1250.00")
    assert sheet.cell(row=2, column=7).number_format == "#,##0.00"
