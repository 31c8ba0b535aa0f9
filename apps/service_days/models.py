"""Executives' days of service on the front line (SPEC §9): what they did, what customers said,
what broke — and the follow-up that turns a finding into a BPI project or a feedback item."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from apps.bpi.models import Project
from apps.departments.models import Department, Employee
from apps.feedback.models import Category, Feedback
from apps.kpis.models import KPI


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class FollowUp(models.TextChoices):
    NONE = "none", _("None")
    BPI_PROJECT = "bpi_project", _("BPI project")
    FEEDBACK = "feedback", _("Feedback item")


class ServiceDay(models.Model):
    executive = models.ForeignKey(
        Employee, verbose_name=_("executive"), on_delete=models.PROTECT,
        related_name="service_days", limit_choices_to={"is_executive": True},
    )  # fmt: skip
    date = models.DateField(_("date"))
    department = models.ForeignKey(
        Department, verbose_name=_("department served"), on_delete=models.PROTECT,
        related_name="service_days",
    )  # fmt: skip
    role_played = models.CharField(
        _("role played"), max_length=100,
        help_text=_("What the executive worked as: hotline agent, delivery rider, picker …"),
    )  # fmt: skip
    hours = models.DecimalField(
        _("hours"), max_digits=4, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal(24))],
    )  # fmt: skip
    customers_served = models.PositiveIntegerField(_("customers served"), default=0)
    summary = models.TextField(_("summary"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("day of service")
        verbose_name_plural = _("days of service")
        ordering = ["-date", "executive"]
        constraints = [
            models.UniqueConstraint(
                fields=["executive", "date"],
                name="service_day_one_per_executive_and_date",
                violation_error_message=_("This executive already logged a day of service on "
                                          "this date."),
            ),
            models.CheckConstraint(
                condition=Q(hours__gt=0, hours__lte=24),
                name="service_day_hours_0_24",
                violation_error_message=_("Hours must be more than 0 and at most 24."),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.executive.full_name} {self.date}"


class Finding(models.Model):
    service_day = models.ForeignKey(
        ServiceDay, verbose_name=_("day of service"), on_delete=models.CASCADE,
        related_name="findings",
    )  # fmt: skip
    description = models.TextField(_("description"))
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
        help_text=_("From the voice-of-the-customer taxonomy; it names the usual responsible "
                    "department."),
    )  # fmt: skip
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    department = models.ForeignKey(
        Department, verbose_name=_("responsible department"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    kpi = models.ForeignKey(
        KPI, verbose_name=_("KPI"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    follow_up_type = models.CharField(
        _("follow-up"), max_length=12, choices=FollowUp.choices, default=FollowUp.NONE,
        editable=False,
    )  # fmt: skip
    feedback = models.ForeignKey(
        Feedback, verbose_name=_("feedback item"), null=True, blank=True, editable=False,
        on_delete=models.PROTECT, related_name="findings",
    )  # fmt: skip
    bpi_project = models.ForeignKey(
        Project, verbose_name=_("BPI project"), null=True, blank=True, editable=False,
        on_delete=models.PROTECT, related_name="findings",
    )  # fmt: skip

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["service_day", "id"]

    def __str__(self) -> str:
        return self.description[:60]


class Quota(models.Model):
    """Days of service each executive owes per quarter: the company default (no executive) and
    per-executive overrides."""

    executive = models.OneToOneField(
        Employee, verbose_name=_("executive"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="service_day_quota", limit_choices_to={"is_executive": True},
        help_text=_("Empty: the company default for every executive without an override."),
    )  # fmt: skip
    days_per_quarter = models.PositiveSmallIntegerField(
        _("days per quarter"), validators=[MaxValueValidator(92)]
    )

    class Meta:
        verbose_name = _("service-day quota")
        verbose_name_plural = _("service-day quotas")
        ordering = [F("executive").asc(nulls_first=True)]
        constraints = [
            # One company default: "no executive" counts as one value on every database.
            models.UniqueConstraint(
                Coalesce(F("executive"), Value(0)),
                name="service_day_quota_one_default",
                violation_error_message=_("There is already a quota for this executive "
                                          "(or a company default)."),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        who = self.executive.full_name if self.executive else _("Company default")
        return f"{who}: {self.days_per_quarter}"
