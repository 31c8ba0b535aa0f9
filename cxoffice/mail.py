"""Reminder e-mails (SPEC §14): one plain-text message per person, sent in one connection."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage, get_connection
from django.utils.translation import gettext as _


def reminder(*, to: str, name: str, subject: str, paragraphs: Sequence[str]) -> EmailMessage:
    """ "Hello <name>," then the paragraphs, separated by blank lines (a paragraph may hold
    several lines, e.g. a list of items)."""
    body = "\n\n".join([_("Hello %(name)s,") % {"name": name}, *paragraphs])
    return EmailMessage(subject=subject, body=body, to=[to])


def send_all(messages: Sequence[EmailMessage]) -> int:
    """Send the messages over one connection; how many were sent."""
    if messages:
        get_connection().send_messages(list(messages))
    return len(messages)
