"""The employee's own bonus statement as a page (SPEC §1: an employee reads their own
statement and nothing of anyone else's). Every signed-in person may open it — employees are not
admin staff — and it shows only their lines of approved and paid runs, each with its
explanation in the reader's language, as the API's ``me/bonus-statements/`` does; from each
employee-scope component, the records behind their number (SPEC §5)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from apps.records.evidence import ROLES, record_rows
from cxoffice.errors import ApplicationError

from . import money, selectors
from .messages import render as render_messages
from .statements import basis_label

PAGE_SIZE = 50


def drillable(line) -> list[dict]:
    """The line's employee-scope components that records stand behind (linkable)."""
    return [
        c for c in line.components or [] if c.get("scope") == "employee" and c.get("kpi") in ROLES
    ]


@login_required
def my_statement(request):
    lines = [
        {
            "line": line,
            "amount": money.format_amount(line.amount, line.run.plan.currency),
            "explanation": render_messages(line.explanation),
            "drillable": drillable(line),
        }
        for line in selectors.statement_lines(request.user).order_by("-run__period", "-id")
    ]
    return render(request, "self_service/my_statement.html", {"lines": lines})


def evidence_page(request, line, template: str, extra: dict | None = None):
    """The drill-down as a page: the number in a sentence, then a page of records; a KPI the
    line does not measure for the person is a 400 naming it."""
    try:
        found = selectors.line_evidence(line, request.GET.get("kpi"))
    except ApplicationError as error:
        return render(request, "error.html", {"status": 400, "detail": error.message}, status=400)
    page = Paginator(found.evidence.records, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "found": found,
        "page": page,
        "rows": record_rows(found.evidence, page.object_list),
        "basis": render_messages((basis_label(found.component.get("basis", "none")),))[0],
        **(extra or {}),
    }
    return render(request, template, context)


@login_required
def my_evidence(request, line_id: int):
    """One of my lines' components, down to the records behind my number (another person's
    line is a 404)."""
    line = get_object_or_404(selectors.statement_lines(request.user), pk=line_id)
    return evidence_page(request, line, "self_service/my_evidence.html")
