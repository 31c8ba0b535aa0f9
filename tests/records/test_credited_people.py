"""Credited people on records (SPEC §5): shipments name their courier, picker and packer,
tickets and survey responses their agent, by employee number — through every door, checked by
the loader (an unknown number refuses the row naming its row and column), shown and filtered."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.records import services
from apps.records.models import RecordMapping, Shipment, SupportTicket
from cxoffice.errors import RowsError
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

HEADER = "source_system,source_record_id,department,ordered_at,promised_at,courier,picker,packer\n"


@pytest.fixture
def people(catalog):
    return {n: EmployeeFactory(employee_number=n) for n in ("R1", "R2", "P1", "K1", "A1")}


@pytest.fixture
def steward_api(company_steward):
    client = APIClient()
    client.force_authenticate(company_steward)
    return client


def write(tmp_path, text: str, name: str = "shipments.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def load_file(path: str, **kwargs):
    return services.records_load(kind="shipments", table=services.open_table(path), **kwargs)


@pytest.fixture(params=["upsert", "rebuild"])
def writer_path(request, settings):
    """Both ways PostgreSQL writes a first load (SQLite has one: both params run it)."""
    settings.RECORDS_REBUILD_MIN_ROWS = 1 if request.param == "rebuild" else 10**9
    return request.param


def test_a_file_credits_courier_picker_and_packer(people, tmp_path, writer_path):
    path = write(
        tmp_path,
        HEADER
        + "shop,1,CS,2026-03-01T10:00,2026-03-05,R1,P1,K1\n"
        + "shop,2,CS,2026-03-01T10:00,2026-03-05, R2 ,,\n",
    )
    assert load_file(path).created == 2
    one, two = Shipment.objects.order_by("source_record_id")
    assert (one.courier, one.picker, one.packer) == (people["R1"], people["P1"], people["K1"])
    assert (two.courier, two.picker, two.packer) == (people["R2"], None, None)


def test_an_unknown_employee_number_refuses_the_row_naming_row_and_column(people, tmp_path):
    path = write(
        tmp_path,
        HEADER
        + "shop,1,CS,2026-03-01T10:00,2026-03-05,R1,,\n"
        + "shop,2,CS,2026-03-01T10:00,2026-03-05,R1,NOBODY,\n",
    )
    with pytest.raises(RowsError) as refused:
        load_file(path)
    assert [(e.index + 1, e.field, e.code) for e in refused.value.errors] == [
        (2, "picker", "does_not_exist")
    ]
    assert refused.value.errors[0].detail == "Unknown picker “NOBODY”."
    assert not Shipment.objects.exists()  # all or nothing
    report = load_file(path, skip_bad_rows=True)
    assert (report.created, report.rejected) == (1, 1)


def test_a_mapping_maps_its_own_column_to_the_courier(people, tmp_path):
    mapping = RecordMapping.objects.create(
        name="tms",
        kind="shipments",
        columns={
            "id": "source_record_id",
            "bought": "ordered_at",
            "due": "promised_at",
            "rider": "courier",
        },
        constants={"source_system": "tms"},
    )
    path = write(
        tmp_path, "id,bought,due,rider\n1,2026-03-01,2026-03-05,R2\n2,2026-03-01,2026-03-05,X\n"
    )
    with pytest.raises(RowsError) as refused:
        load_file(path, mapping=mapping)
    assert [(e.index + 1, e.field) for e in refused.value.errors] == [(2, "rider")]
    load_file(path, mapping=mapping, skip_bad_rows=True)
    assert Shipment.objects.get().courier == people["R2"]


def test_the_bulk_api_credits_agents_and_lists_filter_by_them(people, steward_api):
    tickets = [
        {"source_system": "desk", "source_record_id": str(n), "opened_at": "2026-03-02T09:00Z",
         "agent": agent}
        for n, agent in enumerate(["A1", "A1", "R1", None])
    ]  # fmt: skip
    response = steward_api.post("/api/v1/tickets/bulk/", {"records": tickets}, format="json")
    assert response.status_code == 200, response.json()
    assert SupportTicket.objects.filter(agent=people["A1"]).count() == 2
    listed = steward_api.get("/api/v1/tickets/", {"agent": "A1"}).json()["results"]
    assert sorted(r["source_record_id"] for r in listed) == ["0", "1"]
    assert {r["agent"] for r in listed} == {"A1"}
    everyone = steward_api.get("/api/v1/tickets/").json()["results"]
    assert sorted(r["agent"] or "" for r in everyone) == ["", "A1", "A1", "R1"]
    bad = steward_api.post(
        "/api/v1/tickets/bulk/",
        {"records": [{**tickets[0], "source_record_id": "9", "agent": "GHOST"}]},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "agent"
    assert not SupportTicket.objects.filter(source_record_id="9").exists()


def test_survey_responses_credit_their_agent(people, steward_api):
    row = {"source_system": "crm", "source_record_id": "s1", "survey_type": "csat", "score": 5}
    body = {"records": [{**row, "answered_at": "2026-03-10T10:00:00Z", "agent": "A1"}]}
    assert (
        steward_api.post("/api/v1/survey-responses/bulk/", body, format="json").status_code == 200
    )
    listed = steward_api.get("/api/v1/survey-responses/", {"agent": "A1"}).json()["results"]
    assert [r["agent"] for r in listed] == ["A1"]
    assert steward_api.get("/api/v1/survey-responses/", {"agent": "R1"}).json()["results"] == []


def test_shipment_list_filters_by_each_credited_person(people, tmp_path, steward_api):
    path = write(
        tmp_path,
        HEADER
        + "shop,1,CS,2026-03-01T10:00,2026-03-05,R1,P1,K1\n"
        + "shop,2,CS,2026-03-01T10:00,2026-03-05,R2,P1,\n",
    )
    load_file(path)

    def ids(**query):
        rows = steward_api.get("/api/v1/shipments/", query).json()["results"]
        return sorted(r["source_record_id"] for r in rows)

    assert ids(courier="R1") == ["1"]
    assert ids(picker="P1") == ["1", "2"]
    assert ids(packer="K1") == ["1"]
    row = steward_api.get("/api/v1/shipments/", {"courier": "R2"}).json()["results"][0]
    assert (row["courier"], row["picker"], row["packer"]) == ("R2", "P1", None)


def test_the_admin_finds_a_persons_shipments_by_employee_number(
    people, tmp_path, admin_client, django_assert_max_num_queries
):
    rows = "".join(
        f"shop,{n},CS,2026-03-01T10:00,2026-03-05,{'R1' if n % 2 else 'R2'},P1,\n"
        for n in range(40)
    )
    load_file(write(tmp_path, HEADER + rows))
    url = reverse("admin:records_shipment_changelist")
    with django_assert_max_num_queries(12):  # the same for 4 rows or 4,000: no query per row
        page = admin_client.get(url, {"q": "R1"})
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('class="field-source_record_id"') == 20
    assert str(people["R1"]) in text


def test_every_field_of_every_kind_has_its_place_in_the_reading_order():
    """A refused row names the first rule it breaks in reading order: a field left out of
    that order could refuse a row that then names no rule."""
    from apps.records.fields import FIELDS
    from apps.records.rules import ORDER

    for kind, fields in FIELDS.items():
        assert set(fields) <= {name.lstrip("~") for name in ORDER[kind]}, kind
