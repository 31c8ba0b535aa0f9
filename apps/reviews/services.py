"""Writes of the weekly business review: the stored snapshot of a week, its e-mail, and the
actions the review agrees.

Rebuilding a stored review: a week whose review was not sent yet is simply rebuilt (the
snapshot is what will be sent). Once it was sent, the stored review is what the recipients
read, so rebuilding it is refused (409) unless a superuser forces it (``force=True``): the
snapshot is then replaced and ``sent_at`` cleared, so the admin shows it as "not sent" until it
is sent again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.kpis.periods import Period
from cxoffice.errors import ApplicationError, ConflictError, PermissionDeniedError
from cxoffice.services import apply_changes, validate_and_save

from . import selectors
from .models import ActionStatus, ReviewAction, WeeklyReview

ACTION_FIELDS = ("week", "objective", "owner", "due_date", "status", "kpi", "bpi_project",
                 "feedback")  # fmt: skip


# --- the stored review -------------------------------------------------------------------------


def review_snapshot(
    *, week: Period, user=None, force: bool = False, today: dt.date | None = None
) -> WeeklyReview:
    """Build the review of ``week`` now and store it (see the module's docstring for rebuilds).

    The snapshot is built in the site's language (``settings.LANGUAGE_CODE``), whoever asks,
    so every stored review reads the same; the pages translate its labels when shown."""
    week = selectors.week_from_key(week.key)
    if force and not (user is not None and user.is_superuser):
        raise PermissionDeniedError(
            _("Only an administrator may rebuild a review that was already sent."),
            field="force",
            code="permission_denied",
        )
    with translation.override(settings.LANGUAGE_CODE):
        data = selectors.build_review(week, today=today)
    try:
        with transaction.atomic():
            review = WeeklyReview.objects.select_for_update().filter(week=week.key).first()
            if review is None:
                review = WeeklyReview(week=week.key)
            elif review.sent_at and not force:
                raise ConflictError(
                    _(
                        "The review of %(week)s was sent on %(sent)s; rebuilding it would change "
                        "what its recipients read. An administrator can force a rebuild."
                    )
                    % {
                        "week": week.key,
                        "sent": timezone.localtime(review.sent_at).strftime("%Y-%m-%d %H:%M"),
                    },
                    field="week",
                    code="already_sent",
                )
            review.data = data
            review.built_at = timezone.now()
            review.built_by = user if getattr(user, "is_authenticated", False) else None
            review.sent_at = None
            review.recipients = []
            return validate_and_save(review)
    except IntegrityError as error:  # someone stored the same week at the same moment
        raise ConflictError(
            _("The review of %(week)s is being built by someone else; try again.")
            % {"week": week.key},
            field="week",
            code="concurrent_build",
        ) from error


def review_email(review: WeeklyReview) -> tuple[str, str, str]:
    """(subject, text body, HTML body) of a stored review, in the site's language."""
    week = Period.parse(review.week)
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "review": review,
            "data": selectors.in_section_order(review.data),
            "period": week,
            "site_url": getattr(settings, "SITE_URL", ""),
        }
        subject = _("Weekly business review %(week)s (%(start)s – %(end)s)") % {
            "week": week.key,
            "start": week.start.isoformat(),
            "end": week.end.isoformat(),
        }
        text = render_to_string("reviews/email.txt", context)
        html = render_to_string("reviews/email.html", context)
    return subject, text, html


def review_send(*, review: WeeklyReview, recipients: Sequence[str] | None = None) -> WeeklyReview:
    """E-mail the stored review (text and HTML) to ``recipients`` (default: the settings'
    ``WEEKLY_REVIEW_RECIPIENTS``) and record when and to whom. Sending again is allowed (a new
    recipient, a lost message); it sends the same stored review."""
    to = [address for address in (recipients or settings.WEEKLY_REVIEW_RECIPIENTS) if address]
    if not to:
        raise ApplicationError(
            _("Nobody to send the review to: set WEEKLY_REVIEW_RECIPIENTS."),
            field="recipients",
            code="required",
        )
    subject, text, html = review_email(review)
    message = EmailMultiAlternatives(subject=subject, body=text, to=to)
    message.attach_alternative(html, "text/html")
    message.send()
    with transaction.atomic():
        review = WeeklyReview.objects.select_for_update().get(pk=review.pk)
        review.sent_at = timezone.now()
        review.recipients = to
        review.save(update_fields=["sent_at", "recipients"])
    return review


def build_and_send(*, week: Period, today: dt.date | None = None) -> dict[str, Any]:
    """What the Monday task does for one week: store the review unless it was already sent
    (then it is left as sent), and e-mail it when there are recipients."""
    existing = selectors.review_get(week)
    if existing is not None and existing.sent_at:
        return {"week": week.key, "built": False, "sent": False, "recipients": 0}
    review = review_snapshot(week=week, today=today)
    if not settings.WEEKLY_REVIEW_RECIPIENTS:
        return {"week": week.key, "built": True, "sent": False, "recipients": 0}
    review = review_send(review=review)
    return {"week": week.key, "built": True, "sent": True, "recipients": len(review.recipients)}


# --- actions -----------------------------------------------------------------------------------


def action_check(*, week: str, due_date: dt.date | None, owner=None) -> str:
    """The rules of an action, for the services and the admin's form: a week key (returned in
    its canonical form), a due date not before that week, and a responsible person still
    employed on the due date."""
    period = selectors.week_from_key(week)
    if due_date and due_date < period.start:
        raise ApplicationError(
            _("The due date cannot be before the week of the review (%(start)s).")
            % {"start": period.start.isoformat()},
            field="due_date",
            code="before_week",
        )
    if owner is not None and owner.leave_date and due_date and owner.leave_date < due_date:
        raise ApplicationError(
            _("%(name)s leaves on %(date)s, before the due date: choose someone else.")
            % {"name": owner.full_name, "date": owner.leave_date.isoformat()},
            field="owner",
            code="owner_leaves",
        )
    return period.key


def _check_action(action: ReviewAction) -> None:
    action.week = action_check(
        week=action.week,
        due_date=action.due_date,
        owner=action.owner if action.owner_id else None,
    )
    if action.status == ActionStatus.DONE and action.done_on is None:
        action.done_on = timezone.localdate()
    elif action.status == ActionStatus.OPEN:
        action.done_on = None


@transaction.atomic
def action_create(*, user=None, **fields: Any) -> ReviewAction:
    action = ReviewAction(**{k: v for k, v in fields.items() if k in ACTION_FIELDS})
    action.created_by = user if getattr(user, "is_authenticated", False) else None
    _check_action(action)
    return validate_and_save(action)


@transaction.atomic
def action_update(*, action: ReviewAction, data: dict[str, Any]) -> ReviewAction:
    apply_changes(instance=action, fields=ACTION_FIELDS, data=data)
    _check_action(action)
    return validate_and_save(action)


@transaction.atomic
def action_delete(*, action: ReviewAction) -> None:
    action.delete()
