from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from apps.departments.models import Department, Employee
from apps.kpis.models import KPI, SCOPE_MATCHES_HOLDER, Scope


class Target(models.Model):
    """Threshold / target / stretch for a KPI, for a scope, over a period or a date range, with the
    industry benchmark and who measured it. Which target applies where: see
    ``apps.targets.selectors.TargetBook``."""

    kpi = models.ForeignKey(
        KPI, verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="targets"
    )
    scope = models.CharField(
        _("scope"), max_length=10, choices=Scope.choices, default=Scope.COMPANY
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="targets",
    )
    employee = models.ForeignKey(
        Employee,
        verbose_name=_("employee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="targets",
    )
    period = models.CharField(
        _("period"),
        max_length=8,
        blank=True,
        help_text=_(
            "A period key (2026, 2026-Q4, 2026-11, 2026-W47), or leave empty and give dates."
        ),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    threshold = models.DecimalField(
        _("threshold"), max_digits=24, decimal_places=8, null=True, blank=True
    )
    target = models.DecimalField(_("target"), max_digits=24, decimal_places=8)
    stretch = models.DecimalField(
        _("stretch"), max_digits=24, decimal_places=8, null=True, blank=True
    )
    benchmark = models.DecimalField(
        _("benchmark"), max_digits=24, decimal_places=8, null=True, blank=True
    )
    benchmark_source = models.TextField(_("benchmark source"), blank=True)
    note = models.TextField(_("note"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["kpi__code", "scope", "period", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=SCOPE_MATCHES_HOLDER,
                name="target_scope_matches_holder",
                violation_error_message=_(
                    "Company targets name no department or employee; department targets name a "
                    "department; employee targets name an employee."
                ),
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=F("valid_from")),
                name="target_valid_to_after_from",
                violation_error_message=_("The end of validity cannot be before its start."),
            ),
        ]

    def __str__(self) -> str:
        holder = self.department or self.employee or _("company")
        when = self.period or f"{self.valid_from or '…'} – {self.valid_to or '…'}"
        return f"{self.kpi.code} · {holder} · {when}"
