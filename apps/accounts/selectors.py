"""Reads about signing in: how long a locked-out username still waits, whether a token expired."""

from __future__ import annotations

import datetime as dt
import math

from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone
from rest_framework.authtoken.models import Token


def lockout_retry_after(*, username: str | None, request=None, credentials=None) -> int:
    """Seconds (at least 1) until ``username`` may try to log in again.

    django-axes counts the failures of the attempts (one row per address and browser) whose
    last failure lies within the cool-off. The lock lifts when enough of the newest rows have
    aged out that the rest count fewer failures than the limit: walking from the newest row,
    the row that reaches the limit is the one whose expiry lifts it.
    """
    cool_off = get_cool_off(request) or dt.timedelta(0)
    limit = get_failure_limit(request, credentials)
    now = timezone.now()
    rows = (
        AccessAttempt.objects.filter(username=username, attempt_time__gte=now - cool_off)
        .order_by("-attempt_time")
        .values_list("attempt_time", "failures_since_start")
    )
    failures, lifts_at = 0, now + cool_off
    for attempt_time, count in rows:
        failures += count
        if failures >= limit:
            lifts_at = attempt_time + cool_off
            break
    return max(1, math.ceil((lifts_at - now).total_seconds()))


def token_expires_at(*, token: Token) -> dt.datetime:
    return token.created + settings.API_TOKEN_TTL


def token_is_expired(*, token: Token) -> bool:
    return timezone.now() >= token_expires_at(token=token)
