"""Records for tests, written the only way records are written: through the loader."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from apps.records import services
from apps.records.models import RecordKind

UTC = dt.UTC
_ids = itertools.count(1)


def at(day: dt.date | str, hour: int = 12, minute: int = 0) -> str:
    """An ISO timestamp (UTC) of a day."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UTC).isoformat()


def load(kind: str, rows: list[dict[str, Any]], **kwargs) -> services.LoadReport:
    prepared = [
        {"source_system": "test", "source_record_id": f"r{next(_ids)}", **row} for row in rows
    ]
    return services.records_load(kind=kind, table=services.table_from_rows(prepared), **kwargs)


def surveys(*rows: dict[str, Any]) -> services.LoadReport:
    return load(RecordKind.SURVEYS, list(rows))


def survey(survey_type: str, score: int, day: str = "2026-03-10", **extra) -> dict:
    return {"survey_type": survey_type, "score": score, "answered_at": at(day), **extra}


def tickets(*rows: dict[str, Any]) -> services.LoadReport:
    return load(RecordKind.TICKETS, list(rows))


def shipments(*rows: dict[str, Any]) -> services.LoadReport:
    return load(RecordKind.SHIPMENTS, list(rows))


def shipment(promised: str, delivered: str | None = None, **extra) -> dict:
    """An order placed 5 days before its promised date (12:00 UTC), delivered at 12:00 UTC of
    ``delivered`` if given."""
    promised_day = dt.date.fromisoformat(promised)
    row = {
        "ordered_at": at(promised_day - dt.timedelta(days=5)),
        "promised_at": at(promised_day),
        **extra,
    }
    if delivered:
        row["delivered_at"] = at(delivered)
    return row
