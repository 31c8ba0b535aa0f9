"""Background work of the bonuses app: the run calculation, reporting its progress.

Without a broker (``CELERY_BROKER_URL`` unset: tasks run in-process) a run is calculated in one
go. With a broker, the calculation is split over the workers: a group of chunk tasks, each
computing and writing one chunk of employees into the run's hidden shadow, then a final step
(the chord's callback) that moves the lines onto the run at once, totals them, fingerprints
the inputs and marks the run calculated. A chunk that never finishes (a worker killed) leaves
the run as it was; calculating again starts clean.
"""

from __future__ import annotations

from celery import chord, shared_task
from django.conf import settings
from django.contrib.auth import get_user_model

from . import services
from .models import Run


def _summary(run: Run) -> dict:
    return {
        "run": run.pk,
        "lines": run.line_count,
        "total": str(run.total_amount),
        "blocking_issues": len(run.blocking_issues),
    }


@shared_task(bind=True)
def calculate_run(self, run_id: int, user_id: int) -> dict:
    """Calculate one run: in-process without a broker (progress as ``{"done", "total"}``),
    split into chunk tasks with one."""
    run = Run.objects.get(pk=run_id)
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        shadow, ranges = services.run_calculation_start(run=run)
        finish = finish_run_calculation.s(run_id, shadow.pk, user_id)
        result = chord(calculate_run_chunk.s(run_id, shadow.pk, employees) for employees in ranges)(
            finish
        )
        Run.objects.filter(pk=run_id).update(task_id=result.id or "")
        return {"run": run_id, "chunks": len(ranges), "finish": result.id}

    def progress(done: int, total: int) -> None:
        if not self.request.is_eager:  # in-process runs finish before anyone could look
            self.update_state(state="PROGRESS", meta={"done": done, "total": total})

    run = services.run_calculate(
        run=run, user=get_user_model().objects.get(pk=user_id), progress=progress
    )
    return _summary(run)


@shared_task
def calculate_run_chunk(run_id: int, shadow_id: int, employees: list[int] | None) -> dict | None:
    """One chunk of a split calculation (see the module docstring)."""
    return services.run_calculation_chunk(
        run_id=run_id, shadow_id=shadow_id, employees=tuple(employees) if employees else None
    )


@shared_task
def finish_run_calculation(outcomes: list, run_id: int, shadow_id: int, user_id: int) -> dict:
    """The final step of a split calculation, once every chunk is done."""
    run = services.run_calculation_finish(
        run_id=run_id,
        shadow_id=shadow_id,
        user=get_user_model().objects.get(pk=user_id),
        outcomes=outcomes,
    )
    return _summary(run)
