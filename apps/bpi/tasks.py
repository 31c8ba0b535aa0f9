"""Background work of the BPI app: the weekly reminder to owners of overdue projects."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task
def remind_overdue_projects() -> dict[str, int]:
    return services.remind_overdue_project_owners()
