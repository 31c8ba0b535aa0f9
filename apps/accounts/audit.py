"""One log line for every failed login and every lockout, with username, IP address and time.

django-axes also writes them to the database (access failures and attempts, shown in the
admin) but masks the username and address in its own log lines.
"""

import logging

from axes.helpers import get_client_ip_address
from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.utils import timezone

logger = logging.getLogger("cxoffice.auth")


def client_ip_behind_proxy(request) -> str | None:
    """The client's address as our TLS proxy saw it: the last ``X-Forwarded-For`` entry, the one
    the proxy appended (earlier entries come from the client and can say anything).

    ``AXES_CLIENT_IP_CALLABLE`` when ``DJANGO_BEHIND_PROXY`` is set; otherwise ``REMOTE_ADDR``.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    last = forwarded.rsplit(",", 1)[-1].strip()
    return last or request.META.get("REMOTE_ADDR")


@receiver(user_login_failed, dispatch_uid="cxoffice-login-failed")
def log_login_failed(sender, credentials, request=None, **kwargs):
    logger.warning(
        "Login failed: username=%r ip=%s time=%s path=%s",
        credentials.get(get_user_model().USERNAME_FIELD),
        get_client_ip_address(request) if request is not None else None,
        timezone.now().isoformat(),
        getattr(request, "path", None),
    )


@receiver(user_locked_out, dispatch_uid="cxoffice-locked-out")
def log_locked_out(sender, request, username, ip_address, **kwargs):
    logger.warning(
        "Login locked out: username=%r ip=%s time=%s path=%s",
        username,
        ip_address,
        timezone.now().isoformat(),
        getattr(request, "path", None),
    )
