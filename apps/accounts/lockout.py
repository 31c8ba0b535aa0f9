"""The page a locked-out username gets at the admin and self-service login forms.

django-axes calls :func:`lockout_response` (``AXES_LOCKOUT_CALLABLE``) from its middleware when
it refused a login. The API's token endpoint answers its own 429 (``services.token_obtain``).
"""

from axes.helpers import get_client_username, get_failure_limit
from django.contrib import admin
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.accounts.messages import locked_out_message
from apps.accounts.selectors import lockout_retry_after


def lockout_response(request, original_response=None, credentials=None):
    username = get_client_username(request, credentials)
    retry_after = lockout_retry_after(username=username, request=request, credentials=credentials)
    at_admin = request.path.startswith(reverse("admin:index"))
    context = {
        **(admin.site.each_context(request) if at_admin else {}),
        "base_template": "admin/base_site.html" if at_admin else "self_service/base.html",
        "title": _("Too many failed logins"),
        "failure_limit": get_failure_limit(request, credentials),
        "message": locked_out_message(retry_after=retry_after),
    }
    response = render(request, "accounts/locked_out.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response
