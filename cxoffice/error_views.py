"""Error pages: the API's paths answer in the API's error shape (``{"detail", "field",
"code"}``, JSON), everything else gets a short branded page in the reader's language with a
way back to the admin. Django calls these for errors no view handled (an unknown URL, a
refusal outside DRF, an unhandled exception)."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _error(request, status: int, code: str, detail: str):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail, "field": None, "code": code}, status=status)
    return render(request, "error.html", {"status": status, "detail": detail}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, "bad_request", _("The request could not be read."))


def permission_denied(request, exception=None):
    return _error(request, 403, "permission_denied", _("You may not open this page."))


def page_not_found(request, exception=None):
    return _error(request, 404, "not_found", _("There is no page at this address."))


def server_error(request):
    return _error(
        request,
        500,
        "server_error",
        _("Something went wrong on our side; it has been logged. Try again, or tell the team."),
    )
