"""A data steward imports results from a CSV file in the admin and corrects one, in a real browser.

October 2026 holds the ISO weeks 2026-W40 to 2026-W44 (their Thursdays are 1, 8, 15, 22 and 29
October); the file gives four of them for OPS. A ratio KPI rolls up as Σ numerators /
Σ denominators, so the month's value is what the scorecard shows for ``period=2026-10``.
"""

import re
from decimal import Decimal

from playwright.sync_api import expect

from apps.departments import roles
from apps.kpis.models import KPI, Aggregation, Direction, Frequency, KPIResult, Source, Unit
from tests.factories import DepartmentFactory, KPIFactory, TargetFactory, UserFactory

RESULTS_URL = "/admin/kpis/kpiresult/"
SCORECARD_URL = "/admin/scorecard/?period=2026-10&department=OPS"

# Σ numerators / Σ denominators over the four weeks: (96 + 93 + 96 + 15) / 400 = 75.0 % (red,
# below the threshold of 90); with W43 corrected to 91: 376 / 400 = 94.0 % (exactly the target:
# green, below the stretch of 97).
CSV_ROWS = [
    ("2026-W40", 96, 100, "week 40"),
    ("2026-W41", 93, 100, "week 41"),
    ("2026-W42", 96, 100, "week 42"),
    ("2026-W43", 15, 100, "week 43 (typo: 15 for 91)"),
]
CORRECTED_NUMERATOR = "91"


def write_csv(path, rows, *, kpi="delivery.on_time_rate", department="OPS"):
    lines = ["kpi,department,period,numerator,denominator,note"]
    lines += [f"{kpi},{department},{period},{num},{den},{note}" for period, num, den, note in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def set_up_ops_and_steward() -> KPI:
    ops = DepartmentFactory(code="OPS", name="Operations")
    steward = UserFactory(username="steward1", roles=[roles.DATA_STEWARD])
    ops.stewards.add(steward)
    kpi = KPIFactory(
        code="delivery.on_time_rate",
        name="On-time delivery rate",
        department=ops,  # a department's scorecard lists the KPIs it owns
        unit=Unit.PERCENT,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.RATIO,
        frequency=Frequency.WEEK,
        decimals=1,
    )
    TargetFactory(
        kpi=kpi,
        threshold=Decimal("90"),
        target=Decimal("94"),
        stretch=Decimal("97"),
    )  # no department or employee: the company's target, which OPS inherits
    return kpi


def upload(page, live_server, csv_path) -> None:
    """Open the import page, choose the file (and CSV, when a format is asked) and submit."""
    page.goto(f"{live_server.url}{RESULTS_URL}import/")
    page.set_input_files("#id_import_file", str(csv_path))
    format_select = page.locator("select#id_format")
    if format_select.count():
        format_select.select_option(label="csv")
    page.click("form[enctype='multipart/form-data'] input[type=submit]")


def test_steward_imports_results_fixes_one_and_the_scorecard_turns_green(
    live_server, page, login, tmp_path
):
    kpi = set_up_ops_and_steward()
    csv_path = write_csv(tmp_path / "ops-october.csv", CSV_ROWS)
    login("steward1")

    # 1. Import: the preview lists four new rows and no errors; confirming writes them.
    upload(page, live_server, csv_path)
    preview = page.locator("table.import-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("tr.new")).to_have_count(4)
    expect(preview.locator("tr.new td.import-type").first).to_have_text("New")
    for period, *_ in CSV_ROWS:
        expect(preview.locator("tr.new").filter(has_text=period)).to_have_count(1)
    expect(page.locator(".validation-error-container, .import-error-li")).to_have_count(0)
    assert KPIResult.objects.count() == 0  # the preview is a dry run

    page.click("input[name=confirm]")
    expect(page.locator(".messagelist .success")).to_contain_text("4 new")
    expect(page).to_have_url(re.compile(rf"{re.escape(RESULTS_URL)}(\?.*)?$"))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(4)
    for period, *_ in CSV_ROWS:
        expect(rows.filter(has_text=period)).to_have_count(1)
    assert set(KPIResult.objects.values_list("source", flat=True)) == {Source.IMPORT}

    # 2. The month on OPS's scorecard: 300 / 400 = 75.0 %, below the threshold (red).
    page.goto(f"{live_server.url}{SCORECARD_URL}")
    row = page.locator(f"#scorecard tr#kpi-{kpi.pk}")
    expect(row).to_have_attribute("data-status", "below_threshold")
    expect(row.locator("td.num").first).to_have_text("75.0%")
    expect(row.locator(".cx-basis")).to_contain_text("rolled up from 4 results")
    expect(row.locator(".cx-pill")).to_have_class(re.compile(r"\bcx-red\b"))

    # 3. Find week 43 in the change list and correct its numerator.
    page.goto(f"{live_server.url}{RESULTS_URL}?q=2026-W43")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    rows.first.locator("th a").click()
    expect(page.locator("#id_numerator")).to_have_value(re.compile(r"^15(\.0+)?$"))
    page.fill("#id_numerator", CORRECTED_NUMERATOR)
    page.click("input[name=_save]")
    # Saved, or the form came back with errors: list those (none expected) before going on.
    expect(page.locator(".messagelist .success, #content .errornote").first).to_be_visible()
    expect(page.locator("#content .errorlist li")).to_have_text([])
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")
    week_43 = KPIResult.objects.get(kpi=kpi, period="2026-W43")
    assert week_43.numerator == Decimal("91")
    assert week_43.value == Decimal("91")

    # 4. The month is now (96 + 93 + 96 + 91) / 400 = 94.0 %: on target (green).
    page.goto(f"{live_server.url}{SCORECARD_URL}")
    row = page.locator(f"#scorecard tr#kpi-{kpi.pk}")
    expect(row).to_have_attribute("data-status", "on_target")
    expect(row.locator("td.num").first).to_have_text("94.0%")
    expect(row.locator(".cx-pill")).to_have_class(re.compile(r"\bcx-green\b"))

    # 5. The result's history, reached from its change form, names the steward and the change.
    page.goto(f"{live_server.url}{RESULTS_URL}{week_43.pk}/change/")
    page.locator("#content a.historylink").click()
    expect(page).to_have_url(re.compile(rf"{RESULTS_URL}{week_43.pk}/history/$"))
    history = page.locator("#change-history tbody tr")
    expect(history).to_have_count(2)  # created by the import, then changed by hand
    latest = history.first
    expect(latest).to_contain_text("steward1")
    expect(latest).to_contain_text("Changed")
    expect(latest).to_contain_text(
        re.compile(r"numerator:\s*15(\.0+)?\s*→\s*91(\.0+)?", re.IGNORECASE)
    )
    expect(history.nth(1)).to_contain_text("Created")
    expect(history.nth(1)).to_contain_text("steward1")


def test_import_with_a_bad_row_shows_the_error_and_writes_nothing(
    live_server, page, login, tmp_path
):
    set_up_ops_and_steward()
    rows = [*CSV_ROWS[:2], ("2026-13", 90, 100, "no such month"), CSV_ROWS[3]]
    csv_path = write_csv(tmp_path / "ops-bad-period.csv", rows)
    login("steward1")

    upload(page, live_server, csv_path)
    expect(page.locator("#content h2", has_text="Some rows failed to validate")).to_be_visible()
    invalid = page.locator("table.import-preview tbody tr")
    expect(invalid).to_have_count(1)
    expect(invalid.first.locator("td").first).to_have_text("3")
    errors = invalid.first.locator(".validation-error-list")
    expect(errors.locator(".validation-error-field-label")).to_have_text("period")
    expect(errors).to_contain_text("“2026-13” is not a period")
    expect(page.locator("input[name=confirm]")).to_have_count(0)
    assert KPIResult.objects.count() == 0
