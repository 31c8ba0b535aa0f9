"""The Monday weekly business review (the beat entry in the settings calls it)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from . import selectors, services


@shared_task
def build_and_send_last_week(today: str | None = None) -> dict:
    """Build, store and e-mail the review of the ISO week before ``today`` (an ISO date; default:
    today, local). A week whose review was already sent is left alone."""
    day = dt.date.fromisoformat(today) if today else None
    return services.build_and_send(week=selectors.last_week(day), today=day)
