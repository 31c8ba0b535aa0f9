import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from apps.departments.models import Assignment, Department, Employee
from apps.kpis.calculations import ratio_value
from apps.kpis.models import (
    KPI,
    RATIO_SCALE,
    Aggregation,
    Direction,
    Frequency,
    KPIResult,
    Unit,
)
from apps.kpis.periods import Period
from apps.targets.models import Target


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))
        if create:
            self.save()


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"Department {n}")


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    employee_number = factory.Sequence(lambda n: f"E{n:05d}")
    full_name = factory.Faker("name")
    email = factory.LazyAttribute(lambda o: f"{o.employee_number.lower()}@example.com")
    title = "Analyst"
    hire_date = dt.date(2024, 1, 1)
    base_salary = Decimal("60000.00")


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    employee = factory.SubFactory(EmployeeFactory)
    department = factory.SubFactory(DepartmentFactory)
    start_date = factory.LazyAttribute(lambda o: o.employee.hire_date)
    end_date = None


class KPIFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KPI
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"test.kpi_{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace(".", " ").title())
    unit = Unit.PERCENT
    direction = Direction.HIGHER_IS_BETTER
    aggregation = Aggregation.RATIO
    frequency = Frequency.WEEK
    decimals = 1


class KPIResultFactory(factory.django.DjangoModelFactory):
    """A result; period fields follow from ``period``. For ratio KPIs give numerator and
    denominator and the value is derived as the service would."""

    class Meta:
        model = KPIResult

    kpi = factory.SubFactory(KPIFactory)
    scope = factory.LazyAttribute(
        lambda o: "employee" if o.employee else "department" if o.department else "company"
    )
    department = None
    employee = None
    period = "2026-11"
    period_type = factory.LazyAttribute(lambda o: Period.parse(o.period).type)
    period_start = factory.LazyAttribute(lambda o: Period.parse(o.period).start)
    period_end = factory.LazyAttribute(lambda o: Period.parse(o.period).end)
    period_anchor = factory.LazyAttribute(lambda o: Period.parse(o.period).anchor)
    numerator = None
    denominator = None
    value = factory.LazyAttribute(
        lambda o: (
            ratio_value(Decimal(o.numerator), Decimal(o.denominator), RATIO_SCALE[o.kpi.unit])
            if o.denominator is not None
            else Decimal("50")
        )
    )


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    kpi = factory.SubFactory(KPIFactory)
    scope = factory.LazyAttribute(
        lambda o: "employee" if o.employee else "department" if o.department else "company"
    )
    department = None
    employee = None
    threshold = Decimal("80")
    target = Decimal("90")
    stretch = Decimal("95")
