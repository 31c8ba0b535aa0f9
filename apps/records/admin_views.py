"""Admin pages of the records app: the upload page (a Celery task with progress) and the
late-delivery tree of a period, for the company and per warehouse and carrier."""

from __future__ import annotations

import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.validators import FileExtensionValidator
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.kpis.periods import Period, PeriodError, PeriodType
from cxoffice.errors import ApplicationError

from . import charts, selectors, services
from .models import LoadDoor, LoadJob, RecordKind, RecordMapping, Stage
from .tasks import load_records_file

# The stages in the order of the tree: (stage, is a warehouse sub-stage).
TREE = [
    (Stage.PAYMENT_CONFIRMATION, False),
    (Stage.ORDER_PROCESSING, False),
    (Stage.WAREHOUSE, False),
    (Stage.PICKING, True),
    (Stage.SORTING, True),
    (Stage.PACKING, True),
    (Stage.DISPATCH, True),
    (Stage.CARRIER, False),
]


def upload_dir() -> Path:
    """Where uploads are kept for the workers (``RECORDS_UPLOAD_DIR``; default
    ``<project>/media/records``): workers on other machines need it on shared storage."""
    return Path(getattr(settings, "RECORDS_UPLOAD_DIR", settings.BASE_DIR / "media" / "records"))


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("records"), choices=RecordKind.choices)
    file = forms.FileField(
        label=gettext_lazy("file"),
        help_text=gettext_lazy("CSV (UTF-8) or XLSX; the first row names the columns."),
        validators=[
            FileExtensionValidator(
                ["csv", "txt", "xlsx"],
                message=gettext_lazy(
                    "Upload a CSV or XLSX file (“%(extension)s” files are not read)."
                ),
            )
        ],
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )
    mapping = forms.ModelChoiceField(
        label=gettext_lazy("column mapping"),
        queryset=RecordMapping.objects.all(),
        required=False,
        help_text=gettext_lazy("Empty: the columns are named like the fields."),
    )
    skip_bad_rows = forms.BooleanField(
        label=gettext_lazy("skip bad rows"),
        required=False,
        help_text=gettext_lazy(
            "Load the good rows and report the bad ones (default: refuse the file)."
        ),
    )

    def clean(self):
        data = super().clean()
        if data.get("kind"):  # the loader's check, before the file is kept and a job started
            try:
                services.mapping_check_kind(kind=data["kind"], mapping=data.get("mapping"))
            except ApplicationError as error:
                self.add_error(error.field if error.field in self.fields else None, error.message)
        return data


def records_upload_view(request, site):
    """Keep the file where workers read it, record the load and hand it to a task; the load's
    page then shows its progress and, when finished, its report."""
    if not request.user.has_perm("records.add_loadjob"):
        raise PermissionDenied
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            folder = upload_dir()
            folder.mkdir(parents=True, exist_ok=True)
            suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
            path = folder / f"{uuid.uuid4().hex}{suffix}"
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            job = services.load_job_start(
                kind=form.cleaned_data["kind"],
                door=LoadDoor.ADMIN,
                user=request.user,
                file_name=upload.name,
                file_path=str(path),
                mapping=form.cleaned_data["mapping"],
                skip_bad_rows=form.cleaned_data["skip_bad_rows"],
            )

            def start() -> None:
                task = load_records_file.delay(job.pk)
                LoadJob.objects.filter(pk=job.pk).update(task_id=task.id or "")

            transaction.on_commit(start)
            return redirect(reverse("admin:records_loadjob_change", args=[job.pk]))
    else:
        form = UploadForm(initial={"kind": RecordKind.SHIPMENTS})
    context = {**site.each_context(request), "title": _("Upload records"), "form": form}
    return render(request, "admin/records/upload.html", context)


def late_tree_view(request, site):
    """Which stage causes most lateness in a period (a month by default): the company's tree
    as a chart, then the same per warehouse and per carrier (three grouped queries)."""
    if not request.user.has_perm("records.view_shipment"):
        raise PermissionDenied
    periods = selectors.loaded_periods_of_shipments()
    key = request.GET.get("period") or (periods[0] if periods else None)
    error = None
    period = None
    if key:
        try:
            period = Period.parse(key)
        except PeriodError as exc:
            error = str(exc)
    if period is None and not error:
        period = Period.for_date(timezone.localdate(), PeriodType.MONTH)
    company = groups = None
    if period is not None:
        names = dict(Stage.choices)
        company = _tree(selectors.late_tree(period)[0], names, _("Company"))
        groups = {
            by: [_tree(row, names, row.label) for row in selectors.late_tree(period, by=by)]
            for by in ("warehouse", "carrier")
        }
    context = {
        **site.each_context(request),
        "title": _("Late-delivery tree"),
        "period": period,
        "periods": periods,
        "error": error,
        "company": company,
        "groups": groups,
    }
    return render(request, "admin/records/late_tree.html", context)


def _tree(row: selectors.LateTreeRow, names: dict, label: str) -> dict:
    counts = row.counts
    by_stage = counts.late_by_stage
    top_level = [s for s, sub in TREE if not sub]
    biggest = max(top_level, key=lambda s: by_stage.get(s, 0)) if counts.late else None
    bars = [
        (str(names[stage]), by_stage.get(stage, 0), sub, stage == biggest) for stage, sub in TREE
    ]
    return {
        "label": label,
        "due": counts.due,
        "late": counts.late,
        "pending": counts.pending,
        "late_rate": round(100 * counts.late / counts.due, 1) if counts.due else None,
        "biggest": str(names[biggest]) if biggest else None,
        "stages": [{"name": b[0], "count": b[1], "sub": b[2]} for b in bars],
        "svg": mark_safe(  # noqa: S308 - numbers and escaped labels only
            charts.stage_bars_svg(
                bars,
                total_late=counts.late,
                title=_("Late orders by stage: %(what)s") % {"what": label},
            )
        ),
    }
