import datetime as dt

import factory

from apps.feedback.models import Feedback
from apps.kpis.periods import Period
from apps.reviews.models import ActionStatus, ReviewAction
from tests.factories import EmployeeFactory
from tests.feedback.factories import at

W = Period.parse("2026-W47")  # Monday 16 to Sunday 22 November 2026
TODAY = dt.date(2026, 11, 23)  # the Monday after: the day the review is built


class ReviewActionFactory(factory.django.DjangoModelFactory):
    """An action written straight to the table; rules are tested through the services."""

    class Meta:
        model = ReviewAction

    week = W.key
    objective = factory.Sequence(lambda n: f"Call back the customers of complaint batch {n}")
    owner = factory.SubFactory(EmployeeFactory)
    due_date = dt.date(2026, 11, 30)
    status = ActionStatus.OPEN


def feedback_rows(table, categories) -> list[Feedback]:
    """Feedback items for rows of (week key, channel, category code or None, how many), spread
    over each week, the last one late on Sunday (still inside the week)."""
    items = []
    for key, channel, code, count in table:
        week = Period.parse(key)
        for n in range(count):
            day = week.start + dt.timedelta(days=n % 7)
            items.append(
                Feedback(
                    channel=channel,
                    category=categories.get(code),
                    department=categories[code].department if code else None,
                    received_at=at(week.end, 23) if n == count - 1 else at(day),
                    text=f"{key} {channel} {code} {n}",
                    rating=1 + n % 5,
                )
            )
    return Feedback.objects.bulk_create(items)
