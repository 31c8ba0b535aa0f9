"""Background work of the feedback app: the reminder to owners of overdue items.

Schedule it with a beat entry ``"task": "apps.feedback.tasks.remind_overdue_feedback"`` (the
settings own the beat schedule)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task
def remind_overdue_feedback() -> dict[str, int]:
    return services.remind_overdue_feedback_owners()
