"""The Olist review sample through the saved mapping (SPEC §5/§7, issue 7's acceptance):
everything in, idempotent, and a bad row refuses the whole file."""

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.feedback.models import Channel, ColumnMapping, Feedback

pytestmark = pytest.mark.django_db

OLIST_REVIEWS = Path("/work/shared/data/olist/olist_order_reviews_dataset.csv")


def upload(client, content: bytes, name: str = "reviews.csv", mapping: str = "olist-reviews"):
    file = SimpleUploadedFile(name, content)
    return client.post(
        "/api/v1/feedback/import/", {"file": file, "mapping": mapping}, format="multipart"
    )


@pytest.fixture
def olist_bytes():
    return OLIST_REVIEWS.read_bytes()


@pytest.fixture
def distinct_review_ids():
    with OLIST_REVIEWS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return len(rows), len({row["review_id"] for row in rows})


def test_olist_sample_imports_once(catalog, cs_api, olist_bytes, distinct_review_ids):
    rows, distinct = distinct_review_ids
    assert (rows, distinct) == (6123, 6121)

    response = upload(cs_api, olist_bytes)
    assert response.status_code == 201, response.json()
    assert response.json() == {
        "read": rows,
        "created": distinct,
        "skipped": rows - distinct,
        "skipped_existing": 0,
        "skipped_duplicates": rows - distinct,
    }
    assert Feedback.objects.count() == distinct
    assert set(Feedback.objects.values_list("channel", flat=True)) == {Channel.SURVEY}
    assert set(Feedback.objects.values_list("source_system", flat=True)) == {"olist"}

    item = Feedback.objects.get(source_ref="e64fb393e7b32834bb789ff8bb30750e")
    assert item.rating == 5
    assert item.order_ref == "658677c97b385a9be170737859d3511b"
    assert item.text == "Recebi bem antes do prazo estipulado."
    # 2017-04-21 00:00 in São Paulo (UTC−3) is 03:00 UTC.
    assert item.received_at.isoformat() == "2017-04-21T03:00:00+00:00"
    titled = Feedback.objects.exclude(text="").filter(text__contains="\n").count()
    assert titled > 0  # title and message joined by a line break

    again = upload(cs_api, olist_bytes)
    assert again.status_code == 200
    assert again.json()["created"] == 0
    assert again.json()["skipped"] == rows
    assert Feedback.objects.count() == distinct


def test_a_bad_date_refuses_the_whole_file(catalog, cs_api, olist_bytes):
    rows = list(csv.reader(io.StringIO(olist_bytes.decode("utf-8"), newline="")))
    header, data = rows[0], rows[1:]
    data[100][header.index("review_creation_date")] = "31/02/2018 10:00"  # data row 101
    out = io.StringIO()
    csv.writer(out).writerows([header, *data])
    response = upload(cs_api, out.getvalue().encode())
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_rows"
    assert body["field"] == "review_creation_date"
    assert body["errors"] == [
        {
            "index": 100,
            "field": "review_creation_date",
            "detail": body["errors"][0]["detail"],
            "code": "invalid_date",
        }
    ]
    assert "Row 101" in body["detail"]
    assert "%Y-%m-%d %H:%M:%S" in body["errors"][0]["detail"]
    assert Feedback.objects.count() == 0


@pytest.mark.parametrize(
    ("column", "bad", "code"),
    [("review_score", "6", "out_of_range"), ("review_score", "four", "invalid")],
)
def test_bad_rating_in_a_file_names_row_and_column(catalog, cs_api, column, bad, code):
    content = (
        "review_id,order_id,review_score,review_comment_title,review_comment_message,"
        "review_creation_date\n"
        "r1,o1,5,,ok,2018-01-01 10:00:00\n"
        f"r2,o2,{bad},,bad,2018-01-01 11:00:00\n"
    )
    response = upload(cs_api, content.encode())
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["index"], error["field"], error["code"]) == (1, column, code)
    assert not Feedback.objects.exists()


def test_custom_mapping_with_value_maps_and_xlsx(catalog, cs_api):
    ColumnMapping.objects.create(
        name="helpdesk",
        mapping={"Ticket": "source_ref", "When": "received_at", "Via": "channel",
                 "Topic": "category", "Said": "text"},
        value_maps={"channel": {"Telefone": "phone"}},
        constants={"source_system": "helpdesk"},
        time_zone="UTC",
    )  # fmt: skip
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Ticket", "When", "Via", "Topic", "Said"])
    sheet.append(["T-1", "2026-11-16T09:00:00", "Telefone", "late_delivery", "Still waiting"])
    sheet.append(["T-2", "2026-11-17T09:00:00", "chat", "wrong_item", "Blue, not red"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(cs_api, buffer.getvalue(), name="tickets.xlsx", mapping="helpdesk")
    assert response.status_code == 201, response.json()
    late = Feedback.objects.get(source_ref="T-1")
    assert (late.channel, late.category.code, late.department.code) == (
        "phone",
        "late_delivery",
        "DIST",
    )
    assert Feedback.objects.get(source_ref="T-2").department.code == "WH"


def test_unknown_category_and_channel_in_a_file(catalog, cs_api):
    ColumnMapping.objects.create(
        name="plain", mapping={"id": "source_ref", "at": "received_at", "via": "channel",
                               "topic": "category"},
    )  # fmt: skip
    content = "id,at,via,topic\n1,2026-11-16,web,late_delivery\n2,2026-11-16,fax,nope\n"
    response = upload(cs_api, content.encode(), mapping="plain")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["index"], error["field"], error["code"]) == (1, "via", "invalid_choice")
    content = "id,at,via,topic\n1,2026-11-16,web,late_delivery\n2,2026-11-16,web,nope\n"
    error = upload(cs_api, content.encode(), mapping="plain").json()["errors"][0]
    assert (error["index"], error["field"], error["code"]) == (1, "topic", "does_not_exist")
    assert not Feedback.objects.exists()


def test_missing_column_and_unknown_mapping(catalog, cs_api):
    response = upload(cs_api, b"a,b\n1,2\n")
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("file", "missing_column")
    response = upload(cs_api, b"a,b\n1,2\n", mapping="nope")
    assert response.status_code == 400
    assert response.json()["field"] == "mapping"


def test_import_needs_the_add_permission(catalog, api_for, olist_bytes):
    from apps.departments import roles

    response = upload(api_for(roles.PROJECT_OWNER), olist_bytes)
    assert response.status_code == 403
    assert not Feedback.objects.exists()
