"""Raw CX records (SPEC §5) — survey answers, support tickets, shipments — their saved column
mappings, the standard durations of the delivery stages, and the history of loads.

Records are written only by the loader (``services.loading``), which also fills the derived
columns (local dates, durations in whole seconds, the stage an undelivered order is stuck in)
so that every calculator is a plain SQL aggregate over indexed columns.

A record is identified by its source: ``(source_system, source_record_id)`` is unique, so
loading the same export again updates rows instead of adding them.
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.departments.models import Department, Employee, code_validator

from .fields import FIELDS
from .kinds import (  # noqa: F401 - the models' words, imported from here by other apps
    SCORE_RANGES,
    STUCK_AFTER,
    WAREHOUSE_STAGES,
    CesScale,
    LoadDoor,
    LoadStatus,
    RecordKind,
    ShipmentStatus,
    Stage,
    SurveyType,
)
from .rules import zone_known


class _Coded(models.Model):
    """Reference data a record names by code: warehouses and carriers."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class Warehouse(_Coded):
    class Meta(_Coded.Meta):
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")


class Carrier(_Coded):
    class Meta(_Coded.Meta):
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")


class RecordMapping(models.Model):
    """How the columns of another system's export become record fields.

    ``columns``: ``{"source column": "field"}``. ``value_maps``: ``{"field": {"their value":
    "our value"}}`` (a ``"*"`` key is the value for anything not listed). ``constants``:
    ``{"field": value}`` for every row (e.g. ``survey_type``, ``source_system``).
    ``date_format``: ``strptime`` format of date/time cells (empty: ISO 8601); times without a
    zone are in ``time_zone`` (empty: the server's), which also gives the local calendar dates.
    """

    name = models.CharField(_("name"), max_length=100, unique=True, validators=[code_validator])
    kind = models.CharField(_("record kind"), max_length=10, choices=RecordKind.choices)
    description = models.TextField(_("description"), blank=True)
    columns = models.JSONField(_("columns → fields"), default=dict)
    value_maps = models.JSONField(_("value maps"), default=dict, blank=True)
    constants = models.JSONField(_("constants"), default=dict, blank=True)
    date_format = models.CharField(_("date format"), max_length=50, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("record column mapping")
        verbose_name_plural = _("record column mappings")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        known = set(FIELDS.get(self.kind, {}))
        if not isinstance(self.columns, dict) or not self.columns:
            errors["columns"] = _('Map at least one column: {"column": "field"}.')
        elif bad := sorted(str(f) for f in self.columns.values() if f not in known):
            errors["columns"] = _("Unknown fields: %(fields)s. Known: %(known)s.") % {
                "fields": ", ".join(bad),
                "known": ", ".join(sorted(known)),
            }
        for name in ("value_maps", "constants"):
            value = getattr(self, name)
            if not isinstance(value, dict):
                errors[name] = _("Give an object keyed by field name.")
            elif bad := sorted(str(f) for f in value if f not in known):
                errors[name] = _("Unknown fields: %(fields)s. Known: %(known)s.") % {
                    "fields": ", ".join(bad),
                    "known": ", ".join(sorted(known)),
                }
        if self.time_zone:
            try:
                zoneinfo.ZoneInfo(self.time_zone)
                known = zone_known(self.time_zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                known = False
            if not known:
                errors["time_zone"] = _("Unknown time zone “%(zone)s”.") % {"zone": self.time_zone}
        if errors:
            raise ValidationError(errors)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone or settings.TIME_ZONE)


class LoadJob(models.Model):
    """One load of records through any door, with its report (``read``, ``created``,
    ``updated``, ``skipped``, ``rejected`` and the refused rows with their row and column)."""

    kind = models.CharField(_("record kind"), max_length=10, choices=RecordKind.choices)
    door = models.CharField(_("door"), max_length=10, choices=LoadDoor.choices)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    file_path = models.CharField(
        _("stored file"),
        max_length=500,
        blank=True,
        help_text=_("Where the workers read the file (uploads are kept under MEDIA_ROOT)."),
    )
    mapping = models.ForeignKey(
        RecordMapping,
        verbose_name=_("column mapping"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="load_jobs",
    )
    skip_bad_rows = models.BooleanField(_("skip bad rows"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=LoadStatus.choices, default=LoadStatus.RUNNING
    )
    report = models.JSONField(_("report"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    task_id = models.CharField(_("task id"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("record load")
        verbose_name_plural = _("record loads")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.file_name}".strip()


class StageStandard(models.Model):
    """How long a stage of an order should take. A late order whose stage took longer is
    counted in that stage's late-delivery KPI."""

    stage = models.CharField(_("stage"), max_length=24, choices=Stage.choices, unique=True)
    hours = models.DecimalField(_("standard duration (hours)"), max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = _("stage standard duration")
        verbose_name_plural = _("stage standard durations")
        ordering = ["stage"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gte=0),
                name="stagestandard_hours_not_negative",
                violation_error_message=_("A standard duration is 0 hours or more."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.hours} h"


def _credited(verbose_name, help_text):
    """A credited person (SPEC §5): an employee, by employee number in files and the API.
    Checked by the loader like the other references; not indexed (the per-person calculators
    group a period's records, found by their date index; pickers and packers have a partial
    index of promised dates, see ``Shipment.Meta``)."""
    return models.ForeignKey(
        Employee,
        verbose_name=verbose_name,
        help_text=help_text,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )


class Record(models.Model):
    """What every record has: its source identity, its department and the load that wrote it.

    REFERENCES. A record's department, warehouse, carrier and load are foreign keys for Django
    (``PROTECT`` and ``SET_NULL`` on delete, joins, the admin) but not constraints in the
    database. Records are written only by the loader, which checks every code against the
    table it names (set-based, for all rows at once); deleting a department, warehouse or
    carrier that records name is refused by Django (``PROTECT``), and deleting a load job
    clears its records' link (``SET_NULL``). A database constraint would check each of millions
    of rows again, one by one: 3.3 s of a million-row load that otherwise takes about 3 s.
    What this gives up: a department deleted outside Django, or in the same seconds as a load
    naming it commits, could leave records naming a department that no longer exists.
    """

    source_system = models.CharField(_("source system"), max_length=50)
    source_record_id = models.CharField(_("source record id"), max_length=100)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        # Surveys and tickets index (department, their date), which serves the foreign key
        # too; shipments (promised date, department). One index less for every row loaded.
        db_index=False,
        # Checked by the loader, not by a database constraint (REFERENCES, above).
        db_constraint=False,
    )
    load_job = models.ForeignKey(
        LoadJob,
        verbose_name=_("loaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        # Not indexed: only deleting a load job (rare) looks records up by it, and an index
        # would be written for every row of every load.
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.source_system}:{self.source_record_id}"


class SurveyResponse(Record):
    agent = _credited(_("agent"), _("Who served the contact surveyed."))
    survey_type = models.CharField(_("survey type"), max_length=4, choices=SurveyType.choices)
    scale = models.CharField(
        _("scale wording"), max_length=12, choices=CesScale.choices, blank=True
    )
    score = models.SmallIntegerField(_("score"))
    answered_at = models.DateTimeField(_("answered at"))
    channel = models.CharField(_("channel"), max_length=30, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    order_ref = models.CharField(_("order reference"), max_length=100, blank=True)
    customer_ref = models.CharField(_("customer reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-answered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_record_id", "source_system"], name="surveyresponse_source_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["survey_type", "answered_at"], name="survey_type_answered"),
            models.Index(fields=["department", "answered_at"], name="survey_dept_answered"),
        ]


class SupportTicket(Record):
    agent = _credited(_("agent"), _("Who owned the ticket."))
    opened_at = models.DateTimeField(_("opened at"))
    first_response_at = models.DateTimeField(_("first human reply at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    contacts_to_resolve = models.PositiveSmallIntegerField(
        _("contacts to resolve"), null=True, blank=True
    )
    channel = models.CharField(_("channel"), max_length=30, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    # Derived by the loader: whole seconds, so medians and means are exact on every database.
    first_response_seconds = models.BigIntegerField(
        _("first response time (s)"), null=True, blank=True, editable=False
    )
    resolution_seconds = models.BigIntegerField(
        _("resolution time (s)"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("support ticket")
        verbose_name_plural = _("support tickets")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_record_id", "source_system"], name="supportticket_source_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["opened_at"], name="ticket_opened"),
            models.Index(fields=["resolved_at"], name="ticket_resolved"),
            models.Index(fields=["department", "opened_at"], name="ticket_dept_opened"),
        ]


class Shipment(Record):
    order_ref = models.CharField(_("order reference"), max_length=100, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ShipmentStatus.choices,
        default=ShipmentStatus.IN_TRANSIT,
    )
    ordered_at = models.DateTimeField(_("ordered at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    warehouse_received_at = models.DateTimeField(
        _("received by the warehouse at"), null=True, blank=True
    )
    picked_at = models.DateTimeField(_("picked at"), null=True, blank=True)
    sorted_at = models.DateTimeField(_("sorted at"), null=True, blank=True)
    packed_at = models.DateTimeField(_("packed at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("handed to the carrier at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    promised_at = models.DateTimeField(_("promised for"))
    first_attempt_ok = models.BooleanField(_("delivered at the first attempt"), null=True)
    # Unknown (null) when the source does not say: a rate counts only the orders it knows about
    # (an export without damage data has no damage rate, rather than 0%).
    damaged = models.BooleanField(_("damaged"), null=True)
    lost = models.BooleanField(_("lost"), null=True)
    documents_ok = models.BooleanField(_("documents right"), null=True)
    items_ordered = models.PositiveIntegerField(_("items ordered"), null=True, blank=True)
    items_delivered = models.PositiveIntegerField(_("items delivered"), null=True, blank=True)
    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shipments",
        db_index=False,  # grouped on within a period (by promised date), never searched alone
        db_constraint=False,
    )
    carrier = models.ForeignKey(
        Carrier,
        verbose_name=_("carrier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shipments",
        db_index=False,  # grouped on within a period (by promised date), never searched alone
        db_constraint=False,
    )
    courier = _credited(_("courier"), _("The rider who delivered it."))
    picker = _credited(_("picker"), _("Who picked the order in the warehouse."))
    packer = _credited(_("packer"), _("Who packed the order."))
    # Derived by the loader. Calendar dates in the source's time zone: a shipment belongs to
    # the period holding its promised date, and is on time when delivered on or before it.
    promised_on = models.DateField(_("promised date"), editable=False)
    delivered_on = models.DateField(_("delivery date"), null=True, blank=True, editable=False)
    # Seconds spent in each stage (null when either end is unknown).
    payment_seconds = models.BigIntegerField(null=True, blank=True, editable=False)
    processing_seconds = models.BigIntegerField(null=True, blank=True, editable=False)
    picking_seconds = models.BigIntegerField(null=True, blank=True, editable=False)
    sorting_seconds = models.BigIntegerField(null=True, blank=True, editable=False)
    packing_seconds = models.BigIntegerField(null=True, blank=True, editable=False)
    dispatch_seconds = models.BigIntegerField(null=True, blank=True, editable=False)
    warehouse_seconds = models.BigIntegerField(null=True, blank=True, editable=False)
    carrier_seconds = models.BigIntegerField(null=True, blank=True, editable=False)
    # For an order not yet delivered: the stage after its last known timestamp.
    stuck_stage = models.CharField(
        _("waiting in stage"), max_length=24, choices=Stage.choices, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-promised_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_record_id", "source_system"], name="shipment_source_unique"
            ),
        ]
        indexes = [
            # One index for every delivery query: each takes a period of promised dates, for
            # the company or some departments (the department is checked inside the index).
            # A second (department, promised date) index cost 0.3 s of each million rows
            # loaded; without it, deleting a department scans the shipments (rare).
            models.Index(fields=["promised_on", "department"], name="shipment_promised_dept"),
            # Whether a month credits any picker or packer (most credit riders only), found
            # without reading its shipments; partial, so a shipment crediting none costs the
            # load nothing here.
            *[
                models.Index(
                    fields=["promised_on"],
                    condition=models.Q(**{f"{role}__isnull": False}),
                    name=f"shipment_{role}_promised",
                )
                for role in ("picker", "packer")
            ],
        ]


RECORD_MODELS: dict[str, type[Record]] = {
    RecordKind.SURVEYS: SurveyResponse,
    RecordKind.TICKETS: SupportTicket,
    RecordKind.SHIPMENTS: Shipment,
}
