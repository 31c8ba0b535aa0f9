"""Writes to single feedback items: create, edit, triage, move along the status flow, and the
admin's bulk actions — each refusal an ApplicationError naming the field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.departments.models import Department, Employee
from cxoffice.errors import ApplicationError, ConflictError, RowError
from cxoffice.mail import reminder, send_all
from cxoffice.services import apply_changes, validate_and_save

from ..models import (
    DEFAULT_RESPONSE_HOURS,
    DONE_STATUSES,
    Category,
    Channel,
    Feedback,
    ResponseTime,
    Severity,
    Status,
)

# The fields a person edits; status moves only through transitions, resolved_at with them.
EDITABLE_FIELDS = (
    "channel", "received_at", "customer_ref", "order_ref", "rating", "text", "category",
    "department", "severity", "owner", "due_date", "resolution", "kpi", "bpi_project",
)  # fmt: skip
CREATE_FIELDS = (*EDITABLE_FIELDS, "source_system", "source_ref")

# status → the statuses it may move to. Resolved items may be reopened (in progress) or closed;
# a new item may be closed straight away (spam, duplicate); closed is final.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NEW: (Status.TRIAGED, Status.CLOSED),
    Status.TRIAGED: (Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED),
    Status.IN_PROGRESS: (Status.RESOLVED, Status.CLOSED),
    Status.RESOLVED: (Status.IN_PROGRESS, Status.CLOSED),
    Status.CLOSED: (),
}


class ItemsError(ApplicationError):
    """A bulk action refused as a whole because of the listed items (by id); nothing changed."""

    def __init__(self, errors: list[RowError], *, status_code: int = 400) -> None:
        first = errors[0]
        super().__init__(
            ngettext(
                "Item #%(id)s: %(detail)s (%(count)s item refused; nothing was changed).",
                "Item #%(id)s: %(detail)s (%(count)s items refused; nothing was changed).",
                len(errors),
            )
            % {"id": first.index, "detail": first.detail, "count": len(errors)},
            field=first.field,
            code=first.code,
        )
        self.errors = errors
        self.status_code = status_code

    def as_dict(self) -> dict:
        errors = [{"id": e.index, "field": e.field, "detail": e.detail, "code": e.code}
                  for e in self.errors]  # fmt: skip
        return {**super().as_dict(), "errors": errors}


def allowed_transitions(feedback: Feedback) -> list[str]:
    return list(TRANSITIONS.get(feedback.status, ()))


@transaction.atomic
def feedback_create(**fields: Any) -> Feedback:
    """A new item (status new). Given a category but no department, the item goes to the
    category's default department."""
    feedback = Feedback(**{k: v for k, v in fields.items() if k in CREATE_FIELDS})
    if feedback.category_id and feedback.department_id is None:
        feedback.department_id = feedback.category.department_id
    _check_source_ref(feedback)
    return validate_and_save(feedback)


def _check_source_ref(feedback: Feedback) -> None:
    """One item per source reference, refused on the reference (the unique constraint's error
    names no field)."""
    if feedback.source_ref and (
        Feedback.objects.filter(
            source_system=feedback.source_system, source_ref=feedback.source_ref
        )
        .exclude(pk=feedback.pk)
        .exists()
    ):
        raise ApplicationError(
            _("This source already delivered an item with this reference."),
            field="source_ref",
            code="duplicate",
        )


@transaction.atomic
def feedback_update(*, feedback: Feedback, data: dict[str, Any]) -> Feedback:
    if "status" in data and data["status"] != feedback.status:
        raise ApplicationError(
            _('Change the status through a transition (POST …/transition/ {"to": …}).'),
            field="status",
            code="read_only",
        )
    apply_changes(instance=feedback, fields=EDITABLE_FIELDS, data=data)
    _check_source_ref(feedback)
    return validate_and_save(feedback)


def response_hours(severity: str) -> int:
    """Hours to resolve an item of this severity: the ResponseTime row, else the default."""
    row = ResponseTime.objects.filter(severity=severity).values_list("hours", flat=True).first()
    return row or DEFAULT_RESPONSE_HOURS[Severity(severity)]


def due_date_for(received_at: dt.datetime, severity: str) -> dt.date:
    """The local day on which ``hours`` after receipt falls."""
    return timezone.localdate(received_at + dt.timedelta(hours=response_hours(severity)))


@transaction.atomic
def feedback_triage(
    *,
    feedback: Feedback,
    category: Category | None = None,
    department: Department | None = None,
    owner: Employee | None = None,
    severity: str | None = None,
    due_date: dt.date | None = None,
) -> Feedback:
    """Route an item: category → responsible department (the category's default unless given)
    → owner (that department's head unless given) → due date (received + the response time of
    its severity unless given). A new item becomes triaged; an item already being worked keeps
    its status (re-routing); resolved and closed items cannot be triaged (409)."""
    feedback = Feedback.objects.select_for_update().get(pk=feedback.pk)
    if feedback.status in DONE_STATUSES:
        raise ConflictError(
            _("A %(status)s item cannot be triaged; reopen it first.")
            % {"status": feedback.get_status_display()},
            field="status",
            code="illegal_transition",
        )
    category = category or feedback.category
    if category is None:
        raise ApplicationError(
            _("Choose a category to triage the item."), field="category", code="required"
        )
    if not category.is_active:
        raise ApplicationError(
            _("The category %(code)s is no longer in use.") % {"code": category.code},
            field="category",
            code="inactive",
        )
    department = department or category.department
    if department is None:
        raise ApplicationError(
            _("The category %(code)s has no default department; choose one.")
            % {"code": category.code},
            field="department",
            code="required",
        )
    owner = owner or department.head
    if owner is None:
        raise ApplicationError(
            _("The department %(code)s has no head; choose an owner.") % {"code": department.code},
            field="owner",
            code="required",
        )
    if severity is not None:
        if severity not in Severity.values:
            raise ApplicationError(
                _("Severity must be one of: %(choices)s.")
                % {"choices": ", ".join(Severity.values)},
                field="severity",
                code="invalid_choice",
            )
        feedback.severity = severity
    feedback.category = category
    feedback.department = department
    feedback.owner = owner
    feedback.due_date = due_date or due_date_for(feedback.received_at, feedback.severity)
    if feedback.status == Status.NEW:
        feedback.status = Status.TRIAGED
    return validate_and_save(feedback)


def _check_transition(feedback: Feedback, to: str) -> None:
    if to not in Status.values:
        raise ApplicationError(
            _("Unknown status %(to)s; use one of: %(statuses)s.")
            % {"to": to, "statuses": ", ".join(Status.values)},
            field="to",
            code="invalid_choice",
        )
    allowed = TRANSITIONS[feedback.status]
    if to not in allowed:
        raise ConflictError(
            _("An item in status “%(status)s” cannot become “%(to)s”; allowed next: %(allowed)s.")
            % {
                "status": feedback.get_status_display(),
                "to": Status(to).label,
                "allowed": ", ".join(f"“{Status(s).label}”" for s in allowed)
                or _("none (the item is closed)"),
            },
            field="to",
            code="illegal_transition",
        )
    if to == Status.TRIAGED and feedback.department_id is None:
        raise ApplicationError(
            _("Give the item a responsible department before it is triaged (or triage it)."),
            field="department",
            code="required",
        )


def _move(feedback: Feedback, to: str, resolution: str | None) -> None:
    feedback.status = to
    if resolution:
        feedback.resolution = resolution
    if to == Status.RESOLVED:
        feedback.resolved_at = timezone.now()
    elif to == Status.IN_PROGRESS:
        feedback.resolved_at = None  # reopened


@transaction.atomic
def feedback_transition(*, feedback: Feedback, to: str, resolution: str | None = None) -> Feedback:
    """Move an item along new → triaged → in_progress → resolved / closed (:data:`TRANSITIONS`).
    An illegal move is a 409 naming the allowed next states; resolving sets ``resolved_at`` and
    may record the resolution."""
    feedback = Feedback.objects.select_for_update().get(pk=feedback.pk)
    _check_transition(feedback, to)
    _move(feedback, to, resolution)
    feedback.save(update_fields=["status", "resolution", "resolved_at"])
    return feedback


@transaction.atomic
def feedback_bulk_transition(*, feedback_ids: Iterable[int], to: str) -> int:
    """Move many items at once, all or nothing: any item that cannot move refuses the whole
    request (:class:`ItemsError` listing each by its id; 409 when only the flow forbids it)."""
    items = list(Feedback.objects.select_for_update().filter(pk__in=list(feedback_ids)))
    errors: list[RowError] = []
    conflict = True
    for item in items:
        try:
            _check_transition(item, to)
        except ApplicationError as error:
            conflict = conflict and isinstance(error, ConflictError)
            errors.append(RowError(item.pk, error.field, str(error.message), error.code))
    if errors:
        raise ItemsError(errors, status_code=409 if conflict else 400)
    for item in items:
        _move(item, to, None)
    Feedback.objects.bulk_update(items, ["status", "resolved_at"], batch_size=500)
    return len(items)


@transaction.atomic
def feedback_bulk_assign_owner(*, feedback_ids: Iterable[int], owner: Employee) -> int:
    """Give many items one owner; finished (resolved / closed) items are refused as a whole."""
    ids = list(feedback_ids)
    done = list(
        Feedback.objects.filter(pk__in=ids, status__in=DONE_STATUSES).values_list("pk", flat=True)
    )
    if done:
        raise ItemsError(
            [
                RowError(pk, "owner", _("The item is resolved or closed."), "illegal_transition")
                for pk in done
            ],
            status_code=409,
        )
    return Feedback.objects.filter(pk__in=ids).update(owner=owner)


@transaction.atomic
def feedback_from_finding(*, finding: Any) -> Feedback:
    """Turn a day-of-service finding (SPEC §9) into a feedback item of channel ``service_day``.

    Duck-typed so the feedback app does not depend on the service-days app: the finding needs
    ``pk``, ``description``, ``category`` (a :class:`Category` or None), ``severity``,
    ``department``, ``kpi`` and ``service_day.date``. Calling it again for the same finding
    returns the item made the first time (source ``service_day`` / ``finding-<id>``). The item is
    received at noon (local) on the day of service and starts as new, for triage."""
    source_ref = f"finding-{finding.pk}"
    existing = Feedback.objects.filter(
        source_system=Channel.SERVICE_DAY, source_ref=source_ref
    ).first()
    if existing is not None:
        return existing
    day = finding.service_day.date
    received_at = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    category = finding.category  # a Category of the taxonomy, or None
    severity = finding.severity if finding.severity in Severity.values else Severity.MEDIUM
    return feedback_create(
        channel=Channel.SERVICE_DAY,
        received_at=received_at,
        text=finding.description,
        category=category,
        department=finding.department or (category.department if category else None),
        severity=severity,
        kpi=finding.kpi,
        source_system=Channel.SERVICE_DAY,
        source_ref=source_ref,
    )


def remind_overdue_feedback_owners(*, today: dt.date | None = None) -> dict[str, int]:
    """E-mail each owner of overdue feedback items one message listing them (SPEC §14); items
    without an owner, and owners without an e-mail address, are counted as skipped. Returns
    ``{"sent", "items", "skipped"}``."""
    from ..selectors import feedback_overdue  # the selectors read the models this module writes

    by_owner: dict[int | None, list[Feedback]] = {}
    for item in feedback_overdue(today):
        by_owner.setdefault(item.owner_id, []).append(item)
    messages, skipped = [], len(by_owner.pop(None, []))
    for items in by_owner.values():
        owner = items[0].owner
        if not owner.email:
            skipped += len(items)
            continue
        lines = [
            _("#%(id)s %(category)s — due %(due)s, %(status)s: %(text)s")
            % {
                "id": item.pk,
                "category": item.category.code if item.category else "—",
                "due": item.due_date.isoformat(),
                "status": item.get_status_display(),
                "text": (item.text or "").strip()[:100],
            }
            for item in items
        ]
        messages.append(
            reminder(
                to=owner.email,
                name=owner.full_name,
                subject=ngettext(
                    "cxoffice: %(count)d overdue feedback item",
                    "cxoffice: %(count)d overdue feedback items",
                    len(items),
                )
                % {"count": len(items)},
                paragraphs=[
                    _("These customer feedback items you own are past their due date:"),
                    "\n".join(lines),
                    _("Resolve them, or agree a new due date with the customer-service lead."),
                ],
            )
        )
    return {
        "sent": send_all(messages),
        "items": sum(len(i) for i in by_owner.values()) + skipped,
        "skipped": skipped,
    }
