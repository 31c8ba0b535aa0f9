"""Every write to a day of service, with its rules (SPEC §9).

An executive logs and edits only their own days: the executive of a new day is the signed-in
user's employee, not a free choice. Administrators (superusers) log and edit anyone's; HR and
everyone else with access read. A finding's follow-up creates a BPI project through the BPI
services — proposed, owned by the head of the finding's responsible department when known (else
by the executive), sponsored by the executive — and links the two both ways.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.bpi import services as bpi_services
from apps.bpi.models import Project
from apps.departments.models import Department, Employee
from apps.feedback import services as feedback_services
from apps.kpis.periods import Period, PeriodType
from cxoffice.errors import ApplicationError, ConflictError, PermissionDeniedError
from cxoffice.mail import reminder, send_all
from cxoffice.services import apply_changes, validate_and_save

from .models import Finding, FollowUp, Quota, ServiceDay

DAY_FIELDS = ("date", "department", "role_played", "hours", "customers_served", "summary")
FINDING_FIELDS = ("description", "category", "severity", "department", "kpi")
FOLLOW_UP_DAYS = 90  # a project from a finding is due a quarter after it was raised


def _is_admin(user) -> bool:
    return bool(user is not None and user.is_active and user.is_superuser)


def can_edit(user, day: ServiceDay) -> bool:
    """Executives edit their own days; administrators all (``user`` None: the system)."""
    return (
        user is None
        or _is_admin(user)
        or (
            user is not None
            and day.executive.user_id is not None
            and day.executive.user_id == user.pk
        )
    )


def check_can_edit(user, day: ServiceDay) -> None:
    if not can_edit(user, day):
        raise PermissionDeniedError(
            _("Only %(executive)s (or an administrator) can change this day of service.")
            % {"executive": day.executive.full_name},
            code="not_own_day",
        )


def executive_for(user, executive: Employee | None = None) -> Employee:
    """The executive of a new day: the user's own employee record; administrators name anyone."""
    if (user is None or _is_admin(user)) and executive is not None:
        chosen = executive
    elif _is_admin(user) and bpi_services.user_employee(user) is None:
        raise ApplicationError(
            _("Name the executive who served this day."), field="executive", code="required"
        )
    else:
        chosen = bpi_services.user_employee(user)
        if chosen is None:
            raise PermissionDeniedError(
                _("Your login is not linked to an employee, so you cannot log days of service."),
                code="no_employee",
            )
        if executive is not None and executive.pk != chosen.pk:
            raise PermissionDeniedError(
                _("You can log days of service only for yourself."), code="not_own_day"
            )
    if not chosen.is_executive:
        raise ApplicationError(
            _("%(name)s is not an executive.") % {"name": chosen.full_name},
            field="executive",
            code="not_executive",
        )
    return chosen


def check_day_free(*, executive: Employee, date: date, exclude: int | None = None) -> None:
    """One day of service per executive and date."""
    taken = ServiceDay.objects.filter(executive=executive, date=date)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise _duplicate_day(executive, date)


def _duplicate_day(executive: Employee, day: date) -> ApplicationError:
    return ApplicationError(
        _("%(name)s already logged a day of service on %(date)s.")
        % {"name": executive.full_name, "date": day.isoformat()},
        field="date",
        code="duplicate_day",
    )


def _save_day(day: ServiceDay) -> ServiceDay:
    check_day_free(executive=day.executive, date=day.date, exclude=day.pk)
    try:
        # Under a race the other day may appear after the check above: the model's unique
        # check or the database's constraint then refuses it. The savepoint keeps the caller's
        # transaction usable for the refusal.
        with transaction.atomic():
            return validate_and_save(day)
    except (IntegrityError, ApplicationError):
        check_day_free(executive=day.executive, date=day.date, exclude=day.pk)
        raise


@transaction.atomic
def service_day_create(
    *,
    user,
    date: date,
    department: Department,
    role_played: str,
    hours: Decimal,
    customers_served: int = 0,
    summary: str = "",
    executive: Employee | None = None,
    findings: list[dict[str, Any]] | None = None,
) -> ServiceDay:
    day = ServiceDay(
        executive=executive_for(user, executive), date=date, department=department,
        role_played=role_played, hours=hours, customers_served=customers_served, summary=summary,
    )  # fmt: skip
    _save_day(day)
    for data in findings or []:
        _finding_save(Finding(service_day=day), data)
    return day


@transaction.atomic
def service_day_update(*, user, day: ServiceDay, data: dict[str, Any]) -> ServiceDay:
    """Change a day's fields; its executive never changes (log a new day instead)."""
    day = (
        ServiceDay.objects.select_for_update(of=("self",))
        .select_related("executive")
        .get(pk=day.pk)
    )
    check_can_edit(user, day)
    if "executive" in data and data["executive"] is not None and data["executive"] != day.executive:
        raise ApplicationError(
            _("A day of service keeps its executive; log a new day for someone else."),
            field="executive",
            code="executive_fixed",
        )
    apply_changes(instance=day, fields=DAY_FIELDS, data=data)
    return _save_day(day)


@transaction.atomic
def service_day_delete(*, user, day: ServiceDay) -> None:
    check_can_edit(user, day)
    if day.findings.exclude(follow_up_type=FollowUp.NONE).exists():
        raise ConflictError(
            _("This day has findings that were followed up; it is kept as their source."),
            field="findings",
            code="followed_up",
        )
    day.delete()


def _finding_save(finding: Finding, data: dict[str, Any]) -> Finding:
    apply_changes(instance=finding, fields=FINDING_FIELDS, data=data)
    return validate_and_save(finding)


@transaction.atomic
def finding_save(*, user, finding: Finding, data: dict[str, Any]) -> Finding:
    """Add a finding to a day, or change one (the day's executive or an administrator)."""
    check_can_edit(user, finding.service_day)
    return _finding_save(finding, data)


@transaction.atomic
def finding_delete(*, user, finding: Finding) -> None:
    # Read the follow-up from the row, not from the caller's copy (it may predate a follow-up).
    finding = (
        Finding.objects.select_for_update(of=("self",))
        .select_related("service_day__executive")
        .get(pk=finding.pk)
    )
    check_can_edit(user, finding.service_day)
    if finding.follow_up_type != FollowUp.NONE:
        raise ConflictError(
            _("This finding was followed up and is kept as the source of its follow-up."),
            field="follow_up_type",
            code="followed_up",
        )
    finding.delete()


@transaction.atomic
def finding_follow_up(
    *, user, finding: Finding, to: str = FollowUp.BPI_PROJECT, code: str | None = None,
    title: str | None = None,
) -> Finding:  # fmt: skip
    """Turn a finding into a BPI project (proposed) or a feedback item (new, channel
    ``service_day``, for triage), linked both ways. Once only (409)."""
    finding = (
        Finding.objects.select_for_update(of=("self",))
        .select_related("service_day__executive", "department__head", "category")
        .get(pk=finding.pk)
    )
    check_can_edit(user, finding.service_day)
    if finding.follow_up_type != FollowUp.NONE:
        raise ConflictError(
            _("This finding was already followed up (%(follow_up)s).")
            % {"follow_up": finding.get_follow_up_type_display()},
            field="follow_up_type",
            code="already_followed_up",
        )
    if to == FollowUp.FEEDBACK:
        finding.feedback = feedback_services.feedback_from_finding(finding=finding)
        finding.follow_up_type = FollowUp.FEEDBACK
        finding.save(update_fields=["follow_up_type", "feedback"])
        return finding
    if to != FollowUp.BPI_PROJECT:
        raise ApplicationError(
            _("Unknown follow-up %(to)s; use one of: %(choices)s.")
            % {"to": to, "choices": ", ".join([FollowUp.BPI_PROJECT, FollowUp.FEEDBACK])},
            field="to",
            code="invalid_choice",
        )
    executive = finding.service_day.executive
    head = finding.department.head if finding.department else None
    owner = head or executive
    today = timezone.localdate()
    project = bpi_services.project_create(
        user=None,
        code=code or _next_code(today),
        title=title or (finding.description.strip().splitlines() or [""])[0][:200],
        problem=finding.description,
        owner=owner,
        sponsor=executive if owner.pk != executive.pk else None,
        start_date=today,
        due_date=today + timedelta(days=FOLLOW_UP_DAYS),
        departments=[finding.department] if finding.department else [],
    )
    finding.follow_up_type = FollowUp.BPI_PROJECT
    finding.bpi_project = project
    finding.save(update_fields=["follow_up_type", "bpi_project"])
    return finding


def _next_code(today: date) -> str:
    """SD-<year>-<n>: the next free number among projects raised from days of service."""
    prefix = f"SD-{today.year}-"
    taken = Project.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    numbers = [int(code[len(prefix) :]) for code in taken if code[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


@transaction.atomic
def quota_save(*, quota: Quota, data: dict[str, Any]) -> Quota:
    apply_changes(instance=quota, fields=("executive", "days_per_quarter"), data=data)
    if quota.executive is not None and not quota.executive.is_executive:
        raise ApplicationError(
            _("%(name)s is not an executive.") % {"name": quota.executive.full_name},
            field="executive",
            code="not_executive",
        )
    return validate_and_save(quota)


def remind_executives_behind_quota(*, today: date | None = None) -> dict[str, int]:
    """E-mail each executive who is behind their quota in the current quarter (SPEC §14).
    Executives without an e-mail address are counted as skipped."""
    from .selectors import compliance  # the selectors read the models this module writes

    today = today or timezone.localdate()
    quarter = Period.for_date(today, PeriodType.QUARTER)
    messages, skipped, behind = [], 0, 0
    for row in compliance(quarter, today=today):
        if not row.behind:
            continue
        behind += 1
        if not row.executive.email:
            skipped += 1
            continue
        paragraphs = [
            _(
                "You have served %(done)d of %(required)d days of service this quarter "
                "(%(quarter)s); %(expected)d were due by now."
            )
            % {
                "done": row.done,
                "required": row.required,
                "quarter": quarter.key,
                "expected": row.expected,
            },
            _("Your last day of service: %(last)s.")
            % {"last": row.last_date.isoformat() if row.last_date else _("none yet")},
        ]
        messages.append(
            reminder(
                to=row.executive.email,
                name=row.executive.full_name,
                subject=_("cxoffice: you are behind your days of service for %(quarter)s")
                % {"quarter": quarter.key},
                paragraphs=paragraphs,
            )
        )
    return {"sent": send_all(messages), "behind": behind, "skipped": skipped}
