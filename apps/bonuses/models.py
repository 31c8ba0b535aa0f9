"""Bonus plans, enrollments, runs, lines and adjustments (SPEC §10).

Percentages are stored as plain numbers in percent (``60`` = 60%), as the API shows them; the
arithmetic (``calculations.py``) works on fractions.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.departments.models import Department, Employee, code_validator
from apps.kpis.models import KPI
from cxoffice.numbers import plain

from .messages import render
from .money import MONEY_FIELD

PERCENT = {"max_digits": 9, "decimal_places": 4}
MONEY = MONEY_FIELD  # see money.py: every currency's minor unit fits
LEVEL = {"max_digits": 24, "decimal_places": 8, "null": True, "blank": True}


class PlanPeriodType(models.TextChoices):
    MONTH = "month", _("month")
    QUARTER = "quarter", _("quarter")
    YEAR = "year", _("year")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    ACTIVE = "active", _("active")
    RETIRED = "retired", _("retired")


class MissingDataPolicy(models.TextChoices):
    BLOCK = "block", _("block: the run cannot be approved until resolved")
    ZERO = "zero", _("zero: the component pays 0")
    REWEIGHT = "reweight", _("reweight: its weight is shared among the others")


class ComponentScope(models.TextChoices):
    EMPLOYEE = "employee", _("the employee")
    DEPARTMENT = "department", _("the employee's department")
    COMPANY = "company", _("the company")


class LowSample(models.TextChoices):
    """What counts for a person whose own number rests on fewer records than the minimum
    sample (SPEC §5, §16 ``low_sample``)."""

    OWN = "own", _("their own value anyway")
    DEPARTMENT = "department", _("their department's value")
    MISSING = "missing", _("nothing: the missing-data policy applies")


class TrueUpNegative(models.TextChoices):
    """What a true-up does with a negative delta (SPEC §10a)."""

    RECOVER = "recover", _("recover: paid back, exported as a negative amount")
    WAIVE = "waive", _("waive: the delta is set to 0")


class Plan(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    period_type = models.CharField(_("period type"), max_length=8, choices=PlanPeriodType.choices)
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="EUR",
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code."))],
    )
    status = models.CharField(
        _("status"), max_length=8, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    cap_percent = models.DecimalField(
        _("cap on the payout factor (%)"),
        default=200,
        validators=[MinValueValidator(0)],
        **PERCENT,
    )
    missing_data_policy = models.CharField(
        _("when an actual is missing"),
        max_length=8,
        choices=MissingDataPolicy.choices,
        default=MissingDataPolicy.BLOCK,
    )
    true_up_negative = models.CharField(
        _("negative true-up delta"),
        max_length=8,
        choices=TrueUpNegative.choices,
        default=TrueUpNegative.RECOVER,
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    previous_version = models.OneToOneField(
        "self",
        verbose_name=_("previous version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_version",
    )

    class Meta:
        verbose_name = _("bonus plan")
        verbose_name_plural = _("bonus plans")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class Component(models.Model):
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="components"
    )
    kpi = models.ForeignKey(KPI, verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(
        _("weight (%)"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        **PERCENT,
    )
    scope = models.CharField(
        _("measured for"), max_length=10, choices=ComponentScope.choices, default="department"
    )
    payout_at_threshold = models.DecimalField(
        _("payout at threshold (%)"), default=50, validators=[MinValueValidator(0)], **PERCENT
    )
    payout_at_stretch = models.DecimalField(
        _("payout at stretch (%)"), default=150, validators=[MinValueValidator(0)], **PERCENT
    )
    threshold = models.DecimalField(_("threshold (override)"), **LEVEL)
    target = models.DecimalField(_("target (override)"), **LEVEL)
    stretch = models.DecimalField(_("stretch (override)"), **LEVEL)
    low_sample = models.CharField(
        _("when a person's sample is low"),
        max_length=10,
        choices=LowSample.choices,
        default=LowSample.OWN,
        help_text=_(
            "Employee scope only: what counts for a person whose own number rests on fewer "
            "records than the minimum sample."
        ),
    )

    class Meta:
        verbose_name = _("component")
        verbose_name_plural = _("components")
        ordering = ["plan", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "kpi", "scope"],
                name="component_one_per_kpi_and_scope",
                violation_error_message=_(
                    "This plan already has a component for that KPI and scope."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi.code} {plain(self.weight)}%"


class Gate(models.Model):
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="gates"
    )
    kpi = models.ForeignKey(KPI, verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(
        _("measured for"), max_length=10, choices=ComponentScope.choices, default="company"
    )
    minimum = models.DecimalField(_("minimum level"), max_digits=24, decimal_places=8)
    multiplier = models.DecimalField(
        _("multiplier when missed (%)"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        **PERCENT,
    )

    class Meta:
        verbose_name = _("gate")
        verbose_name_plural = _("gates")
        ordering = ["plan", "id"]

    def __str__(self) -> str:
        return f"{self.kpi.code} ≥ {plain(self.minimum)}"


class Enrollment(models.Model):
    employee = models.ForeignKey(
        Employee,
        verbose_name=_("employee"),
        on_delete=models.PROTECT,
        related_name="bonus_enrollments",
    )
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="enrollments"
    )
    target_amount = models.DecimalField(
        _("target bonus for a full period"), validators=[MinValueValidator(0)], **MONEY
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["plan", "employee", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="enrollment_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(target_amount__gte=0),
                name="enrollment_target_not_negative",
                violation_error_message=_("The target amount cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(employee)s in %(plan)s from %(start)s") % {
            "employee": self.employee.employee_number,
            "plan": self.plan.code,
            "start": self.start_date.isoformat(),
        }


class RunStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    CALCULATED = "calculated", _("calculated")
    APPROVED = "approved", _("approved")
    PAID = "paid", _("paid")


class RunKind(models.TextChoices):
    REGULAR = "regular", _("regular")
    SIMULATION = "simulation", _("simulation")
    TRUE_UP = "true_up", _("true-up")


class RunManager(models.Manager):
    """Runs people see: a calculation in progress on workers writes into a hidden shadow run
    (``shadow_of``), which only :attr:`Run.everything` lists."""

    def get_queryset(self):
        return super().get_queryset().filter(shadow_of__isnull=True)


class Run(models.Model):
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="runs"
    )
    period = models.CharField(_("period"), max_length=8)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.DRAFT
    )
    is_simulation = models.BooleanField(
        _("simulation (what-if)"),
        default=False,
        help_text=_("Computed like a real run, but never approved or exported."),
    )
    corrects = models.ForeignKey(
        "self", verbose_name=_("corrects"), null=True, blank=True, editable=False,
        on_delete=models.PROTECT, related_name="true_ups",
        help_text=_("A true-up: the approved run of the same plan and period it corrects."),
    )  # fmt: skip
    total_amount = models.DecimalField(_("total"), default=0, **MONEY)
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    # Translatable messages (calculations.message), rendered in each reader's language.
    blocking_issues = models.JSONField(_("blocking issues"), default=list, blank=True)
    fingerprint = models.CharField(_("input fingerprint"), max_length=64, blank=True)
    calculated_at = models.DateTimeField(_("calculated at"), null=True, blank=True)
    calculated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("calculated by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    task_id = models.CharField(
        _("calculation task"), max_length=64, blank=True,
        help_text=_("The background calculation last started for this run (progress, result)."),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Set on the hidden run that a calculation split over workers writes its chunks into; its
    # lines move to the real run in one step when every chunk is done (services.runs).
    shadow_of = models.ForeignKey(
        "self", null=True, blank=True, editable=False, on_delete=models.CASCADE,
        related_name="+", verbose_name=_("calculation in progress of"),
    )  # fmt: skip

    everything = models.Manager()  # shadows included (services.runs)
    objects = RunManager()

    class Meta:
        default_manager_name = "objects"
        base_manager_name = "everything"
        verbose_name = _("bonus run")
        verbose_name_plural = _("bonus runs")
        ordering = ["-period", "plan"]
        permissions = [
            ("approve_run", _("Can approve bonus runs")),
            ("pay_run", _("Can mark bonus runs as paid")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "period"],
                condition=Q(is_simulation=False, corrects__isnull=True),
                name="run_one_real_run_per_plan_and_period",
                violation_error_message=_("This plan already has a run for that period."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan.code} {self.period}"

    @property
    def kind(self) -> str:
        """``regular``, ``simulation`` or ``true_up`` (SPEC §16)."""
        if self.corrects_id:
            return RunKind.TRUE_UP
        return RunKind.SIMULATION if self.is_simulation else RunKind.REGULAR

    def blocking_issue_texts(self) -> tuple[str, ...]:
        """The blocking issues in the reader's (active) language."""
        return render(self.blocking_issues)


class Line(models.Model):
    """One employee's bonus in a run, with its breakdown (``components``) and explanation."""

    run = models.ForeignKey(
        Run, verbose_name=_("run"), on_delete=models.CASCADE, related_name="lines"
    )
    employee = models.ForeignKey(
        Employee, verbose_name=_("employee"), on_delete=models.PROTECT, related_name="bonus_lines"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    target_amount = models.DecimalField(_("target amount"), **MONEY)
    eligible_days = models.PositiveIntegerField(_("eligible days"))
    period_days = models.PositiveIntegerField(_("days in the period"))
    proration = models.DecimalField(_("proration"), max_digits=20, decimal_places=12)
    factor = models.DecimalField(_("payout factor"), max_digits=20, decimal_places=12)
    gate_multiplier = models.DecimalField(_("gate multiplier"), max_digits=20, decimal_places=12)
    capped = models.BooleanField(_("capped"), default=False)
    adjustments_total = models.DecimalField(_("adjustments"), default=0, **MONEY)
    amount = models.DecimalField(_("amount"), **MONEY)
    # A true-up's lines (SPEC §10a); null on other runs' lines.
    previously_paid = models.DecimalField(
        _("previously paid"), null=True, blank=True, **MONEY,
        help_text=_("The original line's amount plus the approved true-ups before this one."),
    )  # fmt: skip
    delta = models.DecimalField(
        _("delta"), null=True, blank=True, **MONEY,
        help_text=_("Amount less previously paid: what this true-up pays (or recovers)."),
    )  # fmt: skip
    # The statement as translatable messages, rendered in each reader's language
    # (``calculations.render``): [[msgid, {name: value or message}], …].
    explanation = models.JSONField(_("explanation"), default=list, blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    components = models.JSONField(_("components"), default=list, blank=True)

    class Meta:
        verbose_name = _("bonus line")
        verbose_name_plural = _("bonus lines")
        ordering = ["run", "employee"]
        constraints = [
            models.UniqueConstraint(fields=["run", "employee"], name="line_one_per_employee"),
        ]

    def __str__(self) -> str:
        return f"{self.run} · {self.employee.employee_number}: {self.amount}"


class Adjustment(models.Model):
    """A manual correction of one employee's amount in a run, with its reason and author.

    Held by (run, employee) rather than by the line, so that recalculating a run (which
    replaces its lines) keeps the adjustments; the line's amount includes them.
    """

    run = models.ForeignKey(
        Run, verbose_name=_("run"), on_delete=models.CASCADE, related_name="adjustments"
    )
    employee = models.ForeignKey(
        Employee, verbose_name=_("employee"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        ordering = ["run", "employee", "created_at"]

    def __str__(self) -> str:
        return f"{self.amount} ({self.reason[:30]})"
