"""The voice of the customer for a week against a hand-computed table (issue 7's acceptance):
by channel, by category, vs the previous week and vs the 4-week average; risers, verbatims,
overdue items; a constant number of queries whatever the volume."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.feedback import selectors
from apps.feedback.models import Category, Feedback, Status
from apps.kpis.periods import Period

from .factories import FeedbackFactory, at

pytestmark = pytest.mark.django_db

W = Period.parse("2026-W47")  # Monday 16 to Sunday 22 November 2026
TODAY = dt.date(2026, 11, 23)

# (week, channel, category code or None, how many)
FIXTURE = [
    ("2026-W42", "web", "late_delivery", 10),  # before the window: ignored
    ("2026-W43", "web", "late_delivery", 2),
    ("2026-W43", "phone", "price", 2),
    ("2026-W44", "web", "late_delivery", 1),
    ("2026-W44", "email", "wrong_item", 1),
    ("2026-W45", "web", "late_delivery", 3),
    ("2026-W46", "web", "late_delivery", 2),
    ("2026-W46", "phone", "price", 1),
    ("2026-W46", "chat", None, 1),
    ("2026-W47", "web", "late_delivery", 5),
    ("2026-W47", "phone", "price", 1),
    ("2026-W47", "email", "wrong_item", 2),
    ("2026-W47", "survey", None, 1),
    ("2026-W48", "phone", "price", 4),  # after the week: ignored
]

# Hand-computed: (W47, W46, mean of W43–W46)
BY_CHANNEL = {
    "phone": (1, 1, Decimal("0.75")),
    "web": (5, 2, Decimal("2")),
    "email": (2, 0, Decimal("0.25")),
    "chat": (0, 1, Decimal("0.25")),
    "survey": (1, 0, Decimal("0")),
    "social": (0, 0, Decimal("0")),
    "service_day": (0, 0, Decimal("0")),
}
BY_CATEGORY = [  # biggest first
    ("late_delivery", 5, 2, Decimal("2")),
    ("wrong_item", 2, 0, Decimal("0.25")),
    ("price", 1, 1, Decimal("0.75")),
    (None, 1, 1, Decimal("0.25")),
]


@pytest.fixture
def week_data(catalog):
    categories = {c.code: c for c in Category.objects.all()}
    for key, channel, code, count in FIXTURE:
        week = Period.parse(key)
        for n in range(count):
            # Spread over the week, the last one late on Sunday (still in the week).
            day = week.start + dt.timedelta(days=n % 7)
            FeedbackFactory(
                channel=channel,
                category=categories.get(code),
                received_at=at(week.end, 23) if n == count - 1 else at(day),
                text="" if channel == "survey" else f"{key} {channel} {n}",
                rating=None,
            )


def test_counts_match_the_hand_computed_table(week_data):
    voc = selectors.voice_of_customer(W, today=TODAY)
    assert voc.week == "2026-W47"
    assert voc.previous_week == "2026-W46"
    assert voc.average_weeks == ("2026-W43", "2026-W44", "2026-W45", "2026-W46")
    got = {row.key: (row.count, row.previous, row.average) for row in voc.by_channel}
    assert got == BY_CHANNEL
    assert [row.key for row in voc.by_channel] == [
        "phone", "web", "email", "chat", "survey", "social", "service_day"
    ]  # fmt: skip
    assert [(r.key, r.count, r.previous, r.average) for r in voc.by_category] == BY_CATEGORY
    assert (voc.total.count, voc.total.previous, voc.total.average) == (9, 4, Decimal("3.25"))
    assert voc.total.history == (4, 2, 3, 4)
    web = next(row for row in voc.by_channel if row.key == "web")
    assert (web.change_vs_previous, web.change_vs_average) == (3, Decimal("3"))
    assert web.percent_vs_average == Decimal("150.0")
    assert [(r.key, r.change_vs_average) for r in voc.risers] == [
        ("late_delivery", Decimal("3")),
        ("wrong_item", Decimal("1.75")),
        ("price", Decimal("0.25")),
    ]


def test_verbatims_worst_first_and_overdue(catalog):
    FeedbackFactory(received_at=at(W.start), rating=4, text="fine")
    FeedbackFactory(received_at=at(W.start + dt.timedelta(days=1)), rating=1, text="awful, old")
    FeedbackFactory(received_at=at(W.start + dt.timedelta(days=2)), rating=1, text="awful, new")
    FeedbackFactory(received_at=at(W.start), rating=None, text="no rating")
    FeedbackFactory(received_at=at(W.start), rating=1, text="")  # nothing said
    FeedbackFactory(received_at=at(W.start - dt.timedelta(days=1)), rating=1, text="last week")
    late = FeedbackFactory(received_at=at(W.start), due_date=dt.date(2026, 11, 20), text="late")
    Feedback.objects.filter(pk=late.pk).update(status=Status.IN_PROGRESS)
    done = FeedbackFactory(due_date=dt.date(2026, 11, 20))
    Feedback.objects.filter(pk=done.pk).update(status=Status.CLOSED)
    FeedbackFactory(due_date=TODAY)
    voc = selectors.voice_of_customer(W, today=TODAY)
    assert [v.text for v in voc.verbatims] == [
        "awful, new", "awful, old", "late", "fine", "no rating"
    ]  # fmt: skip
    # "late" has the factory's rating 3.
    assert [(o.id, o.days_overdue) for o in voc.overdue] == [(late.pk, 3)]
    assert voc.overdue_count == 1


def _count_queries(func) -> int:
    with CaptureQueriesContext(connection) as context:
        func()
    return len(context.captured_queries)


def test_week_aggregates_cost_the_same_for_10_and_1000_items(catalog):
    categories = list(Category.objects.all())
    channels = ["web", "phone", "email", "chat", "survey"]

    def add(n):
        Feedback.objects.bulk_create(
            Feedback(
                channel=channels[i % 5],
                category=categories[i % len(categories)],
                received_at=at(W.start - dt.timedelta(days=i % 35)),
                rating=1 + i % 5,
                text=f"said {i}",
                due_date=dt.date(2026, 11, 1),
                status=Status.TRIAGED,
            )
            for i in range(n)
        )

    add(10)
    small = _count_queries(lambda: selectors.voice_of_customer(W, today=TODAY))
    add(990)
    big = _count_queries(lambda: selectors.voice_of_customer(W, today=TODAY))
    assert small == big <= 5
    voc = selectors.voice_of_customer(W, today=TODAY)
    assert voc.overdue_count == 1000
    assert sum(row.count for row in voc.by_category) == voc.total.count
    chart = _count_queries(lambda: selectors.volume_by_category(W))
    assert chart == 1
    assert sum(selectors.volume_by_category(W).totals) == 1000


def test_week_filter_of_the_api(week_data, cs_api):
    body = cs_api.get("/api/v1/feedback/?week=2026-W47&page_size=100").json()
    assert body["count"] == 9
    body = cs_api.get("/api/v1/feedback/?week=2026-W47&channel=web&category=late_delivery").json()
    assert body["count"] == 5
    for bad in ("2026-47", "2026-11", "2026-W54"):
        response = cs_api.get(f"/api/v1/feedback/?week={bad}")
        assert response.status_code == 400, bad
        assert (response.json()["field"], response.json()["code"]) == ("week", "invalid_period")
