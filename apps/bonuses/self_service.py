"""The employee's own bonus statement as a page (SPEC §1: an employee reads their own
statement and nothing of anyone else's). Every signed-in person may open it — employees are not
admin staff — and it shows only their lines of approved and paid runs, each with its
explanation in the reader's language, as the API's ``me/bonus-statements/`` does."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors
from .calculations import render as render_messages
from .calculations import round_money
from .services.runs import CURRENCY_EXPONENTS


@login_required
def my_statement(request):
    lines = [
        {
            "line": line,
            "amount": round_money(line.amount, CURRENCY_EXPONENTS.get(line.run.plan.currency, 2)),
            "explanation": render_messages(line.explanation),
        }
        for line in selectors.statement_lines(request.user).order_by("-run__period", "-id")
    ]
    return render(request, "self_service/my_statement.html", {"lines": lines})
