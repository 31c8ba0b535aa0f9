import datetime as dt
from decimal import Decimal

import pytest

from apps.bpi.models import KPILink, Project, Status
from apps.departments import roles
from apps.kpis.models import Direction
from apps.reviews.models import ActionStatus
from tests.bpi.factories import ProjectFactory
from tests.factories import (
    DepartmentFactory,
    EmployeeFactory,
    KPIFactory,
    KPIResultFactory,
    TargetFactory,
)
from tests.feedback.factories import CategoryFactory, at
from tests.service_days.factories import FindingFactory, ServiceDayFactory

from .factories import ReviewActionFactory, W, feedback_rows

# The voice of the customer of the fixture week, by hand.
# (week, channel, category code or None, how many)
FEEDBACK = [
    ("2026-W42", "web", "late_delivery", 7),  # before the five weeks: not counted
    ("2026-W43", "phone", "late_delivery", 2),
    ("2026-W43", "email", "price", 1),
    ("2026-W44", "web", "late_delivery", 1),
    ("2026-W44", "chat", "wrong_item", 2),
    ("2026-W45", "web", "price", 3),
    ("2026-W45", "social", None, 1),
    ("2026-W46", "phone", "late_delivery", 1),
    ("2026-W46", "web", "late_delivery", 2),
    ("2026-W46", "survey", "price", 1),
    ("2026-W47", "web", "late_delivery", 4),
    ("2026-W47", "phone", "late_delivery", 2),
    ("2026-W47", "email", "wrong_item", 3),
    ("2026-W47", "social", "price", 1),
    ("2026-W47", "service_day", None, 1),
    ("2026-W48", "web", "late_delivery", 5),  # after the week: not counted
]
# channel: (W47, W46, mean of W43…W46 as the API's string)
BY_CHANNEL = {
    "phone": (2, 1, "0.75"),  # 2, 0, 0, 1
    "web": (4, 2, "1.5"),  # 0, 1, 3, 2
    "email": (3, 0, "0.25"),  # 1, 0, 0, 0
    "chat": (0, 0, "0.5"),  # 0, 2, 0, 0
    "survey": (0, 1, "0.25"),  # 0, 0, 0, 1
    "social": (1, 0, "0.25"),  # 0, 0, 1, 0
    "service_day": (1, 0, "0"),
}
TOTAL = (11, 4, "3.5")  # weeks 43…46: 3, 3, 4, 4
# biggest first: (code, W47, W46, mean of W43…W46, change vs previous, change vs average)
BY_CATEGORY = [
    ("late_delivery", 6, 3, "1.5", 3, "4.5"),  # 2, 1, 0, 3
    ("wrong_item", 3, 0, "0.5", 3, "2.5"),  # 0, 2, 0, 0
    ("price", 1, 1, "1.25", 0, "-0.25"),  # 1, 0, 3, 1
    (None, 1, 0, "0.25", 1, "0.75"),  # 0, 0, 1, 0
]
RISERS = ["late_delivery", "wrong_item"]


@pytest.fixture
def categories(db):
    distribution = DepartmentFactory(code="DIST", name="Distribution")
    warehouse = DepartmentFactory(code="WH", name="Warehouse")
    product = DepartmentFactory(code="PROD", name="Product")
    return {
        "late_delivery": CategoryFactory(code="late_delivery", name="Late delivery",
                                         department=distribution),
        "wrong_item": CategoryFactory(code="wrong_item", name="Wrong item", department=warehouse),
        "price": CategoryFactory(code="price", name="Price", department=product),
    }  # fmt: skip


@pytest.fixture
def feedback_week(categories):
    return feedback_rows(FEEDBACK, categories)


@pytest.fixture
def kpis(db):
    """The late-delivery tree (red in W47, one child explains it) and CSAT (on target)."""
    late = KPIFactory(
        code="delivery.late_rate", name="Late-delivery rate", direction=Direction.LOWER_IS_BETTER
    )
    carrier = KPIFactory(
        code="delivery.late_carrier",
        name="Late because of the carrier",
        direction=Direction.LOWER_IS_BETTER,
        parent=late,
    )
    warehouse = KPIFactory(
        code="delivery.late_warehouse",
        name="Late in the warehouse",
        direction=Direction.LOWER_IS_BETTER,
        parent=late,
    )
    csat = KPIFactory(code="cx.csat", name="CSAT")
    for kpi in (late, carrier, warehouse):
        TargetFactory(kpi=kpi, threshold=Decimal(8), target=Decimal(5), stretch=Decimal(3))
    TargetFactory(kpi=csat, threshold=Decimal(80), target=Decimal(85), stretch=Decimal(90))
    for period, value in (("2026-W45", "7"), ("2026-W46", "8.5"), ("2026-W47", "9.5")):
        KPIResultFactory(kpi=late, period=period, value=Decimal(value))
    KPIResultFactory(kpi=carrier, period=W.key, value=Decimal("6.5"))
    KPIResultFactory(kpi=warehouse, period=W.key, value=Decimal("3"))
    KPIResultFactory(kpi=csat, period=W.key, value=Decimal("87"))
    return {"late": late, "carrier": carrier, "warehouse": warehouse, "csat": csat}


@pytest.fixture
def projects(kpis):
    """New in W47, overdue on the review day, completed in W47 (and one completed before)."""
    owner = EmployeeFactory(full_name="Hui Ribeiro")
    new = ProjectFactory(
        code="BPI-NEW", owner=owner, start_date=dt.date(2026, 12, 1), due_date=dt.date(2027, 3, 31)
    )
    late = ProjectFactory(
        code="BPI-LATE",
        owner=owner,
        status=Status.IN_PROGRESS,
        start_date=dt.date(2026, 9, 1),
        due_date=dt.date(2026, 11, 13),
    )
    done = ProjectFactory(
        code="BPI-DONE",
        owner=owner,
        status=Status.COMPLETED,
        start_date=dt.date(2026, 8, 1),
        due_date=dt.date(2026, 12, 31),
        completed_on=dt.date(2026, 11, 18),
    )
    before = ProjectFactory(
        code="BPI-BEFORE",
        owner=owner,
        status=Status.VERIFIED,
        start_date=dt.date(2026, 8, 1),
        due_date=dt.date(2026, 12, 31),
        completed_on=dt.date(2026, 11, 6),
    )
    KPILink.objects.create(project=done, kpi=kpis["late"], baseline=Decimal(10), goal=Decimal(6))
    Project.objects.filter(pk=new.pk).update(created_at=at(W.start + dt.timedelta(days=2)))
    Project.objects.exclude(pk=new.pk).update(created_at=at(dt.date(2026, 7, 1)))
    return {"new": new, "late": late, "done": done, "before": before}


@pytest.fixture
def service_days(db):
    day = ServiceDayFactory(
        date=W.start + dt.timedelta(days=2),
        role_played="delivery rider",
        customers_served=12,
        hours=Decimal("7.5"),
    )
    FindingFactory(service_day=day, description="Parcels left at the wrong door")
    FindingFactory(service_day=day, description="Drivers lack the new route app")
    ServiceDayFactory(date=W.start - dt.timedelta(days=3))  # the week before
    return day


@pytest.fixture
def actions(db):
    owner = EmployeeFactory(full_name="Ana Souza", employee_number="E0100")
    return {
        "this_week": ReviewActionFactory(owner=owner, objective="Audit the carrier hand-over",
                                         due_date=dt.date(2026, 12, 4)),
        "carried": ReviewActionFactory(week="2026-W45", owner=owner,
                                       objective="Fix the tracking page",
                                       due_date=dt.date(2026, 11, 20)),
        "closed": ReviewActionFactory(week="2026-W45", status=ActionStatus.DONE,
                                      objective="Already done"),
        "later": ReviewActionFactory(week="2026-W48", objective="Next week's"),
    }  # fmt: skip


@pytest.fixture
def full_week(feedback_week, kpis, projects, service_days, actions):
    return {"kpis": kpis, "projects": projects, "service_day": service_days, "actions": actions}


@pytest.fixture
def reader_api(api_for):
    return api_for(roles.EXECUTIVE)
