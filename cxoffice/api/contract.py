"""Requests are checked against the OpenAPI schema before a view runs.

**Query parameters.**
The schema (drf-spectacular) declares every query parameter of every operation: a page number
is an integer, ``hired_before`` a date, ``as_sent`` a boolean, ``status`` one of a list. Django
filters and views are lenient by themselves (an empty ``?page_size=`` or ``?hired_before=``
is ignored, ``?as_sent=7`` counts as true), so a client could send what the contract forbids
and get an answer it cannot rely on. :class:`QueryContractMiddleware` refuses such a request
with 400 in the API's error shape, naming the parameter — the schema and the server cannot
drift apart, because the check reads the schema.

**JSON bodies.** DRF coerces JSON types: ``0`` becomes the name ``"0"``, ``"yes"`` a boolean,
``12.5`` an amount the schema declares as a string. A body value whose JSON type is not the one
the schema declares (``null`` where it is not nullable included) is refused the same way,
naming the field (``components[0].weight``). Only types are checked here, in one walk over the
body that costs nothing next to parsing it; every other rule (required, lengths, choices,
digits, dates) stays with the serializers and services, whose messages name it.

Parameters and body fields the schema does not declare are left alone; only ``/api/v1/`` is
checked. The schema is generated once per process (about 0.3 s) and cached.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _

API_PREFIX = "/api/v1/"
INTEGER = re.compile(r"-?\d+")
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[-+]\d{2}:\d{2})")


@dataclass(frozen=True)
class Operation:
    pattern: re.Pattern
    method: str
    parameters: dict[str, dict]  # query parameter name → its schema
    body: dict | None  # the application/json request body's schema


_components: dict[str, dict] = {}


_generating = threading.Lock()


@lru_cache(maxsize=1)
def _operations() -> tuple[Operation, ...]:
    # drf-spectacular's generator is not thread-safe (it loads its extensions lazily): one
    # thread generates, the others wait for its answer.
    with _generating:
        return _generate()


def _generate() -> tuple[Operation, ...]:
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    _components.update(document.get("components", {}).get("schemas", {}))
    found = []
    for path, operations in document["paths"].items():
        if not path.startswith(API_PREFIX):
            continue
        pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)))
        for method, operation in operations.items():
            parameters = {
                parameter["name"]: parameter.get("schema", {})
                for parameter in operation.get("parameters", [])
                if parameter.get("in") == "query"
            }
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            found.append(Operation(pattern, method.upper(), parameters, body))
    return tuple(found)


def _operation_for(path: str, method: str) -> Operation | None:
    for operation in _operations():
        if operation.method == method and operation.pattern.fullmatch(path):
            return operation
    return None


def _refusal(value: str, schema: dict) -> tuple[str, str] | None:
    """Why ``value`` breaks ``schema`` (message, code), or None when it holds."""
    kind = schema.get("type", "string")
    if "enum" in schema:
        allowed = [str(choice) for choice in schema["enum"] if choice is not None]
        if value not in allowed:
            return (
                _("“%(value)s” is not one of: %(allowed)s.")
                % {"value": value, "allowed": ", ".join(allowed)},
                "invalid_choice",
            )
        return None
    if kind == "integer":
        if not INTEGER.fullmatch(value):
            return _("A valid integer is required."), "invalid"
        number = int(value)
    elif kind == "number":
        if not NUMBER.fullmatch(value):
            return _("A valid number is required."), "invalid"
        number = float(value)
    elif kind == "boolean":
        if value.lower() not in {"true", "false"}:  # as the filters do: True, false …
            return _("Use true or false."), "invalid"
        return None
    else:
        if len(value) < schema.get("minLength", 0):
            return _("This field may not be blank."), "blank"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return (
                _("Ensure this field has no more than %(limit)s characters.")
                % {"limit": schema["maxLength"]},
                "max_length",
            )
        if "pattern" in schema and not re.search(schema["pattern"], value):
            if value == "":  # not "no filter": the parameter was given, empty
                return _("This field may not be blank."), "blank"
            return _pattern_refusal(value, schema["pattern"])
        form = schema.get("format")
        if form == "date" and not _is_date(value):
            return _("Give a date as YYYY-MM-DD."), "invalid"
        if form == "date-time" and not _is_date_time(value):
            return _("Give a date and time as YYYY-MM-DDTHH:MM:SS with a UTC offset."), "invalid"
        return None
    if "minimum" in schema and number < schema["minimum"]:
        return (
            _("Ensure this value is greater than or equal to %(limit)s.")
            % {"limit": schema["minimum"]},
            "min_value",
        )
    if "maximum" in schema and number > schema["maximum"]:
        return (
            _("Ensure this value is less than or equal to %(limit)s.")
            % {"limit": schema["maximum"]},
            "max_value",
        )
    return None


def _pattern_refusal(value: str, pattern: str) -> tuple[str, str]:
    from apps.kpis.periods import PeriodError

    from .schema import PERIOD, QUARTER, WEEK

    if pattern == PERIOD:
        return str(PeriodError(value)), "invalid_period"
    if pattern == WEEK:
        message = _("“%(key)s” is not an ISO week: use the form 2026-W47 (year, W, week number).")
        return message % {"key": value}, "invalid_period"
    if pattern == QUARTER:
        return _("Give a quarter, such as 2026-Q4."), "invalid_period"
    return _("This value does not have the expected form."), "invalid"


def _is_date(value: str) -> bool:
    try:
        return bool(DATE.fullmatch(value)) and bool(dt.date.fromisoformat(value))
    except ValueError:
        return False


def _is_date_time(value: str) -> bool:
    try:
        return bool(DATE_TIME.fullmatch(value)) and bool(dt.datetime.fromisoformat(value))
    except ValueError:
        return False


def query_refusal(path: str, method: str, query) -> dict | None:
    """The 400 body for a query string that breaks the operation's schema, else None."""
    operation = _operation_for(path, method)
    if operation is None:
        return None
    for name, schema in operation.parameters.items():
        values = query.getlist(name)
        if not values:
            continue
        if schema.get("type") == "array":
            items, problem = schema.get("items", {}), None
            for value in values:
                problem = problem or _refusal(value, items)
        elif len(values) > 1:
            problem = (_("Give this parameter once."), "repeated")
        else:
            problem = _refusal(values[0], schema)
        if problem:
            message, code = problem
            return {
                "detail": f"{name}: {message}",
                "field": name,
                "code": code,
                "errors": {name: [message]},
            }
    return None


JSON_TYPES = {
    "string": lambda value: isinstance(value, str),
    "integer": lambda value: (
        (isinstance(value, int) and not isinstance(value, bool))
        or (isinstance(value, float) and value.is_integer())
    ),
    "number": lambda value: isinstance(value, int | float) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
    "array": lambda value: isinstance(value, list),
    "object": lambda value: isinstance(value, dict),
}


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = _components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema


def _path(parts: list) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _type_refusal(value, schema: dict, at: list) -> tuple[list, str] | None:
    """The first place in ``value`` whose JSON type breaks ``schema``: (path, expected type)."""
    schema = _resolve(schema)
    if value is None:
        return None  # null where it is not allowed: the serializer's "may not be null" says so
    for branch in schema.get("allOf", []):
        found = _type_refusal(value, branch, at)
        if found:
            return found
    alternatives = schema.get("oneOf", []) + schema.get("anyOf", [])
    if alternatives:
        refusals = [_type_refusal(value, branch, at) for branch in alternatives]
        if not all(refusals):
            return None
        # The branch of the value's own JSON type says best what is wrong ("" as an amount).
        for branch, refusal in zip(alternatives, refusals, strict=True):
            kind = _resolve(branch).get("type")
            if kind in JSON_TYPES and JSON_TYPES[kind](value):
                return refusal
        return at, " | ".join(str(_resolve(branch).get("type", "value")) for branch in alternatives)
    kind = schema.get("type")
    if kind is None and "enum" in schema:
        kind = "string" if all(isinstance(c, str) for c in schema["enum"] if c) else None
    if kind and kind in JSON_TYPES and not JSON_TYPES[kind](value):
        return at, kind
    if schema.get("format") == "decimal" and not re.search(schema.get("pattern", ""), value):
        return at, "decimal"  # "" or "-" is not an amount (DRF would read "" as null)
    if isinstance(value, dict):
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                found = _type_refusal(value[name], sub, [*at, name])
                if found:
                    return found
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found = _type_refusal(item, schema["items"], [*at, index])
            if found:
                return found
    return None


def body_refusal(request) -> dict | None:
    """The 400 body for a JSON request body whose types break the schema, else None."""
    if not (request.content_type or "").startswith("application/json"):
        return None
    operation = _operation_for(request.path, request.method)
    if operation is None or operation.body is None:
        return None
    try:
        value = json.loads(request.body)
    except (ValueError, RecursionError, RequestDataTooBig):
        return None  # the parser's parse error, or the 413 of the exception handler, says it
    found = _type_refusal(value, operation.body, [])
    if found is None:
        return None
    at, expected = found
    field = _path(at) or None
    message = _("Expected a JSON value of type %(type)s.") % {"type": expected}
    code = "invalid_type"
    if expected == "decimal":
        message, code = _("A valid number is required."), "invalid"
    return {
        "detail": f"{field}: {message}" if field else message,
        "field": field,
        "code": code,
        "errors": {field or "non_field_errors": [message]},
    }


class ContractMiddleware:
    """Refuse an API request whose query string or JSON body breaks the schema (400)."""

    def __init__(self, get_response):
        self.get_response = get_response
        _operations()  # at start-up, before the server takes concurrent requests

    def __call__(self, request):
        if request.path.startswith(API_PREFIX):
            body = query_refusal(request.path, request.method, request.GET)
            if body is None and request.method in {"POST", "PUT", "PATCH"}:
                body = body_refusal(request)
            if body is not None:
                return JsonResponse(body, status=400)
        return self.get_response(request)
