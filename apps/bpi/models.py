"""Business-process-improvement projects (SPEC §8): the worst KPI gaps, attacked one project at a
time, with KPI links (baseline → goal), progress updates and milestones."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.departments.models import Department, Employee, code_validator
from apps.kpis.models import KPI


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Status(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    VERIFIED = "verified", _("Verified")
    CANCELLED = "cancelled", _("Cancelled")


# A project is finished (never overdue, no more cancelling) in these states.
CLOSED_STATUSES = (Status.COMPLETED, Status.VERIFIED, Status.CANCELLED)


class Project(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    title = models.CharField(_("title"), max_length=200)
    problem = models.TextField(_("problem statement"))
    root_cause = models.TextField(_("root cause"), blank=True)
    owner = models.ForeignKey(
        Employee, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="bpi_projects"
    )
    sponsor = models.ForeignKey(
        Employee, verbose_name=_("sponsor"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="sponsored_bpi_projects",
        help_text=_("The executive who approves the project and verifies its results."),
    )  # fmt: skip
    departments = models.ManyToManyField(
        Department, verbose_name=_("departments"), blank=True, related_name="bpi_projects"
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED,
        editable=False,
    )  # fmt: skip
    start_date = models.DateField(_("start date"))
    due_date = models.DateField(_("due date"))
    completed_on = models.DateField(_("completed on"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("BPI project")
        verbose_name_plural = _("BPI projects")
        ordering = ["due_date", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_date__gte=F("start_date")),
                name="bpi_project_due_after_start",
                violation_error_message=_("The due date cannot be before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.title}"

    @property
    def is_overdue(self) -> bool:
        """Due date passed and not completed, verified or cancelled."""
        return self.status not in CLOSED_STATUSES and self.due_date < timezone.localdate()


class KPILink(models.Model):
    """A KPI the project should move, from ``baseline`` towards ``goal``, measured for the
    department it names — or, naming none, for the project's department when it has exactly
    one, else the company (SPEC §8; ``selectors.link_holder``)."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="kpi_links"
    )
    kpi = models.ForeignKey(KPI, verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
        help_text=_("Where the KPI is measured; empty: the project's department when it has "
                    "exactly one, else the whole company."),
    )  # fmt: skip
    baseline = models.DecimalField(
        _("baseline"), max_digits=24, decimal_places=8, null=True, blank=True,
        help_text=_("Empty: the latest value before the project's start date."),
    )  # fmt: skip
    baseline_period = models.CharField(
        _("baseline period"), max_length=10, blank=True,
        help_text=_("The period the baseline was read for, if it was defaulted."),
    )  # fmt: skip
    baseline_basis = models.CharField(
        _("baseline basis"), max_length=10, blank=True,
        help_text=_("How the defaulted baseline was read: explicit, rolled up or from "
                    "sub-departments."),
    )  # fmt: skip
    goal = models.DecimalField(_("goal"), max_digits=24, decimal_places=8)

    class Meta:
        verbose_name = _("KPI link")
        verbose_name_plural = _("KPI links")
        ordering = ["project", "id"]
        constraints = [
            # Coalesce: "the company" (no department) counts as one scope on every database.
            models.UniqueConstraint(
                F("project"),
                F("kpi"),
                Coalesce(F("department"), Value(0)),
                name="bpi_link_one_per_kpi_and_department",
                violation_error_message=_("The project already links this KPI for this scope."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code}: {self.kpi.code}"


class Update(models.Model):
    """A progress report: the project's progress is its latest update's percent complete."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="updates"
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    progress_percent = models.PositiveSmallIntegerField(
        _("percent complete"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    note = models.TextField(_("note"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+", editable=False,
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["project", "-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_percent__gte=0, progress_percent__lte=100),
                name="bpi_update_percent_0_100",
                violation_error_message=_("Percent complete must be between 0 and 100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.date}: {self.progress_percent}%"


class Milestone(models.Model):
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(_("title"), max_length=200)
    due_date = models.DateField(_("due date"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", "due_date", "id"]

    def __str__(self) -> str:
        return f"{self.project.code}: {self.title}"
