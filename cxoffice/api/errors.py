"""One error shape for every refusal of the API.

``{"detail": "<field>: <rule>", "field": "<field or null>", "code": "<code>", "errors": {...}}``
— ``detail`` is a sentence a person can read, ``field`` and ``code`` are for programs, and
``errors`` (validation only) lists every field's messages.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cxoffice.errors import (
    ApplicationError,
    LockedOutError,
    RowsError,
    first_validation_message,
)


def _first_error(detail, path: str = ""):
    """Walk DRF's nested error detail to its first leaf: (dotted field path, ErrorDetail)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            # A nested list's errors are keyed by row number: components[0].kpi.
            nested = f"{path}.{key}" if path else key
            sub = f"{path}[{key}]" if isinstance(key, int) else nested
            if key == "non_field_errors":
                sub = path
            return _first_error(value, sub)
    if isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                sub = f"{path}[{index}]" if path else f"[{index}]"
                found = _first_error(value, sub)
                if found[1] is not None:
                    return found
            else:
                return path, value
        return path, None
    return path, detail


def _validation_response(detail) -> Response:
    field, leaf = _first_error(detail)
    field = field or None
    message = str(leaf) if leaf is not None else _("The request is not valid.")
    code = getattr(leaf, "code", None) or "invalid"
    body = {
        "detail": f"{field}: {message}" if field else message,
        "field": field,
        "code": code,
        "errors": detail if isinstance(detail, dict) else {"non_field_errors": detail},
    }
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        body = exc.as_dict()
        if exc.field and not isinstance(exc, RowsError):
            body["detail"] = f"{exc.field}: {exc.message}"
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, LockedOutError) else None
        return Response(body, status=exc.status_code, headers=headers)
    if isinstance(exc, DjangoValidationError):
        field, message, code = first_validation_message(exc)
        detail = {field or "non_field_errors": [exceptions.ErrorDetail(message, code)]}
        return _validation_response(detail)
    if isinstance(exc, exceptions.ValidationError):
        return _validation_response(exc.detail)
    if isinstance(exc, Http404):
        # Django's "No KPI matches the given query." is English in every language.
        exc = exceptions.NotFound()
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {
                "detail": _(
                    "The request body is larger than %(size)s MB: send fewer records per "
                    "request, or load the file through the admin upload or the command."
                )
                % {"size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1 << 20)},
                "field": None,
                "code": "too_large",
            },
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, ProtectedError):
        return Response(
            {
                "detail": _(
                    "This object is still referenced by other records and cannot be deleted."
                ),
                "field": None,
                "code": "protected",
            },
            status=status.HTTP_409_CONFLICT,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data.setdefault("field", None)
        response.data.setdefault("code", getattr(response.data["detail"], "code", "error"))
    return response
