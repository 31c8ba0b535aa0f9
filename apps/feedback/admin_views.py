"""The feedback import page of the admin and the dashboard's volume chart."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.kpis.periods import Period, PeriodType
from cxoffice.errors import ApplicationError

from . import charts, selectors, services
from .models import ColumnMapping

ERRORS_SHOWN = 50
CHART_CATEGORIES = 6


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("file"),
        help_text=gettext_lazy("CSV (UTF-8) or XLSX; the first row names the columns."),
    )
    mapping = forms.ModelChoiceField(
        label=gettext_lazy("column mapping"), queryset=ColumnMapping.objects.all()
    )


def feedback_import_view(request, site):
    """Upload a file with a saved mapping: the report (read / created / skipped), or the
    refused rows with their row number and column — and then nothing was written."""
    if not request.user.has_perm("feedback.add_feedback"):
        raise PermissionDenied
    report = error = None
    row_errors: list[dict] = []
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                rows = services.read_table(upload, upload.name)
                report = services.feedback_import(rows=rows, mapping=form.cleaned_data["mapping"])
            except ApplicationError as exc:
                error = exc.message
                row_errors = [
                    {"number": e.index + 1, "column": e.field, "detail": e.detail}
                    for e in getattr(exc, "errors", [])[:ERRORS_SHOWN]
                ]
                total = len(getattr(exc, "errors", []))
                if total > ERRORS_SHOWN:
                    error = _(
                        "%(message)s (the first %(shown)s of %(total)s refused rows below)"
                    ) % {
                        "message": exc.message,
                        "shown": ERRORS_SHOWN,
                        "total": total,
                    }
    else:
        initial = ColumnMapping.objects.filter(name="olist-reviews").first()
        form = ImportForm(initial={"mapping": initial})
    context = {
        **site.each_context(request),
        "title": _("Import feedback"),
        "form": form,
        "report": report,
        "error": error,
        "row_errors": row_errors,
    }
    return render(request, "admin/feedback/import.html", context)


def feedback_volume_panel(request):
    """Feedback items per week over the last 12 weeks, stacked by category (the biggest six,
    the rest as "other"): one aggregate query."""
    if not request.user.has_perm("feedback.view_feedback"):
        return None
    this_week = Period.for_date(timezone.localdate(), PeriodType.WEEK)
    volume = selectors.volume_by_category(this_week)
    named = volume.categories[:CHART_CATEGORIES]
    rest = volume.categories[CHART_CATEGORIES:]
    series = [(c.label, c.counts) for c in named]
    if rest:
        series.append(
            (
                _("Other categories"),
                tuple(sum(c.counts[i] for c in rest) for i in range(len(volume.weeks))),
            )
        )
    svg = charts.stacked_bars_svg(
        volume.weeks,
        series,
        title=_("Feedback items per week by category"),
        other_last=bool(rest),
    )
    return {
        "template": "admin/feedback/volume_panel.html",
        "chart": mark_safe(svg),  # noqa: S308 - numbers and escaped labels only
        "weeks": volume.weeks,
        "total": sum(volume.totals),
        "overdue": selectors.feedback_overdue().count(),
    }
