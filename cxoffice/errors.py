"""The one error type that business rules raise.

Services raise :class:`ApplicationError` (or :class:`ConflictError` for state conflicts); the
API turns it into a 4xx with ``{"detail", "field", "code"}`` and the admin shows it as an
error message on the field it names.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import ngettext


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


class PermissionDeniedError(ApplicationError):
    """The user may not do this to this object (HTTP 403)."""

    status_code = 403


class LockedOutError(ApplicationError):
    """Too many failed logins for this username: refused until ``retry_after`` seconds pass
    (HTTP 429 with a ``Retry-After`` header)."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, code="locked_out")
        self.retry_after = retry_after


@dataclass(frozen=True)
class RowError:
    """One refused row of a file or bulk request: 0-based ``index``, the field and the rule."""

    index: int
    field: str | None
    detail: str
    code: str = "invalid"

    def as_dict(self) -> dict:
        return {"index": self.index, "field": self.field, "detail": self.detail, "code": self.code}


class RowsError(ApplicationError):
    """A bulk write refused as a whole because of the listed rows; nothing was written."""

    def __init__(self, errors: list[RowError], *, status_code: int = 400) -> None:
        first = errors[0]
        super().__init__(
            ngettext(
                "Row %(number)s (index %(index)s): %(problem)s (%(count)s row refused; nothing "
                "was written).",
                "Row %(number)s (index %(index)s): %(problem)s (%(count)s rows refused; nothing "
                "was written).",
                len(errors),
            )
            % {
                "number": first.index + 1,
                "index": first.index,
                "problem": f"{first.field}: {first.detail}" if first.field else first.detail,
                "count": len(errors),
            },
            field=first.field,
            code="invalid_rows",
        )
        self.errors = errors
        self.status_code = status_code

    def as_dict(self) -> dict:
        return {**super().as_dict(), "errors": [error.as_dict() for error in self.errors]}
