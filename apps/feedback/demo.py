"""Demo voice of the customer: twelve weeks of feedback over every channel and category, the
older items triaged and worked, some of them overdue, and the latest week rising in late
deliveries. Idempotent: items carry demo source references, so a second run creates nothing."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from apps.kpis.periods import Period, PeriodType

from . import services
from .models import Category, Channel, Feedback, Status

SAYINGS = {
    "late_delivery": ["The parcel came five days late.", "Still waiting for my order."],
    "damaged_goods": ["The box was crushed and the glass broken.", "Arrived wet and torn."],
    "wrong_item": ["I ordered blue and got red.", "Wrong size in the box."],
    "out_of_stock": ["Sold out again after I paid.", "Never back in stock."],
    "price": ["Cheaper at the shop next door.", "The price went up at checkout."],
    "description_mismatch": ["The photo shows a different model.", "Not the size described."],
    "website_problem": ["Checkout kept failing.", "Search finds nothing."],
    "rude_service": ["The agent hung up on me.", "Nobody answered my e-mail politely."],
    "problem_not_solved": ["Third call, still not fixed.", "They closed my ticket unsolved."],
    "other": ["Please add gift wrapping.", "Love the new app!"],
}
WEEKS = 12


def load(*, seed: int = 2026) -> dict[str, int]:
    categories = {c.code: c for c in Category.objects.filter(code__in=SAYINGS)}
    if not categories:
        return {"feedback_created": 0}
    rng = random.Random(seed)
    this_week = Period.for_date(timezone.localdate(), PeriodType.WEEK)
    channels = [c for c in Channel.values if c != Channel.SERVICE_DAY]
    rows = []
    for age, week in enumerate(reversed(this_week.previous().last(WEEKS))):
        for n in range(rng.randint(18, 30)):
            code = rng.choice(list(categories))
            if age == 0 and n % 3 == 0:
                code = "late_delivery" if "late_delivery" in categories else code
            received = timezone.make_aware(
                dt.datetime.combine(
                    week.start + dt.timedelta(days=rng.randrange(7)), dt.time(rng.randrange(8, 21))
                )
            )
            rows.append(
                {
                    "channel": rng.choice(channels),
                    "received_at": received,
                    "rating": rng.choice([1, 1, 2, 3, 4, None]),
                    "text": rng.choice(SAYINGS[code]),
                    "category": code,
                    "severity": rng.choice(["low", "medium", "medium", "high", "critical"]),
                    "order_ref": f"DEMO-O{len(rows):05d}",
                    "source_system": "demo",
                    "source_ref": f"demo-{week.key}-{n}",
                }
            )
    report = services.feedback_rows_create(rows=rows)
    if report.created:
        _work_older_items(rng)
    return {"feedback_created": report.created}


def _work_older_items(rng: random.Random) -> None:
    """Triage what is older than this week; move most of it along, leave some overdue."""
    cutoff = timezone.now() - dt.timedelta(days=7)
    for item in Feedback.objects.filter(
        source_system="demo", status=Status.NEW, received_at__lt=cutoff
    ).select_related("category__department__head"):
        if item.category is None or item.category.department is None:
            continue
        if item.category.department.head is None:
            continue
        item = services.feedback_triage(feedback=item)
        roll = rng.random()
        if roll < 0.6:
            services.feedback_transition(feedback=item, to=Status.RESOLVED,
                                         resolution="Refunded and apologised.")  # fmt: skip
        elif roll < 0.8:
            services.feedback_transition(feedback=item, to=Status.IN_PROGRESS)
