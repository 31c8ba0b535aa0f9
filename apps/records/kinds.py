"""The words of CX records (SPEC §5): record kinds, survey types and scales, shipment statuses,
the stages of an order, and the statuses and doors of a load. Imported by the models, the field
definitions and the rules alike, so that none of them imports another for a name.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordKind(models.TextChoices):
    SURVEYS = "surveys", _("survey responses")
    TICKETS = "tickets", _("support tickets")
    SHIPMENTS = "shipments", _("shipments")


class SurveyType(models.TextChoices):
    NPS = "nps", _("NPS (0–10)")
    CSAT = "csat", _("CSAT (1–5)")
    CES = "ces", _("CES")


class CesScale(models.TextChoices):
    """The wording of a CES question: the two scales are never mixed in one number."""

    EASY_1_7 = "easy_1_7", _("1–7 “the company made it easy” (higher is better)")
    EFFORT_1_5 = "effort_1_5", _("1–5 “how much effort” (lower is better)")


# The inclusive score range of each survey (CES by its scale wording).
SCORE_RANGES = {
    (SurveyType.NPS, ""): (0, 10),
    (SurveyType.CSAT, ""): (1, 5),
    (SurveyType.CES, CesScale.EASY_1_7): (1, 7),
    (SurveyType.CES, CesScale.EFFORT_1_5): (1, 5),
}


class ShipmentStatus(models.TextChoices):
    IN_TRANSIT = "in_transit", _("in transit")
    DELIVERED = "delivered", _("delivered")
    CANCELLED = "cancelled", _("cancelled")


class Stage(models.TextChoices):
    """The stages of an order, between two of its timestamps (SPEC §4's late-delivery tree)."""

    PAYMENT_CONFIRMATION = "payment_confirmation", _("payment confirmation")
    ORDER_PROCESSING = "order_processing", _("order processing")
    WAREHOUSE = "warehouse", _("warehouse")
    PICKING = "picking", _("picking")
    SORTING = "sorting", _("sorting")
    PACKING = "packing", _("packing")
    DISPATCH = "dispatch", _("dispatch")
    CARRIER = "carrier", _("carrier")


WAREHOUSE_STAGES = (Stage.PICKING, Stage.SORTING, Stage.PACKING, Stage.DISPATCH)
# Where an order not yet delivered waits: the stage after the last of its times that is known.
STUCK_AFTER = (
    ("shipped_at", Stage.CARRIER),
    ("packed_at", Stage.DISPATCH),
    ("sorted_at", Stage.PACKING),
    ("picked_at", Stage.SORTING),
    ("warehouse_received_at", Stage.PICKING),
    ("paid_at", Stage.ORDER_PROCESSING),
)


class LoadStatus(models.TextChoices):
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    REFUSED = "refused", _("refused")
    FAILED = "failed", _("failed")


class LoadDoor(models.TextChoices):
    COMMAND = "command", _("management command")
    ADMIN = "admin", _("admin upload")
    API = "api", _("bulk API")
