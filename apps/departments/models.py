from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    _("Use letters, digits, dots, dashes and underscores, starting with a letter or digit."),
    code="invalid_code",
)


class Department(models.Model):
    """A unit of the organisation; departments form a tree through ``parent``."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    head = models.ForeignKey(
        "Employee",
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    stewards = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("data stewards"),
        blank=True,
        related_name="stewarded_departments",
        help_text=_("Users who keep this department's KPI results (and its sub-departments')."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="department_not_own_parent",
                violation_error_message=_("A department cannot be its own parent."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    def clean(self) -> None:
        if self.pk and self.parent_id == self.pk:
            raise ValidationError(
                {"parent": _("A department cannot be its own parent.")}, code="cycle"
            )


class Employee(models.Model):
    employee_number = models.CharField(
        _("employee number"), max_length=32, unique=True, validators=[code_validator]
    )
    full_name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employee",
    )
    title = models.CharField(_("job title"), max_length=200, blank=True)
    hire_date = models.DateField(_("hire date"))
    leave_date = models.DateField(_("leave date"), null=True, blank=True)
    is_executive = models.BooleanField(_("executive"), default=False)
    base_salary = models.DecimalField(
        _("base salary"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Yearly base salary. Visible to HR only."),
    )

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["employee_number"]
        permissions = [("view_salary", _("Can see employees' base salaries"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(leave_date__isnull=True) | Q(leave_date__gte=F("hire_date")),
                name="employee_leave_after_hire",
                violation_error_message=_("The leave date cannot be before the hire date."),
            ),
            models.CheckConstraint(
                condition=Q(base_salary__isnull=True) | Q(base_salary__gte=0),
                name="employee_salary_not_negative",
                violation_error_message=_("The base salary cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_number} – {self.full_name}"

    def clean(self) -> None:
        if self.hire_date and self.leave_date and self.leave_date < self.hire_date:
            raise ValidationError(
                {"leave_date": _("The leave date cannot be before the hire date.")},
                code="reversed_dates",
            )


class Assignment(models.Model):
    """An employee working in a department from ``start_date`` to ``end_date`` (inclusive).

    An open ``end_date`` means "until further notice". One employee's assignments never overlap,
    so on any day an employee belongs to at most one department.
    """

    employee = models.ForeignKey(
        Employee, verbose_name=_("employee"), on_delete=models.CASCADE, related_name="assignments"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["employee", "start_date"]
        indexes = [models.Index(fields=["department", "start_date"], name="assignment_dept_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="assignment_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.UniqueConstraint(
                fields=["employee", "start_date"],
                name="assignment_unique_employee_start",
                violation_error_message=_(
                    "This employee already has an assignment starting that day."
                ),
            ),
        ]

    def __str__(self) -> str:
        end = self.end_date.isoformat() if self.end_date else "…"
        return f"{self.department.code}: {self.start_date.isoformat()} – {end}"

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError(
                {"end_date": _("The end date cannot be before the start date.")},
                code="reversed_dates",
            )
