"""The records admin: upload through the task (the load's page shows the report or the refused
rows), record lists with filters, the load history, the late-delivery tree chart."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.departments import roles
from apps.records.models import LoadJob, LoadStatus, RecordMapping, Shipment

from .conftest import OLIST_ORDERS
from .factories import shipment, shipments

pytestmark = pytest.mark.django_db


@pytest.fixture
def steward_client(client, company_steward, settings, tmp_path):
    settings.RECORDS_UPLOAD_DIR = tmp_path / "uploads"
    client.force_login(company_steward)
    return client


def test_upload_runs_the_load_and_shows_the_report(
    catalog, steward_client, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("orders.csv", OLIST_ORDERS.read_bytes(), content_type="text/csv")
    mapping = RecordMapping.objects.get(name="olist-orders")
    with django_capture_on_commit_callbacks(execute=True):
        response = steward_client.post(
            "/admin/records/upload/", {"kind": "shipments", "file": upload, "mapping": mapping.pk}
        )
    assert response.status_code == 302
    job = LoadJob.objects.get()
    assert (job.status, job.door, job.report["created"]) == (LoadStatus.DONE, "admin", 4071)
    page = steward_client.get(response["Location"]).content.decode()
    assert 'id="load-report"' in page
    assert "4071" in page
    assert Shipment.objects.count() == 4071


def test_refused_upload_lists_row_and_column(
    catalog, steward_client, django_capture_on_commit_callbacks
):
    text = "source_system,source_record_id,ordered_at,promised_at\nt,1,2026-03-01T10:00,soon\n"
    upload = SimpleUploadedFile("bad.csv", text.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = steward_client.post(
            "/admin/records/upload/", {"kind": "shipments", "file": upload}
        )
    job = LoadJob.objects.get()
    assert job.status == LoadStatus.REFUSED
    page = steward_client.get(response["Location"]).content.decode()
    assert "<td>1</td><td>promised_at</td>" in page
    assert Shipment.objects.count() == 0


def test_mapping_of_another_kind_is_refused_on_the_form(catalog, steward_client):
    upload = SimpleUploadedFile("orders.csv", b"a\n1\n", content_type="text/csv")
    mapping = RecordMapping.objects.get(name="olist-reviews-csat")
    response = steward_client.post(
        "/admin/records/upload/", {"kind": "shipments", "file": upload, "mapping": mapping.pk}
    )
    assert response.status_code == 200
    assert "olist-reviews-csat" in response.content.decode()
    assert not LoadJob.objects.exists()


def test_a_file_that_is_not_csv_or_xlsx_is_refused_on_the_form(catalog, steward_client):
    upload = SimpleUploadedFile("loader.py", b"import csv\n", content_type="text/x-python")
    response = steward_client.post("/admin/records/upload/", {"kind": "shipments", "file": upload})
    assert response.status_code == 200
    assert "Upload a CSV or XLSX file (“py” files are not read)." in response.content.decode()
    assert not LoadJob.objects.exists()


def test_employees_cannot_upload(client, make_user):
    client.force_login(make_user(roles.EMPLOYEE))
    assert client.get("/admin/records/upload/").status_code == 403


def test_lists_with_filters(catalog, steward_client):
    shipments(
        shipment("2026-03-10", "2026-03-09", source_record_id="ship-delivered"),
        shipment("2026-03-10", status="cancelled", source_record_id="ship-cancelled"),
    )
    page = steward_client.get("/admin/records/shipment/?status__exact=cancelled").content.decode()
    assert "ship-cancelled" in page
    assert "ship-delivered" not in page
    surveys = steward_client.get("/admin/records/surveyresponse/?survey_type__exact=nps")
    assert surveys.status_code == 200
    assert steward_client.get("/admin/records/supportticket/").status_code == 200
    assert steward_client.get("/admin/records/loadjob/").status_code == 200


def test_record_lists_link_to_the_upload_and_the_late_tree(catalog, steward_client, client):
    for page in ("shipment", "surveyresponse", "supportticket", "loadjob"):
        html = steward_client.get(f"/admin/records/{page}/").content.decode()
        assert 'href="/admin/records/upload/"' in html, page
        assert 'href="/admin/records/late-tree/"' in html, page
    shipments(shipment("2026-03-10", "2026-03-09", source_record_id="s1"))
    detail = steward_client.get(
        f"/admin/records/shipment/{Shipment.objects.get().pk}/change/"
    ).content.decode()
    assert "Promised date:" in detail
    assert "March 10, 2026" in detail  # the local date the KPIs compare


def test_the_late_tree_opens_on_the_latest_month_with_orders_it_counts(catalog, steward_client):
    shipments(
        shipment("2026-03-10", "2026-03-12"),
        shipment("2026-04-10", status="cancelled"),  # April: only a cancelled order
    )
    page = steward_client.get("/admin/records/late-tree/").content.decode()
    assert "1 late of 1 order" in page
    assert 'value="2026-03"' in page


def test_late_tree_chart(catalog, steward_client):
    shipments(shipment("2026-03-10", "2026-03-12"), shipment("2026-03-10", "2026-03-09"))
    page = steward_client.get("/admin/records/late-tree/?period=2026-03").content.decode()
    assert "<svg" in page
    assert "1 late of 2 orders due" in page
    assert 'id="tree-warehouse"' in page
    assert 'id="tree-carrier"' in page
    bad = steward_client.get("/admin/records/late-tree/?period=2026-99")
    assert bad.status_code == 200
    assert "is not a period" in bad.content.decode()
