"""Background work of the bonuses app: the run calculation, reporting its progress."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model

from . import services
from .models import Run


@shared_task(bind=True)
def calculate_run(self, run_id: int, user_id: int) -> dict:
    """Calculate one run; progress goes to the result backend as ``{"done", "total"}``."""

    def progress(done: int, total: int) -> None:
        if not self.request.is_eager:  # in-process runs finish before anyone could look
            self.update_state(state="PROGRESS", meta={"done": done, "total": total})

    run = services.run_calculate(
        run=Run.objects.get(pk=run_id),
        user=get_user_model().objects.get(pk=user_id),
        progress=progress,
    )
    return {
        "run": run.pk,
        "lines": run.line_count,
        "total": str(run.total_amount),
        "blocking_issues": len(run.blocking_issues),
    }
