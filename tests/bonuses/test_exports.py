"""The payroll export's gate — only approved and paid real runs — is the export's own: the API,
the admin and direct callers are refused the same way."""

import csv
import io

import pytest
from django.contrib.messages import get_messages
from openpyxl import load_workbook

from apps.bonuses import exports
from cxoffice.errors import ConflictError

pytestmark = pytest.mark.django_db

REFUSAL = "Only an approved run is exported to payroll."


@pytest.mark.parametrize("export", [exports.payroll_csv, exports.payroll_xlsx])
@pytest.mark.parametrize(
    ("status", "is_simulation"), [("draft", False), ("calculated", False), ("calculated", True)]
)
def test_the_export_refuses_a_run_that_is_not_approved(make_run, export, status, is_simulation):
    run = make_run(status=status, is_simulation=is_simulation)
    with pytest.raises(ConflictError) as refused:
        export(run)
    assert (refused.value.field, refused.value.code) == ("status", "not_approved")
    assert refused.value.message == REFUSAL


@pytest.mark.parametrize("status", ["approved", "paid"])
def test_the_export_of_approved_and_paid_runs(make_run, status):
    run = make_run(status=status)
    rows = list(csv.reader(io.StringIO(exports.payroll_csv(run).decode("utf-8-sig"))))
    assert rows[1] == ["E1", "李梅", "CS", "Q-CX", "2026-Q3", "EUR", "1250.00"]
    sheet = load_workbook(io.BytesIO(exports.payroll_xlsx(run))).active
    assert [cell.value for cell in sheet[2]][:2] == ["E1", "李梅"]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_api_export_of_a_calculated_run_is_409_naming_status(make_run, api_for, kind):
    run = make_run(status="calculated")
    response = api_for("HR").get(f"/api/v1/bonus-runs/{run.pk}/export/?format={kind}")
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"status: {REFUSAL}",
        "field": "status",
        "code": "not_approved",
    }


@pytest.mark.parametrize("action", ["export_csv", "export_xlsx"])
def test_admin_export_of_a_calculated_run_shows_the_refusal_and_no_file(
    client, make_run, hr, action
):
    run = make_run(status="calculated")
    client.force_login(hr)
    response = client.post(
        "/admin/bonuses/run/", {"action": action, "_selected_action": [run.pk]}, follow=True
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")  # the list again, not a file
    assert [str(m) for m in get_messages(response.wsgi_request)] == [REFUSAL]
