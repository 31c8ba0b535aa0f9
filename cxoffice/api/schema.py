"""The OpenAPI schema says what the API answers, refusals included.

Every refusal has one shape (``cxoffice/api/errors.py``): ``{detail, field, code, errors}``.
:func:`document_errors` (a drf-spectacular post-processing hook) adds that shape as the
``Error`` component and, to every operation, the error statuses the API can give it:

- 400 the request is not valid (a field, a filter, a page number, a period key …);
- 401 no or a bad/expired token; 403 the caller's role may not do this;
- 404 the object (or the list page) does not exist, or the caller may not see it;
- 406 an ``Accept`` header the API cannot answer;
- 409 what a state rule refuses (approved runs, frozen plans, protected rows, an export of a
  run not approved …);
- 413 a request body over ``DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE``; 415 an unsupported body type;
- 429 the sign-in endpoint, after too many failed attempts for one user name.

An operation's own ``extend_schema`` responses win over these defaults.

:func:`request_alternatives` says in the request components what the server reads besides the
canonical form: an amount or rate as a JSON number as well as a string (``"87.5"`` or ``87.5``),
and a reference as a code or an id. Responses always carry the canonical form.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every refusal of the API: a sentence for people, the field and a code for "
    "programs.",
    "properties": {
        "detail": {
            "type": "string",
            "description": "A sentence a person can read, in the caller's language; names the "
            "field and the rule.",
        },
        "field": {
            "type": "string",
            "nullable": True,
            "description": "The refused field (dotted path for nested ones, e.g. "
            "components[0].kpi), or null when the refusal is not about one field.",
        },
        "code": {"type": "string", "description": "A stable code: required, invalid, …"},
        "errors": {
            "description": "Validation refusals only: every field's messages (an object), or "
            "for bulk writes the refused rows (a list of {index, field, code, detail}).",
            "anyOf": [
                {"type": "object", "additionalProperties": True},
                {"type": "array", "items": {"type": "object", "additionalProperties": True}},
            ],
        },
    },
    "required": ["detail", "field", "code"],
}

WRITES = {"post", "put", "patch"}

# The forms of a period key (SPEC §3): a year, a quarter, a month or an ISO week.
PERIOD = r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2])|-W(0[1-9]|[1-4]\d|5[0-3]))?$"
WEEK = r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"
QUARTER = r"^\d{4}-Q[1-4]$"
PARAMETER_PATTERNS = {"period": PERIOD, "period_from": PERIOD, "period_to": PERIOD,
                      "period_in": PERIOD, "week": WEEK}  # fmt: skip
OPERATION_PATTERNS = {("/api/v1/service-days/compliance/", "period"): QUARTER}

RULES = _(
    "Beyond what this schema states, a request can be refused by a business rule, with the "
    "field and the rule named: 400 for a code or id that names nothing (code "
    "does_not_exist, invalid_choice in a filter), a code or number already taken (unique, "
    "duplicate), dates or levels out of order, a value outside its KPI's range, a rule "
    "between fields (a field that another field makes necessary, code required: a value or a "
    "numerator and denominator, a line or the run and the employee, a holder for its scope, "
    "an executive or owner when the caller has no employee record; a scope and its holder: "
    "scope_holder), an amount with more digits than its field keeps (max_digits, "
    "max_decimal_places, max_whole_digits: the string form's pattern shows the limits) or "
    "outside its field's range (min_value, max_value: the description gives it), a "
    "field that cannot change after creation (immutable), a period that does not exist, "
    "text with a NUL character, or rows of a bulk write refused one by one (invalid_rows: an "
    "unknown or wrong field in a row); 409 for a state that forbids it (approved, frozen, "
    "retired)."
)


def _statuses(path: str, method: str) -> dict[str, str]:
    found = {
        "400": _("The request is not valid: the error names the field and the rule."),
        "401": _("Not signed in, or the token is unknown or expired."),
        "403": _("The caller's role does not allow this."),
        "404": _("Not found, or not visible to the caller."),
        "406": _("The Accept header asks for a format the API cannot answer."),
    }
    found["409"] = _("Refused by the object's state (approved, frozen, referenced …).")
    if method in WRITES:
        found["413"] = _("The request body is too large.")
        found["415"] = _("The body's content type is not supported.")
    if path.rstrip("/").endswith("/auth/token"):
        found["429"] = _("Too many failed sign-ins for this user name: try again later.")
    return found


def _digits_required(schema) -> None:
    """drf-spectacular's decimal pattern ``^-?\\d{0,5}(?:\\.\\d{0,4})?$`` also matches "" and
    "-", which no server reads as a number: require a digit."""
    if isinstance(schema, dict):
        if schema.get("format") == "decimal" and str(schema.get("pattern", "")).startswith("^-?"):
            schema["pattern"] = "^-?(?=\\.?\\d)" + schema["pattern"][3:]
        for value in schema.values():
            _digits_required(value)
    elif isinstance(schema, list):
        for value in schema:
            _digits_required(value)


def _alternatives(schema):
    """The request form of one property schema (recursing into arrays and combinations)."""
    if not isinstance(schema, dict):
        return schema
    outer = {key: schema.pop(key) for key in ("description", "title") if key in schema}
    if schema.pop("x-or-id", False):
        if not schema.get("nullable"):  # a nullable reference reads "" as null
            schema.setdefault("minLength", 1)
        return {"oneOf": [schema, {"type": "integer", "description": "The object's id."}], **outer}
    if schema.get("type") == "string" and schema.get("format") == "decimal":
        number = {"type": "number", "description": "The same amount as a JSON number."}
        return {"oneOf": [schema, number], **outer}
    schema.update(outer)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            schema[key] = _alternatives(schema[key])
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            schema[key] = [_alternatives(branch) for branch in schema[key]]
    if "properties" in schema:
        schema["properties"] = {
            name: _alternatives(sub) for name, sub in schema["properties"].items()
        }
    return schema


def _strip_markers(schema):
    if isinstance(schema, dict):
        schema.pop("x-or-id", None)
        for value in schema.values():
            _strip_markers(value)
    elif isinstance(schema, list):
        for value in schema:
            _strip_markers(value)


def request_alternatives(result, generator, request, public):
    """drf-spectacular post-processing hook: numbers for amounts and ids for codes in requests."""
    _digits_required(result)
    schemas = result.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        if name.endswith("Request"):
            _alternatives(schema)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                _strip_markers(parameter)
            for content in operation.get("requestBody", {}).get("content", {}).values():
                if "schema" in content:
                    content["schema"] = _alternatives(content["schema"])
    _strip_markers(result)
    return result


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: the Error component and every error status."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    rules = str(RULES)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            operation["description"] = "\n\n".join(
                part for part in (operation.get("description", ""), rules) if part
            )
            for parameter in operation.get("parameters", []):
                name = parameter.get("name")
                pattern = OPERATION_PATTERNS.get((path, name), PARAMETER_PATTERNS.get(name))
                schema = parameter.get("schema", {})
                if pattern and schema.get("type") == "string" and "enum" not in schema:
                    schema.setdefault("pattern", pattern)
            responses = operation.setdefault("responses", {})
            for status, description in _statuses(path, method).items():
                response = responses.setdefault(status, {"description": str(description)})
                # An operation's own response for the status keeps its words; the body of
                # every refusal is the Error shape.
                response.setdefault("content", {"application/json": {"schema": reference}})
    return result
