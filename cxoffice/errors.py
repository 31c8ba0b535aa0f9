"""The one error type that business rules raise.

Services raise :class:`ApplicationError` (or :class:`ConflictError` for state conflicts); the
API turns it into a 4xx with ``{"detail", "field", "code"}`` and the admin shows it as an
error message on the field it names.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


class ApplicationError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def as_dict(self) -> dict:
        return {"detail": str(self.message), "field": self.field, "code": self.code}


class ConflictError(ApplicationError):
    """The request is well formed but the object's state forbids it (HTTP 409)."""

    status_code = 409


def first_validation_message(error: ValidationError) -> tuple[str | None, str, str]:
    """Return (field, message, code) of the first message in a Django ``ValidationError``."""
    if hasattr(error, "error_dict"):
        field, errors = next(iter(error.error_dict.items()))
        first = errors[0]
        field = None if field == "__all__" else field
    else:
        field, first = None, error.error_list[0]
    message = first.message % first.params if first.params else first.message
    return field, str(message), first.code or "invalid"


def application_error_from(error: ValidationError) -> ApplicationError:
    field, message, code = first_validation_message(error)
    return ApplicationError(message, field=field, code=code)
