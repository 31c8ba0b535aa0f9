"""Actions agreed in a review: a responsible person, an objective and a due date — through the
API (CRUD, filters, refusals naming their field) and the service."""

import datetime as dt

import pytest

from apps.departments import roles
from apps.reviews import services
from apps.reviews.models import ActionStatus, ReviewAction
from cxoffice.errors import ApplicationError
from tests.factories import EmployeeFactory, KPIFactory

from .factories import ReviewActionFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/review-actions/"


@pytest.fixture
def owner(db):
    return EmployeeFactory(employee_number="E0100", full_name="Ana Souza")


@pytest.fixture
def steward_api(api_for):
    return api_for(roles.DATA_STEWARD)


def test_a_data_steward_agrees_an_action_with_owner_objective_and_due_date(
    steward_api, owner, clock
):
    clock("2026-11-23 09:00")  # the Monday review of W47
    KPIFactory(code="delivery.late_rate")
    response = steward_api.post(
        URL,
        {"week": "2026-w47", "objective": "Audit the carrier hand-over", "owner": "E0100",
         "due_date": "2026-12-04", "kpi": "delivery.late_rate"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("week", "objective", "owner", "owner_name", "due_date",
                                 "status", "kpi", "is_overdue")} == {
        "week": "2026-W47", "objective": "Audit the carrier hand-over", "owner": "E0100",
        "owner_name": "Ana Souza", "due_date": "2026-12-04", "status": "open",
        "kpi": "delivery.late_rate", "is_overdue": False,
    }  # fmt: skip
    action = ReviewAction.objects.get()
    assert action.created_by.groups.get().name == roles.DATA_STEWARD
    clock("2026-12-05 09:00")  # the day after it was due
    assert steward_api.get(f"{URL}{action.pk}/").json()["is_overdue"] is True


def test_marking_done_records_the_day_and_reopening_clears_it(steward_api, owner):
    action = ReviewActionFactory(owner=owner)
    response = steward_api.patch(f"{URL}{action.pk}/", {"status": "done"}, format="json")
    assert response.status_code == 200
    assert response.json()["done_on"] is not None
    response = steward_api.patch(f"{URL}{action.pk}/", {"status": "open"}, format="json")
    assert response.json()["done_on"] is None


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"week": "2026-11"}, "week", "not_week"),
        ({"week": "soon"}, "week", "invalid_period"),
        ({"due_date": "2026-11-15"}, "due_date", "before_week"),
        ({"owner": "E9999"}, "owner", "does_not_exist"),
        ({"objective": ""}, "objective", "blank"),
        ({"status": "maybe"}, "status", "invalid_choice"),
    ],
)
def test_bad_input_is_400_naming_the_field(steward_api, owner, changes, field, code):
    data = {"week": "2026-W47", "objective": "Do it", "owner": "E0100", "due_date": "2026-12-04"}
    response = steward_api.post(URL, {**data, **changes}, format="json")
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == (field, code)
    assert ReviewAction.objects.count() == 0


def test_an_owner_leaving_before_the_due_date_is_refused(owner):
    owner.leave_date = dt.date(2026, 11, 30)
    owner.save()
    with pytest.raises(ApplicationError) as refused:
        services.action_create(week="2026-W47", objective="x", owner=owner,
                               due_date=dt.date(2026, 12, 4))  # fmt: skip
    assert refused.value.field == "owner"


def test_filters_by_week_owner_and_status(steward_api, owner):
    mine = ReviewActionFactory(owner=owner, week="2026-W47")
    ReviewActionFactory(owner=owner, week="2026-W46", status=ActionStatus.DONE)
    ReviewActionFactory(week="2026-W47")

    def ids(**params):
        response = steward_api.get(URL, params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids(week="2026-W47", owner="E0100", status="open") == {mine.pk}
    assert len(ids(week="2026-W47")) == 2
    assert len(ids(owner="E0100")) == 2
    assert len(ids(status="done")) == 1


def test_a_bad_week_filter_is_400_naming_week(steward_api):
    response = steward_api.get(URL, {"week": "2026-W60"})
    assert response.status_code == 400
    assert response.json()["field"] == "week"
    assert "2026-W47" in response.json()["detail"]


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [(roles.EXECUTIVE, 200, 201), (roles.PROJECT_OWNER, 200, 201), (roles.HR, 200, 403),
     (roles.EMPLOYEE, 403, 403)],
)  # fmt: skip
def test_who_reads_and_who_writes_actions(api_for, owner, role, read, write):
    client = api_for(role)
    assert client.get(URL).status_code == read
    data = {"week": "2026-W47", "objective": "Do it", "owner": "E0100", "due_date": "2026-12-04"}
    assert client.post(URL, data, format="json").status_code == write


def test_only_administrators_delete_actions(steward_api, api_for, owner):
    action = ReviewActionFactory(owner=owner)
    assert steward_api.delete(f"{URL}{action.pk}/").status_code == 403
    from rest_framework.test import APIClient

    from tests.factories import UserFactory

    client = APIClient()
    client.force_authenticate(UserFactory(is_superuser=True))
    assert client.delete(f"{URL}{action.pk}/").status_code == 204
    assert not ReviewAction.objects.exists()
