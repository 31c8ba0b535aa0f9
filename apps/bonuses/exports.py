"""The payroll file of an approved run: CSV (UTF-8 with BOM, so Excel shows Chinese names) and
XLSX, one row per line, amounts exactly as calculated; the rows add up to the run total.

Only an approved (or paid) real run is exported: every door (API, admin, any command) asks
these functions and is refused by them the same way (409, field ``status``)."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from cxoffice.errors import ConflictError

from . import money
from .models import Line, Run, RunStatus


def run_check_exportable(run: Run) -> None:
    """Payroll pays approved and paid runs only; a simulation is never paid."""
    if run.is_simulation or run.status not in (RunStatus.APPROVED, RunStatus.PAID):
        raise ConflictError(
            _("Only an approved run is exported to payroll."),
            field="status",
            code="not_approved",
        )


def payroll_rows(run: Run) -> list[list]:
    """One row per line; a true-up's rows pay its deltas (zero deltas left out) and name the
    run they correct (SPEC §10a)."""
    run_check_exportable(run)
    lines = (
        Line.objects.filter(run=run)
        .select_related("employee", "department")
        .order_by("employee__employee_number")
    )
    if run.corrects_id:
        lines = lines.exclude(delta=0)
    corrects = [run.corrects_id] if run.corrects_id else []
    return [
        [line.employee.employee_number, line.employee.full_name,
         line.department.code if line.department else "", run.plan.code, run.period,
         run.plan.currency, *corrects, line.delta if run.corrects_id else line.amount]
        for line in lines
    ]  # fmt: skip


def headers(run: Run) -> list[str]:
    fixed = [_("employee number"), _("name"), _("department"), _("plan"), _("period"),
             _("currency")]  # fmt: skip
    if run.corrects_id:
        return [*fixed, _("corrects run"), _("true-up delta")]
    return [*fixed, _("amount")]


def payroll_csv(run: Run) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers(run))
    for row in payroll_rows(run):
        writer.writerow([*row[:-1], money.format_amount(row[-1], run.plan.currency)])
    return buffer.getvalue().encode("utf-8-sig")


def payroll_xlsx(run: Run) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = f"{run.plan.code} {run.period}"[:31]
    sheet.append(headers(run))
    for row in payroll_rows(run):
        sheet.append(row)
        sheet.cell(row=sheet.max_row, column=len(row)).number_format = money.excel_format(
            run.plan.currency
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
