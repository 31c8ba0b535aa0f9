import datetime as dt

import factory
from django.utils import timezone

from apps.feedback.models import Category, Channel, Feedback
from tests.factories import DepartmentFactory


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cat_{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("_", " ").capitalize())
    department = factory.SubFactory(DepartmentFactory)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """An aware time on a local day."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    channel = Channel.WEB
    received_at = factory.LazyFunction(timezone.now)
    text = factory.Sequence(lambda n: f"Customer comment {n}")
    rating = 3
