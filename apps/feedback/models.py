"""Voice of the customer (SPEC §7): feedback items, their category taxonomy, the response time
owed per severity, and saved column mappings for file imports.

Who triages: SPEC §1 names a "Customer-service lead", but §12 keeps six roles. In cxoffice a CS
lead is a *Data steward* (of the Customer-service department): the ``0002_roles`` migration gives
Data stewards and Executives the right to create, triage and work feedback items, the
taxonomy's categories, response times and column mappings; Project owners read feedback (they
link it to BPI projects). HR, HR approvers and plain employees do not see customers' feedback.
Any holder of ``change_feedback`` may work any item: the CS lead routes items to every
department, and each department's stewards then move the items routed to them.
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.bpi.models import Project
from apps.departments.models import Department, Employee, code_validator
from apps.kpis.models import KPI

RATING_MIN, RATING_MAX = 1, 5


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WEB = "web", _("Web")
    EMAIL = "email", _("E-mail")
    CHAT = "chat", _("Chat")
    SURVEY = "survey", _("Survey")
    SOCIAL = "social", _("Social media")
    SERVICE_DAY = "service_day", _("Service day")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Status(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# Finished items: never overdue.
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)


class Category(models.Model):
    """A node of the feedback taxonomy; ``department`` is where its items go by default."""

    code = models.CharField(_("code"), max_length=50, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent category"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )  # fmt: skip
    department = models.ForeignKey(
        Department, verbose_name=_("default responsible department"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="feedback_categories",
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("feedback category")
        verbose_name_plural = _("feedback categories")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="feedback_category_not_own_parent",
                violation_error_message=_("A category cannot be its own parent."),
            ),
        ]

    def __str__(self) -> str:
        # Catalog names are translated; names typed by the company come back as they are.
        return f"{self.code} – {gettext(self.name) if self.name else ''}"


class Feedback(models.Model):
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    customer_ref = models.CharField(_("customer reference"), max_length=100, blank=True)
    order_ref = models.CharField(_("order reference"), max_length=100, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True,
        validators=[MinValueValidator(RATING_MIN), MaxValueValidator(RATING_MAX)],
        help_text=_("1 (worst) to 5 (best); empty when the customer gave none."),
    )  # fmt: skip
    text = models.TextField(_("text"), blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="feedback_items",
    )  # fmt: skip
    department = models.ForeignKey(
        Department, verbose_name=_("responsible department"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="feedback_items",
    )  # fmt: skip
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW, editable=False
    )
    owner = models.ForeignKey(
        Employee, verbose_name=_("owner"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="feedback_items",
    )  # fmt: skip
    due_date = models.DateField(_("due date"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    kpi = models.ForeignKey(
        KPI, verbose_name=_("KPI"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="feedback_items",
    )  # fmt: skip
    bpi_project = models.ForeignKey(
        Project, verbose_name=_("BPI project"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="feedback_items",
    )  # fmt: skip
    source_system = models.CharField(
        _("source system"), max_length=50, blank=True,
        help_text=_("Where an imported item came from (olist, zendesk …)."),
    )  # fmt: skip
    source_ref = models.CharField(
        _("source reference"), max_length=100, blank=True,
        help_text=_("The item's id in the source system: importing it again creates nothing."),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["received_at"], name="feedback_received"),
            models.Index(fields=["channel", "received_at"], name="feedback_channel_received"),
            models.Index(fields=["category", "received_at"], name="feedback_category_received"),
            models.Index(fields=["status", "due_date"], name="feedback_status_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True)
                | Q(rating__gte=RATING_MIN, rating__lte=RATING_MAX),
                name="feedback_rating_1_5",
                violation_error_message=_("The rating must be between 1 and 5."),
            ),
            models.UniqueConstraint(
                fields=["source_system", "source_ref"],
                condition=~Q(source_ref=""),
                name="feedback_unique_source_ref",
                violation_error_message=_("This source already delivered an item with this "
                                          "reference."),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        first = (self.text or "").strip().splitlines()[0][:60] if (self.text or "").strip() else ""
        return f"#{self.pk} {self.get_channel_display()}: {first}" if first else f"#{self.pk}"

    @property
    def is_overdue(self) -> bool:
        """The due date has passed and the item is neither resolved nor closed."""
        return (
            self.due_date is not None
            and self.status not in DONE_STATUSES
            and self.due_date < timezone.localdate()
        )


class ResponseTime(models.Model):
    """How long the company gives itself to resolve an item of a severity: triage sets the due
    date to the day (local time) ``hours`` after the item was received. A severity without a row
    falls back to :data:`DEFAULT_RESPONSE_HOURS`."""

    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, unique=True)
    hours = models.PositiveIntegerField(
        _("hours to resolve"), validators=[MinValueValidator(1)],
        help_text=_("From the moment the item was received (72 = three days)."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("response time")
        verbose_name_plural = _("response times")
        ordering = ["hours"]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.hours} h"


DEFAULT_RESPONSE_HOURS = {
    Severity.CRITICAL: 24,
    Severity.HIGH: 72,
    Severity.MEDIUM: 7 * 24,
    Severity.LOW: 14 * 24,
}


class MappingTarget(models.TextChoices):
    FEEDBACK = "feedback", _("Feedback items")


# What a column mapping may fill: the fields of a feedback row (services.imports.FeedbackRow).
MAPPABLE_FIELDS = (
    "channel", "received_at", "customer_ref", "order_ref", "rating", "text", "category",
    "department", "severity", "owner", "due_date", "kpi", "bpi_project", "source_system",
    "source_ref",
)  # fmt: skip


class ColumnMapping(models.Model):
    """How the columns of another system's export become feedback fields.

    ``mapping``: ``{"source column": "field"}``; several columns mapped to one field are joined
    with a line break (title + message → text), empty cells left out. ``value_maps``:
    ``{"field": {"their value": "our value"}}``. ``constants``: ``{"field": value}`` for every
    row (channel = survey). ``date_format``: ``strptime`` format of date/time cells (empty: ISO
    8601); times without a zone are in ``time_zone`` (empty: the server's).
    """

    name = models.CharField(_("name"), max_length=100, unique=True, validators=[code_validator])
    target = models.CharField(
        _("target"), max_length=20, choices=MappingTarget.choices, default=MappingTarget.FEEDBACK
    )
    description = models.TextField(_("description"), blank=True)
    mapping = models.JSONField(_("columns → fields"), default=dict)
    date_format = models.CharField(_("date format"), max_length=50, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    value_maps = models.JSONField(_("value maps"), default=dict, blank=True)
    constants = models.JSONField(_("constants"), default=dict, blank=True)

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        known = set(MAPPABLE_FIELDS)
        if not isinstance(self.mapping, dict) or not self.mapping:
            errors["mapping"] = _('Map at least one column: {"column": "field"}.')
        elif bad := sorted(str(f) for f in self.mapping.values() if f not in known):
            errors["mapping"] = _("Unknown fields: %(fields)s. Known: %(known)s.") % {
                "fields": ", ".join(bad),
                "known": ", ".join(MAPPABLE_FIELDS),
            }
        for name in ("value_maps", "constants"):
            value = getattr(self, name)
            if not isinstance(value, dict):
                errors[name] = _("Give an object keyed by field name.")
            elif bad := sorted(str(f) for f in value if f not in known):
                errors[name] = _("Unknown fields: %(fields)s. Known: %(known)s.") % {
                    "fields": ", ".join(bad),
                    "known": ", ".join(MAPPABLE_FIELDS),
                }
            elif name == "value_maps" and not all(isinstance(m, dict) for m in value.values()):
                errors[name] = _('Each value map is an object: {"their value": "ours"}.')
        if self.time_zone:
            try:
                zoneinfo.ZoneInfo(self.time_zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                errors["time_zone"] = _("Unknown time zone “%(zone)s”.") % {"zone": self.time_zone}
        if errors:
            raise ValidationError(errors)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone or settings.TIME_ZONE)
