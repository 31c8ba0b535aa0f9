"""Translatable sentences kept for later (statements, blocking issues): stored language-neutral
and rendered in each reader's language, so a run is explained once however many languages read
it. Pure: no ORM; translation happens only in :func:`render`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop


def message(msgid: str, **params: object) -> tuple:
    """A translatable sentence kept for later: ``(msgid, {name: value or message})``.

    Statements are stored this way (JSON, where the pair becomes a list) and rendered in each
    reader's language, so a run is explained once however many languages read it."""
    return (msgid, params)


def is_message(item: object) -> bool:
    return isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[1], dict)


def render(messages) -> tuple[str, ...]:
    """Messages (see :func:`message`) as sentences in the active language."""

    def value(item):
        if is_message(item):
            return _(item[0]) % {name: value(v) for name, v in item[1].items()}
        return item

    return tuple(value(item) for item in messages)


def segment_label(kpi: str, department: str | None, days: int):
    """A component's name, with the department and days of a department segment."""
    if department is None:
        return kpi
    return message(
        gettext_noop("%(kpi)s in %(department)s (%(days)s days)"),
        kpi=kpi,
        department=department,
        days=days,
    )
