"""The OpenAPI schema is the API: what the server reads and answers is what the schema says.

``make test`` also fuzzes every operation with schemathesis (scripts/schemathesis.sh); these
tests pin the rules it found broken, one by one, so a regression names itself.
"""

import json

import pytest
import yaml
from rest_framework.test import APIClient

from apps.departments.models import Department
from tests.factories import DepartmentFactory, EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return yaml.safe_load(APIClient().get("/api/schema/").content)


@pytest.fixture
def admin_api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def _refusal(response, field, code):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == field
    assert body["code"] == code
    assert body["detail"].startswith(f"{field}: ")
    return body


# Query strings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("page_size=", "invalid"),
        ("page_size=null", "invalid"),
        ("page_size=0", "min_value"),
        ("page_size=501", "max_value"),
        ("page=abc", "invalid"),
        ("page=0", "min_value"),
        ("page_size=5&page_size=5", "repeated"),
    ],
)
def test_a_page_or_page_size_outside_the_schema_is_400(admin_api, query, code):
    field = query.split("=")[0]
    _refusal(admin_api.get(f"/api/v1/departments/?{query}"), field, code)


def test_a_valid_page_size_pages(admin_api):
    DepartmentFactory.create_batch(3)
    body = admin_api.get("/api/v1/departments/?page_size=2&page=2").json()
    assert body["count"] == 3
    assert len(body["results"]) == 1
    assert admin_api.get("/api/v1/departments/?page=3&page_size=2").status_code == 404


@pytest.mark.parametrize("value", ["", "2026-1-1", "20260101", "2026/01/01", "2026-02-30"])
def test_a_date_filter_takes_only_yyyy_mm_dd(admin_api, value):
    _refusal(admin_api.get(f"/api/v1/employees/?hired_before={value}"), "hired_before", "invalid")


def test_a_valid_date_filter_filters(admin_api):
    EmployeeFactory(employee_number="OLD", hire_date="2010-05-01")
    EmployeeFactory(employee_number="NEW", hire_date="2025-05-01")
    body = admin_api.get("/api/v1/employees/?hired_before=2020-01-01").json()
    assert [row["employee_number"] for row in body["results"]] == ["OLD"]


def test_a_boolean_parameter_takes_true_or_false_only(admin_api):
    _refusal(admin_api.get("/api/v1/weekly-reviews/2026-W49/?as_sent=7"), "as_sent", "invalid")


# JSON bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": 0, "name": "Zero"}, "code"),
        ({"code": "ZERO", "name": "Zero", "is_active": "yes"}, "is_active"),
        ({"code": "ZERO", "name": ["Zero"]}, "name"),
    ],
)
def test_a_value_of_the_wrong_json_type_is_refused_and_nothing_is_written(admin_api, body, field):
    response = admin_api.post("/api/v1/departments/", body)
    _refusal(response, field, "invalid_type")
    assert not Department.objects.filter(name="Zero").exists()


def test_a_nested_wrong_type_names_its_path(admin_api):
    body = {"code": "P1", "name": "Plan", "period_type": "quarter", "components": [{"kpi": True}]}
    _refusal(admin_api.post("/api/v1/bonus-plans/", body), "components[0].kpi", "invalid_type")


def test_a_form_encoded_body_is_415(admin_api):
    response = admin_api.post(
        "/api/v1/departments/", {"code": "F", "name": "F"}, format="multipart"
    )
    assert response.status_code == 415
    assert set(response.json()) >= {"detail", "field", "code"}
    assert not Department.objects.filter(code="F").exists()


def test_amounts_are_read_as_strings_or_numbers_and_references_as_codes_or_ids(admin_api, schema):
    department = DepartmentFactory(code="CS")
    response = admin_api.post(
        "/api/v1/employees/",
        {
            "employee_number": "E1",
            "full_name": "A",
            "email": "a@example.com",
            "hire_date": "2024-01-01",
            "base_salary": 1234.5,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["base_salary"] == "1234.50"
    request = schema["components"]["schemas"]["KPIResultRequest"]["properties"]["numerator"]
    assert [branch["type"] for branch in request["oneOf"]] == ["string", "number"]
    assignment = admin_api.post(
        "/api/v1/assignments/",
        {"employee": "E1", "department": department.pk, "start_date": "2024-01-01"},
    )
    assert assignment.status_code == 201, assignment.content
    assert assignment.json()["department"] == "CS"


# The schema says what the server answers ---------------------------------------------------


def test_every_operation_documents_its_refusals_in_the_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "field", "code"}
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "401", "403", "404", "409"):
                content = operation["responses"][status]["content"]
                assert content["application/json"]["schema"] == reference, (method, path, status)
    assert "429" in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]


def test_fields_that_can_be_null_say_so(schema):
    components = schema["components"]["schemas"]
    for component, field in [
        ("Run", "approved_by"),
        ("Project", "progress_percent"),
        ("ReviewAction", "created_by"),
        ("KPIResult", "entered_by"),
        ("Shipment", "carrier"),
        ("Finding", "feedback"),
    ]:
        assert components[component]["properties"][field].get("nullable") is True, component


def test_a_days_findings_are_a_plain_list_as_the_schema_says(admin_api, schema):
    operation = schema["paths"]["/api/v1/service-days/{id}/findings/"]
    assert (
        operation["get"]["responses"]["200"]["content"]["application/json"]["schema"]["type"]
        == "array"
    )
    assert "201" in operation["post"]["responses"]


def test_every_percent_field_of_the_bonus_api_names_its_unit(schema):
    components = schema["components"]["schemas"]
    percent_fields = {
        "Component": ["weight", "payout_at_threshold", "payout_at_stretch"],
        "Gate": ["multiplier"],
        "Plan": ["cap_percent"],
        "Line": ["factor", "gate_multiplier"],
    }
    for component, fields in percent_fields.items():
        for field in fields:
            description = components[component]["properties"][field]["description"]
            assert description.startswith("Percent"), (component, field)
            assert "means" in description
    assert "not 0.5" in components["Gate"]["properties"]["multiplier"]["description"]
    assert "fraction" in components["Line"]["properties"]["proration"]["description"]


def test_period_parameters_state_their_form(schema):
    parameters = schema["paths"]["/api/v1/scorecards/"]["get"]["parameters"]
    period = next(parameter for parameter in parameters if parameter["name"] == "period")
    assert period["required"] is True
    assert period["schema"]["pattern"].startswith("^\\d{4}")


def test_business_rules_beyond_the_schema_are_named_in_every_description(schema):
    for operations in schema["paths"].values():
        for operation in operations.values():
            assert "does_not_exist" in operation["description"]
            assert "409" in operation["description"]
    assert json.dumps(schema).count("x-or-id") == 0


@pytest.mark.parametrize("value", ["", "-", "1.2.3"])
def test_an_amount_that_is_not_a_number_is_refused(admin_api, value):
    body = {"code": "K1", "name": "K", "unit": "percent", "max_value": value}
    _refusal(admin_api.post("/api/v1/kpis/", body), "max_value", "invalid")


def test_an_empty_period_filter_is_refused_not_ignored(admin_api):
    _refusal(admin_api.get("/api/v1/targets/?period="), "period", "blank")
    _refusal(admin_api.get("/api/v1/feedback/?week="), "week", "blank")


@pytest.mark.parametrize(
    ("url", "field", "words"),
    [
        ("/api/v1/targets/?period=null", "period", "is not a period"),
        ("/api/v1/bonus-runs/?period=2026-13", "period", "is not a period"),
        ("/api/v1/feedback/?week=2026-47", "week", "is not an ISO week"),
    ],
)
def test_a_period_filter_in_the_wrong_form_is_refused_with_the_forms(admin_api, url, field, words):
    body = _refusal(admin_api.get(url), field, "invalid_period")
    assert words in body["detail"]


def test_the_schema_documents_the_salary_for_hr(schema):
    salary = schema["components"]["schemas"]["Employee"]["properties"]["base_salary"]
    assert salary["description"].startswith("HR only")
    assert "base_salary" not in schema["components"]["schemas"]["Employee"].get("required", [])
