"""Background work of the service-days app: the weekly reminder to executives behind quota."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task
def remind_behind_quota() -> dict[str, int]:
    return services.remind_executives_behind_quota()
