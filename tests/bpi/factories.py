import datetime as dt

import factory

from apps.bpi.models import Project, Status, Update
from apps.departments import roles
from tests.factories import EmployeeFactory, UserFactory


def person(*role_names, executive: bool = False, **kwargs):
    """An employee with a login holding ``role_names``: (user, employee)."""
    user = UserFactory(roles=list(role_names))
    employee = EmployeeFactory(user=user, is_executive=executive, **kwargs)
    return user, employee


def owner_person(**kwargs):
    return person(roles.PROJECT_OWNER, **kwargs)


def sponsor_person(**kwargs):
    return person(roles.EXECUTIVE, executive=True, **kwargs)


class ProjectFactory(factory.django.DjangoModelFactory):
    """A project written straight to the table (for reads and set-ups); rules are tested through
    the services."""

    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"BPI-{n:03d}")
    title = factory.Sequence(lambda n: f"Improve thing {n}")
    problem = "Customers wait too long."
    owner = factory.SubFactory(EmployeeFactory)
    sponsor = None
    start_date = dt.date(2026, 1, 1)
    due_date = dt.date(2026, 6, 30)
    status = Status.PROPOSED


class UpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Update

    project = factory.SubFactory(ProjectFactory)
    date = dt.date(2026, 2, 1)
    progress_percent = 10
