"""The weekly business review (SPEC §7): the actions agreed in it, and the snapshot of each
week's review as it was built and e-mailed.

A review is built live from every other app (``selectors.build_review``); a
:class:`WeeklyReview` keeps one week's build as plain JSON, so later corrections to feedback,
KPI results or projects never change what the recipients were sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.bpi.models import Project
from apps.departments.models import Employee
from apps.feedback.models import Feedback
from apps.kpis.models import KPI


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class ReviewAction(models.Model):
    """Something the review decided: a responsible person, an objective and a due date, and
    optionally the KPI, BPI project or feedback item it answers."""

    week = models.CharField(
        _("week"), max_length=8, db_index=True,
        help_text=_("The ISO week of the review that agreed the action, e.g. 2026-W47."),
    )  # fmt: skip
    objective = models.TextField(_("objective"))
    owner = models.ForeignKey(
        Employee, verbose_name=_("responsible person"), on_delete=models.PROTECT,
        related_name="review_actions",
    )  # fmt: skip
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=8, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    done_on = models.DateField(_("done on"), null=True, blank=True, editable=False)
    kpi = models.ForeignKey(
        KPI, verbose_name=_("KPI"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="review_actions",
    )  # fmt: skip
    bpi_project = models.ForeignKey(
        Project, verbose_name=_("BPI project"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="review_actions",
    )  # fmt: skip
    feedback = models.ForeignKey(
        Feedback, verbose_name=_("feedback item"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="review_actions",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False,
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("review action")
        verbose_name_plural = _("review actions")
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["status", "week"], name="review_action_status_week")]

    def __str__(self) -> str:
        return f"{self.week}: {self.objective[:60]}"

    @property
    def is_overdue(self) -> bool:
        return self.status == ActionStatus.OPEN and self.due_date < timezone.localdate()


class WeeklyReview(models.Model):
    """The stored review of one ISO week: ``data`` is ``selectors.build_review`` as it was when
    built; ``sent_at`` and ``recipients`` say when and to whom it was e-mailed."""

    week = models.CharField(_("week"), max_length=8, unique=True)
    data = models.JSONField(_("review"), default=dict, editable=False)
    built_at = models.DateTimeField(_("built at"), default=timezone.now, editable=False)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("built by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False,
    )  # fmt: skip
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    recipients = models.JSONField(_("recipients"), default=list, blank=True, editable=False)

    class Meta:
        verbose_name = _("weekly review")
        verbose_name_plural = _("weekly reviews")
        ordering = ["-week"]

    def __str__(self) -> str:
        return self.week
