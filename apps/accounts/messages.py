"""Shared sentences of the sign-in doors, so the API and the lockout page say the same thing."""

from django.utils.translation import gettext_noop, ngettext


def locked_out_message(*, retry_after: int) -> str:
    minutes = max(1, -(-retry_after // 60))  # whole minutes, rounded up
    return ngettext(
        "Too many failed logins for this username. Try again in %(minutes)s minute; until "
        "then even the right password is refused.",
        "Too many failed logins for this username. Try again in %(minutes)s minutes; until "
        "then even the right password is refused.",
        minutes,
    ) % {"minutes": minutes}


# django-axes ships no Chinese catalog: the words of its admin pages (login attempts, access and
# failure logs), listed here so that cxoffice's catalogs carry them. Never called: read by
# makemessages.
AXES_MESSAGES = [
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Time"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("Path"),
    gettext_noop("POST Data"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("User Agent"),
]
