from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from apps.departments.models import Department, Employee, code_validator

from .periods import PeriodType


class Unit(models.TextChoices):
    PERCENT = "percent", _("percent")
    RATIO = "ratio", _("ratio (0–1)")
    PER_THOUSAND = "per_thousand", _("per 1,000")
    COUNT = "count", _("count")
    HOURS = "hours", _("hours")
    MINUTES = "minutes", _("minutes")
    MILLISECONDS = "milliseconds", _("milliseconds")
    CURRENCY = "currency", _("currency")
    SCORE = "score", _("score")


# The factor a ratio's numerator/denominator is multiplied by to give the value in the unit.
RATIO_SCALE = {Unit.PERCENT: 100, Unit.PER_THOUSAND: 1000, Unit.RATIO: 1}
# Units that are rates of a whole: the numerator can never exceed the denominator.
RATE_UNITS = {Unit.PERCENT, Unit.RATIO}


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher_is_better", _("higher is better")
    LOWER_IS_BETTER = "lower_is_better", _("lower is better")


class Aggregation(models.TextChoices):
    RATIO = "ratio", _("ratio: sum of numerators / sum of denominators")
    MEAN = "mean", _("mean, weighted by sample size when given")
    SUM = "sum", _("sum")
    LAST = "last", _("last value")
    MIN = "min", _("minimum")
    MAX = "max", _("maximum")
    MEDIAN = "median", _("median or percentile: never rolled up, explicit results only")


class Frequency(models.TextChoices):
    WEEK = PeriodType.WEEK.value, _("weekly")
    MONTH = PeriodType.MONTH.value, _("monthly")
    QUARTER = PeriodType.QUARTER.value, _("quarterly")


class Source(models.TextChoices):
    MANUAL = "manual", _("manual")
    IMPORT = "import", _("import")
    COMPUTED = "computed", _("computed")


class Scope(models.TextChoices):
    COMPANY = "company", _("company")
    DEPARTMENT = "department", _("department")
    EMPLOYEE = "employee", _("employee")


# A scoped row (result, target) names exactly the holder its scope calls for.
def min_sample() -> int:
    """Fewer records than this behind a computed result flag it "low sample" (SPEC §5; setting
    ``RECORDS_MIN_SAMPLE``, default 30)."""
    return int(getattr(settings, "RECORDS_MIN_SAMPLE", 30))


SCOPE_MATCHES_HOLDER = (
    (Q(scope="company") & Q(department__isnull=True) & Q(employee__isnull=True))
    | (Q(scope="department") & Q(department__isnull=False) & Q(employee__isnull=True))
    | (Q(scope="employee") & Q(employee__isnull=False) & Q(department__isnull=True))
)


class KPI(models.Model):
    """A measured indicator. Children explain their parent (the root-cause drill-down)."""

    code = models.CharField(_("code"), max_length=80, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("owning department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kpis",
    )
    unit = models.CharField(_("unit"), max_length=16, choices=Unit.choices)
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices)
    aggregation = models.CharField(_("aggregation"), max_length=8, choices=Aggregation.choices)
    frequency = models.CharField(
        _("frequency"), max_length=8, choices=Frequency.choices, default=Frequency.MONTH
    )
    decimals = models.PositiveSmallIntegerField(_("decimals"), default=1)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent KPI"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.MANUAL
    )
    min_value = models.DecimalField(
        _("lowest possible value"),
        max_digits=24,
        decimal_places=8,
        null=True,
        blank=True,
        help_text=_("For scores with a fixed scale, e.g. −100 for NPS. Percent units are 0–100."),
    )
    max_value = models.DecimalField(
        _("highest possible value"), max_digits=24, decimal_places=8, null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["code"]
        permissions = [
            ("write_company_numbers", _("Can write company-wide KPI results and targets")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lt=models.F("max_value")),
                name="kpi_min_below_max",
                violation_error_message=_("The lowest value must be below the highest value."),
            ),
        ]

    def __str__(self) -> str:
        # Catalog names are translated; names typed by the company come back as they are.
        return f"{self.code} – {gettext(self.name) if self.name else ''}"

    @property
    def higher_is_better(self) -> bool:
        return self.direction == Direction.HIGHER_IS_BETTER


class KPIResult(models.Model):
    """The value of one KPI for one scope (company, a department or an employee) and one period.

    Values are stored with 8 decimal places; a ratio's value derived from numerator and
    denominator is rounded half-even to that precision (roll-ups use the numerator and
    denominator themselves, never the stored value).
    """

    kpi = models.ForeignKey(
        KPI, verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="results"
    )
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kpi_results",
    )
    employee = models.ForeignKey(
        Employee,
        verbose_name=_("employee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kpi_results",
    )
    period = models.CharField(
        _("period"), max_length=8, help_text=_("2026, 2026-Q4, 2026-11 or 2026-W47")
    )
    period_type = models.CharField(
        _("period type"), max_length=8, choices=PeriodType.choices, editable=False
    )
    period_start = models.DateField(_("period start"), editable=False)
    period_end = models.DateField(_("period end"), editable=False)
    # The Thursday for weeks (ISO rule), the start otherwise: places the period in coarser ones.
    period_anchor = models.DateField(_("period anchor"), editable=False)
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=8)
    numerator = models.DecimalField(
        _("numerator"), max_digits=24, decimal_places=8, null=True, blank=True
    )
    denominator = models.DecimalField(
        _("denominator"), max_digits=24, decimal_places=8, null=True, blank=True
    )
    sample_size = models.PositiveIntegerField(
        _("sample size"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.MANUAL
    )
    note = models.TextField(_("note"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("KPI result")
        verbose_name_plural = _("KPI results")
        ordering = ["kpi__code", "-period_start", "scope"]
        indexes = [
            models.Index(fields=["kpi", "period_anchor"], name="kpiresult_kpi_anchor"),
            models.Index(fields=["department", "period_anchor"], name="kpiresult_dept_anchor"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=SCOPE_MATCHES_HOLDER,
                name="kpiresult_scope_matches_holder",
                violation_error_message=_(
                    "Company results name no department or employee; department results name a "
                    "department; employee results name an employee."
                ),
            ),
            models.UniqueConstraint(
                fields=["kpi", "period"],
                condition=Q(scope="company"),
                name="kpiresult_one_company_value",
            ),
            models.UniqueConstraint(
                fields=["kpi", "department", "period"],
                condition=Q(scope="department"),
                name="kpiresult_one_department_value",
            ),
            models.UniqueConstraint(
                fields=["kpi", "employee", "period"],
                condition=Q(scope="employee"),
                name="kpiresult_one_employee_value",
            ),
        ]

    def __str__(self) -> str:
        holder = self.department or self.employee or _("company")
        return f"{self.kpi.code} · {holder} · {self.period}"

    @property
    def low_sample(self) -> bool:
        """Computed from fewer records than ``RECORDS_MIN_SAMPLE`` (default 30; SPEC §5: a
        person credited with few records is flagged, and a plan may then use another value).
        Entered and imported numbers are never flagged."""
        return (
            self.source == Source.COMPUTED
            and self.sample_size is not None
            and self.sample_size < min_sample()
        )
