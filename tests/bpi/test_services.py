"""BPI projects through their services (SPEC §8): the status flow and who may move it, the
object rules, baselines, overdue, progress, impact and the reminders."""

import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.core import mail
from django.db import connection
from django.db.models import F
from django.utils import timezone

from apps.bpi import selectors, services
from apps.bpi.models import KPILink, Project, Status
from apps.departments import roles
from cxoffice.errors import ApplicationError, ConflictError, PermissionDeniedError
from tests.bpi.factories import (
    ProjectFactory,
    owner_person,
    person,
    sponsor_person,
)
from tests.factories import (
    DepartmentFactory,
    EmployeeFactory,
    KPIFactory,
    KPIResultFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
COMPANY_FIRST = F("department").asc(nulls_first=True)


@pytest.fixture
def people():
    owner_user, owner = owner_person()
    sponsor_user, sponsor = sponsor_person()
    admin = UserFactory(is_superuser=True)
    other_user, _ = owner_person()
    return {"owner": owner_user, "sponsor": sponsor_user, "admin": admin, "other": other_user,
            "owner_employee": owner, "sponsor_employee": sponsor}  # fmt: skip


def project_in(status, people, **kwargs):
    return ProjectFactory(
        status=status, owner=people["owner_employee"], sponsor=people["sponsor_employee"], **kwargs
    )


def create(user, **kwargs):
    values = {"code": "BPI-1", "title": "Faster refunds", "problem": "Refunds take 9 days.",
              "start_date": dt.date(2026, 1, 1), "due_date": dt.date(2026, 6, 30)}  # fmt: skip
    return services.project_create(user=user, **{**values, **kwargs})


# --- the status flow ---------------------------------------------------------------------------

LEGAL = [
    (origin, to, who)
    for origin, moves in services.TRANSITIONS.items()
    for to, who in moves.items()
]  # fmt: skip


def test_the_flow_is_the_one_of_the_spec():
    assert {(o, t) for o, t, _ in LEGAL} == {
        ("proposed", "approved"), ("proposed", "cancelled"),
        ("approved", "in_progress"), ("approved", "cancelled"),
        ("in_progress", "on_hold"), ("in_progress", "completed"), ("in_progress", "cancelled"),
        ("on_hold", "in_progress"), ("on_hold", "cancelled"),
        ("completed", "verified"),
    }  # fmt: skip
    assert {t for o, t, who in LEGAL if who == "sponsor"} == {"approved", "verified"}


@pytest.mark.parametrize(("origin", "to", "who"), LEGAL)
def test_each_legal_move_by_the_right_person(people, origin, to, who):
    project = project_in(origin, people)
    moved = services.project_transition(user=people[who], project=project, to=to)
    assert Project.objects.get(pk=project.pk).status == to == moved.status


@pytest.mark.parametrize(("origin", "to", "who"), LEGAL)
def test_each_legal_move_by_the_wrong_person_is_403(people, origin, to, who):
    project = project_in(origin, people)
    wrong = "owner" if who == "sponsor" else "sponsor"
    for user in (people[wrong], people["other"]):
        with pytest.raises(PermissionDeniedError) as refused:
            services.project_transition(user=user, project=project, to=to)
        assert refused.value.status_code == 403
    assert Project.objects.get(pk=project.pk).status == origin


@pytest.mark.parametrize(("origin", "to", "who"), LEGAL)
def test_an_administrator_makes_every_move(people, origin, to, who):
    project = project_in(origin, people)
    services.project_transition(user=people["admin"], project=project, to=to)
    assert Project.objects.get(pk=project.pk).status == to


ILLEGAL = [
    (origin, to)
    for origin in Status.values
    for to in Status.values
    if to not in services.TRANSITIONS[origin]
]


@pytest.mark.parametrize(("origin", "to"), ILLEGAL)
def test_illegal_moves_are_409_naming_the_allowed_next_states(people, origin, to):
    project = project_in(origin, people)
    with pytest.raises(ConflictError) as refused:
        services.project_transition(user=people["admin"], project=project, to=to)
    assert refused.value.status_code == 409
    assert refused.value.field == "to"
    for allowed in services.TRANSITIONS[origin]:
        assert f"“{Status(allowed).label}”" in refused.value.message
    assert Project.objects.get(pk=project.pk).status == origin


def test_proposed_to_completed_lists_approved_and_cancelled(people):
    project = project_in(Status.PROPOSED, people)
    with pytest.raises(ConflictError, match="allowed next: “Approved”, “Cancelled”"):
        services.project_transition(user=people["owner"], project=project, to="completed")


def test_an_unknown_status_is_400(people):
    project = project_in(Status.PROPOSED, people)
    with pytest.raises(ApplicationError) as refused:
        services.project_transition(user=people["owner"], project=project, to="done")
    assert (refused.value.status_code, refused.value.field) == (400, "to")


def test_the_owner_cannot_approve_their_own_project(people):
    project = project_in(Status.PROPOSED, people)
    with pytest.raises(PermissionDeniedError, match="sponsor"):
        services.project_transition(user=people["owner"], project=project, to="approved")


def test_completing_records_the_day(people):
    project = project_in(Status.IN_PROGRESS, people)
    services.project_transition(user=people["owner"], project=project, to="completed")
    project.refresh_from_db()
    assert project.completed_on == TODAY
    assert services.user_transitions(people["sponsor"], project) == ["verified"]
    assert services.user_transitions(people["owner"], project) == []


# --- people ------------------------------------------------------------------------------------


def test_the_sponsor_must_be_an_executive(people):
    not_executive = EmployeeFactory(is_executive=False)
    with pytest.raises(ApplicationError) as refused:
        create(people["owner"], sponsor=not_executive)
    assert (refused.value.field, refused.value.code) == ("sponsor", "sponsor_not_executive")
    assert not Project.objects.exists()


def test_the_sponsor_cannot_be_the_owner():
    user, executive = person(roles.EXECUTIVE, executive=True)
    with pytest.raises(ApplicationError) as refused:
        create(user, sponsor=executive)
    assert (refused.value.field, refused.value.code) == ("sponsor", "sponsor_is_owner")


def test_a_non_administrator_owns_what_they_create(people):
    project = create(people["owner"], sponsor=people["sponsor_employee"])
    assert project.owner == people["owner_employee"]
    assert project.status == Status.PROPOSED
    with pytest.raises(PermissionDeniedError):
        create(people["owner"], code="BPI-2", owner=EmployeeFactory())
    admin_made = create(people["admin"], code="BPI-3", owner=people["sponsor_employee"])
    assert admin_made.owner == people["sponsor_employee"]


def test_the_due_date_cannot_be_before_the_start(people):
    with pytest.raises(ApplicationError) as refused:
        create(people["owner"], start_date=dt.date(2026, 3, 1), due_date=dt.date(2026, 2, 1))
    assert (refused.value.field, refused.value.code) == ("due_date", "due_before_start")
    project = create(people["owner"])
    with pytest.raises(ApplicationError, match="due date"):
        services.project_update(
            user=people["owner"], project=project, data={"due_date": dt.date(2025, 1, 1)}
        )
    assert Project.objects.get().due_date == dt.date(2026, 6, 30)


def test_only_the_owner_or_an_administrator_edits(people):
    project = create(people["owner"], sponsor=people["sponsor_employee"])
    for user in (people["sponsor"], people["other"]):
        with pytest.raises(PermissionDeniedError):
            services.project_update(user=user, project=project, data={"title": "Mine now"})
        with pytest.raises(PermissionDeniedError):
            services.update_add(user=user, project=project, progress_percent=50)
    services.project_update(user=people["owner"], project=project, data={"title": "Owner's"})
    services.project_update(user=people["admin"], project=project, data={"priority": "high"})
    project.refresh_from_db()
    assert (project.title, project.priority) == ("Owner's", "high")
    with pytest.raises(PermissionDeniedError):
        services.project_update(
            user=people["owner"], project=project, data={"owner": EmployeeFactory()}
        )


def test_verified_and_cancelled_projects_are_read_only(people):
    for status in (Status.VERIFIED, Status.CANCELLED):
        project = project_in(status, people)
        with pytest.raises(ConflictError):
            services.update_add(user=people["owner"], project=project, progress_percent=100)
        with pytest.raises(ConflictError):
            services.project_update(user=people["admin"], project=project, data={"title": "x"})


def test_owners_delete_only_proposed_projects(people):
    approved = project_in(Status.APPROVED, people)
    with pytest.raises(ConflictError, match="cancel"):
        services.project_delete(user=people["owner"], project=approved)
    proposed = project_in(Status.PROPOSED, people)
    with pytest.raises(PermissionDeniedError):
        services.project_delete(user=people["other"], project=proposed)
    services.project_delete(user=people["owner"], project=proposed)
    services.project_delete(user=people["admin"], project=approved)
    assert not Project.objects.exists()


# --- baselines ---------------------------------------------------------------------------------


@pytest.fixture
def late_rate():
    """Monthly late-delivery rate for the company and two departments around a 2026-01-15
    start."""
    kpi = KPIFactory(code="delivery.late_rate", frequency="month", aggregation="mean",
                     direction="lower_is_better")  # fmt: skip
    logistics, support = DepartmentFactory(code="LOG"), DepartmentFactory(code="SUP")
    for period, value in (("2025-11", "12"), ("2025-12", "11"), ("2026-01", "9")):
        KPIResultFactory(kpi=kpi, period=period, value=D(value))
    KPIResultFactory(kpi=kpi, department=logistics, period="2025-10", value=D("14"))
    KPIResultFactory(kpi=kpi, department=support, period="2025-12", value=D("3"))
    return kpi, logistics, support


def test_the_baseline_defaults_to_the_latest_result_before_the_start(people, late_rate):
    kpi, logistics, _support = late_rate
    project = create(
        people["owner"], start_date=dt.date(2026, 1, 15),
        kpi_links=[{"kpi": kpi, "goal": D(5)}, {"kpi": kpi, "department": logistics, "goal": D(6)}],
    )  # fmt: skip
    company, department = project.kpi_links.order_by(COMPANY_FIRST)
    # Company: 2025-12 (2026-01 ends after the start and is ignored).
    assert (company.baseline, company.baseline_period) == (D(11), "2025-12")
    # Logistics: its own 2025-10 result, not support's later one nor the company's.
    assert (department.baseline, department.baseline_period) == (D(14), "2025-10")


def test_a_given_baseline_wins_and_no_result_leaves_it_empty(people, late_rate):
    kpi, _, support = late_rate
    project = create(
        people["owner"], start_date=dt.date(2025, 1, 1),
        kpi_links=[{"kpi": kpi, "goal": D(5), "baseline": D("10.5")},
                   {"kpi": kpi, "department": support, "goal": D(2)}],
    )  # fmt: skip
    given, empty = project.kpi_links.order_by(COMPANY_FIRST)
    assert (given.baseline, given.baseline_period) == (D("10.5"), "")
    assert (empty.baseline, empty.baseline_period) == (None, "")


def test_a_goal_or_baseline_outside_the_kpis_range_is_refused(people, late_rate):
    kpi, _, _support = late_rate  # a percentage
    for link, field in (
        ({"goal": D(500)}, "goal"),
        ({"goal": D(5), "baseline": D(-1)}, "baseline"),
    ):
        with pytest.raises(ApplicationError) as refused:
            create(people["owner"], kpi_links=[{"kpi": kpi, **link}])
        assert (refused.value.field, refused.value.code) == (field, "out_of_range")
    assert not Project.objects.exists()


def test_a_new_start_date_refreshes_defaulted_baselines_only(people, late_rate):
    kpi, logistics, _ = late_rate
    project = create(
        people["owner"], start_date=dt.date(2026, 1, 15),
        kpi_links=[{"kpi": kpi, "goal": D(5)},
                   {"kpi": kpi, "department": logistics, "goal": D(6), "baseline": D(15)}],
    )  # fmt: skip
    services.project_update(
        user=people["owner"], project=project, data={"start_date": dt.date(2025, 12, 10)}
    )
    company, department = project.kpi_links.order_by(COMPANY_FIRST)
    assert (company.baseline, company.baseline_period) == (D(12), "2025-11")
    assert department.baseline == D(15)


def test_a_given_list_of_links_replaces_the_old_one(people, late_rate):
    kpi, _logistics, support = late_rate
    other = KPIFactory(code="service.csat", frequency="month")
    project = create(
        people["owner"], start_date=dt.date(2026, 1, 15),
        kpi_links=[{"kpi": kpi, "goal": D(5)}, {"kpi": other, "goal": D(90)}],
    )  # fmt: skip
    kept = project.kpi_links.get(kpi=kpi)
    services.project_update(
        user=people["owner"], project=project, data={},
        kpi_links=[{"kpi": kpi, "goal": D(4), "baseline": D(11)},
                   {"kpi": kpi, "department": support, "goal": D(2)}],
    )  # fmt: skip
    links = {(link.kpi.code, link.department_id): link for link in project.kpi_links.all()}
    assert set(links) == {("delivery.late_rate", None), ("delivery.late_rate", support.pk)}
    same = links[("delivery.late_rate", None)]
    # The same link, its defaulted baseline (unchanged value) still traced to its period.
    assert (same.pk, same.goal, same.baseline_period) == (kept.pk, D(4), "2025-12")
    with pytest.raises(ApplicationError) as refused:
        services.project_update(
            user=people["owner"], project=project, data={},
            kpi_links=[{"kpi": kpi, "goal": D(4)}, {"kpi": kpi, "goal": D(3)}],
        )  # fmt: skip
    assert (refused.value.field, refused.value.code) == ("kpi_links", "duplicate_link")
    assert project.kpi_links.count() == 2


# --- overdue, progress, impact -----------------------------------------------------------------


def test_overdue_means_due_passed_and_not_finished(people):
    yesterday, tomorrow = TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=1)
    start = TODAY - dt.timedelta(days=30)
    late = {status: project_in(status, people, start_date=start, due_date=yesterday)
            for status in Status.values}  # fmt: skip
    project_in(Status.IN_PROGRESS, people, start_date=start, due_date=tomorrow)
    project_in(Status.IN_PROGRESS, people, start_date=start, due_date=TODAY)
    overdue = set(selectors.projects_overdue())
    assert overdue == {late[s] for s in ("proposed", "approved", "in_progress", "on_hold")}
    assert {p for p in Project.objects.all() if p.is_overdue} == overdue


def test_progress_is_the_latest_update(people):
    project = project_in(Status.IN_PROGRESS, people)
    assert selectors.project_list().get().progress is None
    services.update_add(
        user=people["owner"], project=project, progress_percent=60, date=dt.date(2026, 3, 1)
    )
    services.update_add(  # entered later, but about an earlier day
        user=people["owner"], project=project, progress_percent=30, date=dt.date(2026, 2, 1)
    )
    assert selectors.project_list().get().progress == 60
    with pytest.raises(ApplicationError) as refused:
        services.update_add(user=people["owner"], project=project, progress_percent=101)
    assert refused.value.field == "progress_percent"
    assert project.updates.first().author == people["owner"]


def test_impact_is_measured_after_completion(people, late_rate):
    kpi, _, _ = late_rate
    project = create(
        people["owner"], start_date=dt.date(2025, 12, 15), kpi_links=[{"kpi": kpi, "goal": D(5)}]
    )
    Project.objects.filter(pk=project.pk).update(
        status=Status.COMPLETED, completed_on=dt.date(2026, 1, 20)
    )
    loaded = selectors.project_list().get()
    selectors.attach_current_values([loaded])
    link = loaded.kpi_links.all()[0]
    # Baseline 12 (2025-11); 2026-01 ends after completion: 9, gap closed 3/7.
    assert (link.baseline, link.current, link.current_period) == (D(12), D(9), "2026-01")
    assert (link.impact.status, link.impact.gap_closed_percent) == ("improved", D("42.9"))

    Project.objects.filter(pk=project.pk).update(completed_on=dt.date(2026, 2, 10))
    loaded = selectors.project_list().get()
    selectors.attach_current_values([loaded])
    assert loaded.kpi_links.all()[0].impact.status == "unknown"  # nothing measured after it yet

    Project.objects.filter(pk=project.pk).update(status=Status.IN_PROGRESS, completed_on=None)
    loaded = selectors.project_list().get()
    selectors.attach_current_values([loaded])
    assert loaded.kpi_links.all()[0].impact is None


# --- reminders ---------------------------------------------------------------------------------


def test_reminders_go_to_owners_of_overdue_projects_only(people):
    yesterday = TODAY - dt.timedelta(days=1)
    start = TODAY - dt.timedelta(days=60)
    project_in(Status.IN_PROGRESS, people, code="LATE-1", start_date=start, due_date=yesterday)
    project_in(Status.ON_HOLD, people, code="LATE-2", start_date=start, due_date=yesterday)
    project_in(Status.COMPLETED, people, code="DONE-1", start_date=start, due_date=yesterday)
    on_time = EmployeeFactory(email="on.time@example.com")
    ProjectFactory(owner=on_time, code="FINE-1", start_date=start, due_date=TODAY)
    no_address = EmployeeFactory(email="")
    ProjectFactory(owner=no_address, code="LATE-3", start_date=start, due_date=yesterday)

    summary = services.remind_overdue_project_owners()

    assert summary == {"sent": 1, "projects": 3, "skipped": 1}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [people["owner_employee"].email]
    for code in ("LATE-1", "LATE-2"):
        assert code in message.body
    for code in ("DONE-1", "FINE-1", "LATE-3"):
        assert code not in message.body
    assert "2 overdue" in message.subject


def test_links_are_kept_once_per_kpi_and_scope_in_the_database(people, late_rate):
    kpi, _, _ = late_rate
    project = create(people["owner"], kpi_links=[{"kpi": kpi, "goal": D(5)}])
    with pytest.raises(ApplicationError):
        services.kpi_link_save(
            user=people["owner"], link=KPILink(project=project), data={"kpi": kpi, "goal": D(4)}
        )
    assert project.kpi_links.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_moves_at_once_give_one_move_and_a_409():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrent connections need PostgreSQL (SQLite serialises writers)")
    owner = EmployeeFactory(user=UserFactory())
    project = ProjectFactory(owner=owner, status=Status.IN_PROGRESS)
    barrier = threading.Barrier(2)
    outcomes = []

    def move(to):
        try:
            barrier.wait(timeout=10)
            services.project_transition(user=owner.user, project=project, to=to)
            outcomes.append(to)
        except ApplicationError as error:
            outcomes.append(error.code)
        except Exception as error:  # a 500 in the API: reported by the assertion below
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(to,)) for to in ("completed", "on_hold")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert "illegal_transition" in outcomes, outcomes
    [done] = [o for o in outcomes if o != "illegal_transition"]
    assert Project.objects.get().status == done
