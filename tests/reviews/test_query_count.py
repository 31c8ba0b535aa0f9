"""The review of a week with 100,000 feedback items costs the same number of queries as with
ten (issue 7's acceptance): every count is an aggregate in the database, every list is loaded
with its relations up front. Runs in the ordinary suite (about ten seconds on SQLite)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.feedback.models import Feedback, Severity, Status
from apps.reviews import selectors

from .factories import TODAY, W

pytestmark = pytest.mark.django_db

CHANNELS = ["phone", "web", "email", "chat", "survey", "social", "service_day"]
BATCH = 10_000


def _items(start: int, stop: int, categories: list) -> list[Feedback]:
    """Items over the 12 weeks up to W (most in W's five weeks), some overdue, some rated."""
    first = W.start - dt.timedelta(weeks=11)
    return [
        Feedback(
            channel=CHANNELS[i % len(CHANNELS)],
            category=categories[i % len(categories)] if i % 9 else None,
            received_at=dt.datetime.combine(
                first + dt.timedelta(days=i % 84), dt.time(i % 24), tzinfo=dt.UTC
            ),
            rating=1 + i % 5 if i % 4 else None,
            text=f"said {i}" if i % 3 else "",
            severity=Severity.HIGH,
            status=Status.TRIAGED if i % 2 else Status.NEW,
            due_date=dt.date(2026, 11, 1) if i % 5 == 0 else None,
        )
        for i in range(start, stop)
    ]


def _count(func) -> int:
    with CaptureQueriesContext(connection) as context:
        func()
    return len(context.captured_queries)


def test_the_review_of_100000_items_costs_the_queries_of_10(
    categories, kpis, projects, service_days, actions, reader_api, django_assert_num_queries
):
    categories = list(categories.values())
    Feedback.objects.bulk_create(_items(0, 10, categories))
    build = _count(lambda: selectors.build_review(W, today=TODAY))
    reader_api.get(f"/api/v1/weekly-reviews/{W.key}/")  # the caller's permissions, once
    api = _count(lambda: reader_api.get(f"/api/v1/weekly-reviews/{W.key}/"))
    print(f"\nweekly review with 10 feedback items: {build} queries (API: {api})")
    assert build <= 20

    for start in range(10, 100_000, BATCH):
        Feedback.objects.bulk_create(_items(start, min(start + BATCH, 100_000), categories))
    assert Feedback.objects.count() == 100_000

    with django_assert_num_queries(build):
        data = selectors.build_review(W, today=TODAY)
    with django_assert_num_queries(api):
        response = reader_api.get(f"/api/v1/weekly-reviews/{W.key}/")
    assert response.status_code == 200
    voc = data["voice_of_customer"]
    assert voc["total"]["count"] == sum(row["count"] for row in voc["by_channel"]) > 8_000
    assert voc["overdue_count"] == 20_000
    assert len(voc["verbatims"]) == 10
    assert len(voc["overdue"]) == 20  # the list is capped; the count is not
