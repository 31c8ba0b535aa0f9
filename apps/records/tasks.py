"""Background work of the records app: loading a file, computing a period's KPIs, and the
Monday computation of last week (beat entry ``compute-last-weeks-kpis``)."""

from __future__ import annotations

import contextlib

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.departments.models import Department
from apps.kpis.periods import Period, PeriodType
from cxoffice.errors import ApplicationError

from . import services
from .models import LoadJob


@shared_task(bind=True, acks_late=True)
def load_records_file(self, job_id: int) -> dict:
    """Run a recorded load of a file; progress goes to the result backend as ``{"done",
    "total"}`` (bytes of a CSV, rows of an XLSX). Refusals are kept on the job (its report names
    each bad row and column) and end the task normally; a killed worker leaves nothing
    written, and the redelivered task loads the file again from the start."""

    def progress(done: int, total: int) -> None:
        if not self.request.is_eager:  # in-process runs finish before anyone could look
            self.update_state(state="PROGRESS", meta={"done": done, "total": total})

    job = LoadJob.objects.get(pk=job_id)
    with contextlib.suppress(ApplicationError):  # kept on the job: "refused" and the report
        services.load_job_run(job=job, progress=progress)
    job.refresh_from_db()
    return {"job": job.pk, "status": job.status, **{
        k: v for k, v in job.report.items() if k != "errors"
    }}  # fmt: skip


@shared_task
def compute_kpis(period: str, department_code: str | None = None, user_id: int | None = None):
    """Compute (again) the record-based KPI results of one period."""
    department = Department.objects.get(code=department_code) if department_code else None
    user = get_user_model().objects.get(pk=user_id) if user_id else None
    return services.kpi_results_compute(period=period, department=department, user=user)


@shared_task
def compute_last_week() -> dict:
    """Every Monday: the KPI results of the ISO week that ended yesterday."""
    last_week = Period.for_date(timezone.localdate(), PeriodType.WEEK).previous()
    return services.kpi_results_compute(period=last_week.key)
