import datetime as dt
from decimal import Decimal

import factory

from apps.departments import roles
from apps.service_days.models import Finding, Quota, ServiceDay
from tests.factories import DepartmentFactory, EmployeeFactory, UserFactory


class ExecutiveFactory(EmployeeFactory):
    """An executive with a login in the Executive role."""

    is_executive = True
    title = "Director"
    user = factory.SubFactory(UserFactory, roles=[roles.EXECUTIVE])


class ServiceDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceDay

    executive = factory.SubFactory(ExecutiveFactory)
    date = factory.Sequence(lambda n: dt.date(2026, 10, 1) + dt.timedelta(days=n))
    department = factory.SubFactory(DepartmentFactory)
    role_played = "hotline agent"
    hours = Decimal("8")
    customers_served = 30
    summary = "Customers asked where their parcels were."


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Finding

    service_day = factory.SubFactory(ServiceDayFactory)
    description = factory.Sequence(lambda n: f"Tracking page shows a stale status ({n})")
    category = None
    severity = "high"


class QuotaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quota

    executive = None
    days_per_quarter = 3
