"""Every write to a BPI project, with its rules (SPEC §8).

Object rules, the same through the admin and the API: a project's owner edits it (fields, KPI
links, updates, milestones) and moves it along the flow; its sponsor approves and verifies it;
administrators (superusers) may do everything; everyone else with access reads. Decisions where
the spec is silent: the sponsor must be an executive other than the owner (approval is a second
person's call); a non-administrator creates projects only for themselves (the owner is the
signed-in user's employee); verified and cancelled projects are read-only (409).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.departments.models import Department, Employee
from apps.kpis.selectors import PeriodValue, kpi_latest_values
from apps.kpis.services import check_in_range
from cxoffice.errors import ApplicationError, ConflictError, PermissionDeniedError
from cxoffice.mail import reminder, send_all
from cxoffice.services import apply_changes, validate_and_save

from .models import KPILink, Milestone, Project, Status, Update
from .selectors import link_holder

OWNER, SPONSOR = "owner", "sponsor"
# The status flow: from → {to: who may do it}. Administrators may do every move in the table.
TRANSITIONS: dict[str, dict[str, str]] = {
    Status.PROPOSED: {Status.APPROVED: SPONSOR, Status.CANCELLED: OWNER},
    Status.APPROVED: {Status.IN_PROGRESS: OWNER, Status.CANCELLED: OWNER},
    Status.IN_PROGRESS: {Status.ON_HOLD: OWNER, Status.COMPLETED: OWNER, Status.CANCELLED: OWNER},
    Status.ON_HOLD: {Status.IN_PROGRESS: OWNER, Status.CANCELLED: OWNER},
    Status.COMPLETED: {Status.VERIFIED: SPONSOR},
    Status.VERIFIED: {},
    Status.CANCELLED: {},
}
READ_ONLY_STATUSES = (Status.VERIFIED, Status.CANCELLED)
PROJECT_FIELDS = (
    "code", "title", "problem", "root_cause", "sponsor", "priority", "start_date", "due_date",
)  # fmt: skip


def _is_admin(user) -> bool:
    return bool(user is not None and user.is_active and user.is_superuser)


def user_employee(user) -> Employee | None:
    """The employee record of a login (None for logins without one)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Employee.objects.filter(user=user).first()


def is_owner(user, project: Project) -> bool:
    return (
        user is not None and project.owner.user_id is not None and project.owner.user_id == user.pk
    )


def is_sponsor(user, project: Project) -> bool:
    return (
        user is not None
        and project.sponsor is not None
        and project.sponsor.user_id is not None
        and project.sponsor.user_id == user.pk
    )


def can_edit(user, project: Project) -> bool:
    """Owners edit their own projects; administrators edit all."""
    return _is_admin(user) or is_owner(user, project)


def check_can_edit(user, project: Project) -> None:
    if user is not None and not can_edit(user, project):
        raise PermissionDeniedError(
            _("Only the owner of project %(code)s (or an administrator) can change it.")
            % {"code": project.code},
            code="not_owner",
        )
    if project.status in READ_ONLY_STATUSES:
        raise ConflictError(
            _("Project %(code)s is %(status)s and read-only.")
            % {"code": project.code, "status": project.get_status_display()},
            field="status",
            code="project_closed",
        )


def project_check(
    *,
    owner: Employee | None,
    sponsor: Employee | None,
    start_date: date | None,
    due_date: date | None,
) -> None:
    """The rules on a project's own fields, for every door to check before writing: the due
    date is not before the start; the sponsor is an executive other than the owner."""
    if start_date is not None and due_date is not None and due_date < start_date:
        raise ApplicationError(
            _("The due date cannot be before the start date."),
            field="due_date",
            code="due_before_start",
        )
    if sponsor is None:
        return
    if not sponsor.is_executive:
        raise ApplicationError(
            _("The sponsor must be an executive."), field="sponsor", code="sponsor_not_executive"
        )
    if owner is not None and sponsor.pk == owner.pk:
        raise ApplicationError(
            _("The sponsor must be someone other than the owner."),
            field="sponsor",
            code="sponsor_is_owner",
        )


def _check_project(project: Project) -> None:
    project_check(
        owner=project.owner,
        sponsor=project.sponsor,
        start_date=project.start_date,
        due_date=project.due_date,
    )


def project_owner_for(user, owner: Employee | None) -> Employee:
    """Who owns a new project: administrators and the system name anyone; others themselves."""
    if user is None or _is_admin(user):
        if owner is None:
            mine = user_employee(user)
            if mine is None:
                raise ApplicationError(
                    _("Name the project's owner."), field="owner", code="required"
                )
            return mine
        return owner
    mine = user_employee(user)
    if mine is None:
        raise ApplicationError(
            _("Your login is not linked to an employee, so you cannot own a project."),
            field="owner",
            code="no_employee",
        )
    if owner is not None and owner.pk != mine.pk:
        raise PermissionDeniedError(
            _("You can create projects only with yourself as the owner."), code="not_owner"
        )
    return mine


@transaction.atomic
def project_create(
    *,
    user,
    code: str,
    title: str,
    problem: str,
    start_date: date,
    due_date: date,
    owner: Employee | None = None,
    sponsor: Employee | None = None,
    root_cause: str = "",
    priority: str = "medium",
    departments: list[Department] | None = None,
    kpi_links: list[dict[str, Any]] | None = None,
    milestones: list[dict[str, Any]] | None = None,
) -> Project:
    """A new project, proposed. ``user`` None is the system (a service-day follow-up)."""
    project = Project(
        code=code, title=title, problem=problem, root_cause=root_cause,
        owner=project_owner_for(user, owner), sponsor=sponsor, priority=priority,
        start_date=start_date, due_date=due_date,
    )  # fmt: skip
    _check_project(project)
    validate_and_save(project)
    if departments:
        project.departments.set(departments)
    if kpi_links:
        _links_replace(project, kpi_links)
    for milestone in milestones or []:
        milestone_save(user=None, milestone=Milestone(project=project), data=milestone)
    return project


@transaction.atomic
def project_update(
    *,
    user,
    project: Project,
    data: dict[str, Any],
    departments: list[Department] | None = None,
    kpi_links: list[dict[str, Any]] | None = None,
) -> Project:
    """Change a project's fields (the owner or an administrator). The owner changes only through
    an administrator; the status only through :func:`project_transition`. ``kpi_links``, when
    given, replaces the project's links (kept where the KPI and scope match). A new start date
    (or, for links naming no department, another set of departments) refreshes the baselines
    that were defaulted from the results."""
    project = (
        Project.objects.select_for_update(of=("self",))
        .select_related("owner", "sponsor")
        .get(pk=project.pk)
    )
    check_can_edit(user, project)
    fields = list(PROJECT_FIELDS)
    if "owner" in data and data["owner"] != project.owner:
        if not _is_admin(user) and user is not None:
            raise PermissionDeniedError(
                _("Only an administrator can hand a project to another owner."), code="not_owner"
            )
        fields.append("owner")
    changed = apply_changes(instance=project, fields=fields, data=data)
    _check_project(project)
    validate_and_save(project)
    if departments is not None:
        before = set(project.departments.values_list("pk", flat=True))
        project.departments.set(departments)
        if {department.pk for department in departments} != before:
            changed.append("departments")  # links naming no department may measure another
    if kpi_links is not None:
        _links_replace(project, kpi_links)
    if {"start_date", "departments"} & set(changed):
        links = project.kpi_links.select_related("kpi", "department")
        if "start_date" not in changed:
            links = links.filter(department=None)
        for link in links:
            if link.baseline is None or link.baseline_period:
                link.project = project
                _link_save(link, {"baseline": None})
    return project


def can_delete(user, project: Project) -> bool:
    """Administrators delete any project; owners their own while it is only proposed (once
    approved it is history: cancel it instead)."""
    return _is_admin(user) or (is_owner(user, project) and project.status == Status.PROPOSED)


@transaction.atomic
def project_delete(*, user, project: Project) -> None:
    if not _is_admin(user):
        check_can_edit(user, project)
        if project.status != Status.PROPOSED:
            raise ConflictError(
                _("Project %(code)s is %(status)s: cancel it instead of deleting it.")
                % {"code": project.code, "status": project.get_status_display()},
                field="status",
                code="not_proposed",
            )
    project.delete()


def allowed_transitions(project: Project) -> list[str]:
    return list(TRANSITIONS.get(project.status, {}))


def user_transitions(user, project: Project) -> list[str]:
    """The moves this user may make now (for buttons in the admin)."""
    return [
        to
        for to, who in TRANSITIONS.get(project.status, {}).items()
        if _is_admin(user)
        or (who == OWNER and is_owner(user, project))
        or (who == SPONSOR and is_sponsor(user, project))
    ]


@transaction.atomic
def project_transition(*, user, project: Project, to: str) -> Project:
    """Move a project along the flow of SPEC §8: an illegal move is a 409 naming the allowed
    next states; a legal move by the wrong person a 403."""
    project = (
        Project.objects.select_for_update(of=("self",))
        .select_related("owner", "sponsor")
        .get(pk=project.pk)
    )
    if to not in Status.values:
        raise ApplicationError(
            _("Unknown status %(to)s; use one of: %(statuses)s.")
            % {"to": to, "statuses": ", ".join(Status.values)},
            field="to",
            code="invalid_choice",
        )
    allowed = TRANSITIONS.get(project.status, {})
    if to not in allowed:
        raise ConflictError(
            _("A project in status “%(status)s” cannot become “%(to)s”; allowed next: %(allowed)s.")
            % {
                "status": project.get_status_display(),
                "to": Status(to).label,
                "allowed": ", ".join(f"“{Status(s).label}”" for s in allowed)
                or _("none (the project is closed)"),
            },
            field="to",
            code="illegal_transition",
        )
    who = allowed[to]
    if not _is_admin(user):
        if who == SPONSOR and not is_sponsor(user, project):
            raise PermissionDeniedError(
                _("Only the sponsor of project %(code)s (or an administrator) can make it %(to)s.")
                % {"code": project.code, "to": Status(to).label},
                code="not_sponsor",
            )
        if who == OWNER and not is_owner(user, project):
            raise PermissionDeniedError(
                _("Only the owner of project %(code)s (or an administrator) can make it %(to)s.")
                % {"code": project.code, "to": Status(to).label},
                code="not_owner",
            )
    project.status = to
    if to == Status.COMPLETED:
        project.completed_on = timezone.localdate()
    project.save(update_fields=["status", "completed_on"])
    return project


# --- KPI links, updates, milestones ------------------------------------------------------------


def default_baseline(link: KPILink) -> PeriodValue | None:
    """The latest value of the link's KPI before the project's start, in the scope the link
    measures (``selectors.link_holder``), read as every value is (explicit, rolled up from finer
    periods, or from sub-departments), with its period and basis."""
    project = link.project
    # The stored departments, not a list prefetched before a change made in this request.
    holder = link_holder(link, project_departments=project.departments.values_list("pk", flat=True))
    latest = kpi_latest_values([(link.kpi, holder)], before=project.start_date)
    return latest.get((link.kpi_id, holder))


def _link_save(link: KPILink, data: dict[str, Any]) -> KPILink:
    """Save a link; a baseline left empty (or given as null) is the latest value before the
    project's start, and such a defaulted baseline follows a change of the KPI or scope."""
    changed = []
    for field in ("kpi", "department", "baseline", "goal"):
        if field not in data:
            continue
        # Compared by id: a new link has no KPI yet to fetch.
        attname = KPILink._meta.get_field(field).attname
        value = data[field]
        new = value.pk if field in ("kpi", "department") and value is not None else value
        if getattr(link, attname) != new:
            changed.append(field)
        setattr(link, field, value)
    moved = {"kpi", "department"} & set(changed) and link.baseline_period
    if moved and "baseline" not in changed:
        link.baseline = None
    if link.baseline is None and link.kpi_id is not None:
        latest = default_baseline(link)
        link.baseline = latest.value.value if latest else None
        link.baseline_period = latest.period.key if latest else ""
        link.baseline_basis = latest.value.basis if latest else ""
    elif "baseline" in changed:
        link.baseline_period = link.baseline_basis = ""  # given by hand
    if link.kpi_id is not None:
        for field in ("baseline", "goal"):
            check_in_range(link.kpi, getattr(link, field), field)
    return validate_and_save(link)


def check_kpi_links(rows: list[dict[str, Any]]) -> None:
    """A project links each KPI once per scope (a department, or the company)."""
    seen = set()
    for row in rows:
        kpi, department = row.get("kpi"), row.get("department")
        key = (kpi.pk if kpi else None, department.pk if department else None)
        if key in seen:
            raise ApplicationError(
                _("KPI %(kpi)s is linked twice for %(scope)s.")
                % {"kpi": kpi.code, "scope": department.code if department else _("the company")},
                field="kpi_links",
                code="duplicate_link",
            )
        seen.add(key)


def _links_replace(project: Project, rows: list[dict[str, Any]]) -> None:
    """Make the project's links exactly ``rows``: a link of the same KPI and scope is updated in
    place (a row without ``baseline`` keeps the link's), others are created, and links not
    listed are deleted."""
    check_kpi_links(rows)
    existing = {(link.kpi_id, link.department_id): link for link in project.kpi_links.all()}
    keep = set()
    for row in rows:
        department = row.get("department")
        key = (row["kpi"].pk, department.pk if department else None)
        link = existing.get(key) or KPILink(project=project)
        link.project = project
        _link_save(link, row)
        keep.add(link.pk)
    project.kpi_links.exclude(pk__in=keep).delete()


@transaction.atomic
def kpi_link_save(*, user, link: KPILink, data: dict[str, Any]) -> KPILink:
    """Add or change a KPI link; an empty baseline takes the latest result before the start."""
    check_can_edit(user, link.project)
    return _link_save(link, data)


@transaction.atomic
def kpi_link_delete(*, user, link: KPILink) -> None:
    check_can_edit(user, link.project)
    link.delete()


@transaction.atomic
def update_add(
    *, user, project: Project, progress_percent: int, note: str = "", date: date | None = None
) -> Update:
    """A progress update by the owner; the project's progress is its latest update's."""
    check_can_edit(user, project)
    update = Update(
        project=project,
        progress_percent=progress_percent,
        note=note,
        date=date or timezone.localdate(),
        author=user,
    )
    return validate_and_save(update)


@transaction.atomic
def milestone_save(*, user, milestone: Milestone, data: dict[str, Any]) -> Milestone:
    check_can_edit(user, milestone.project)
    apply_changes(instance=milestone, fields=("title", "due_date", "done_on"), data=data)
    return validate_and_save(milestone)


@transaction.atomic
def milestone_delete(*, user, milestone: Milestone) -> None:
    check_can_edit(user, milestone.project)
    milestone.delete()


def remind_overdue_project_owners(*, today: date | None = None) -> dict[str, int]:
    """E-mail each owner of overdue projects one message listing them (SPEC §14). Owners
    without an e-mail address are counted as skipped. Returns {"sent", "projects", "skipped"}."""
    from .selectors import projects_overdue  # the selectors read the models this module writes

    today = today or timezone.localdate()
    by_owner: dict[int, list[Project]] = {}
    for project in projects_overdue(today):
        by_owner.setdefault(project.owner_id, []).append(project)
    messages, skipped = [], 0
    for projects in by_owner.values():
        owner = projects[0].owner
        if not owner.email:
            skipped += 1
            continue
        lines = [
            _("%(code)s %(title)s — due %(due)s, %(status)s")
            % {
                "code": p.code,
                "title": p.title,
                "due": p.due_date.isoformat(),
                "status": p.get_status_display(),
            }
            for p in projects
        ]
        messages.append(
            reminder(
                to=owner.email,
                name=owner.full_name,
                subject=ngettext(
                    "cxoffice: %(count)d overdue BPI project",
                    "cxoffice: %(count)d overdue BPI projects",
                    len(projects),
                )
                % {"count": len(projects)},
                paragraphs=[
                    _("These BPI projects you own are past their due date:"),
                    "\n".join(lines),
                    _("Post an update with the new plan, or move the due date."),
                ],
            )
        )
    return {
        "sent": send_all(messages),
        "projects": sum(len(p) for p in by_owner.values()),
        "skipped": skipped,
    }
