"""A saved column mapping reads one kind of records: the loader refuses it for another kind,
and so does every door that loads a file through it (the admin upload, the command)."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from apps.records import services
from apps.records.models import LoadJob, LoadStatus, RecordMapping, Shipment, SurveyResponse
from cxoffice.errors import ApplicationError

from .conftest import OLIST_ORDERS

pytestmark = pytest.mark.django_db

REFUSAL = "The mapping “olist-reviews-csat” is for survey responses."


def test_records_load_refuses_a_mapping_of_another_kind(catalog):
    mapping = RecordMapping.objects.get(name="olist-reviews-csat")
    with pytest.raises(ApplicationError) as refused:
        services.records_load(
            kind="shipments",
            table=services.open_table(str(OLIST_ORDERS)),
            mapping=mapping,
        )
    assert (refused.value.field, refused.value.code) == ("mapping", "wrong_kind")
    assert refused.value.message == REFUSAL
    assert not Shipment.objects.exists()
    assert not SurveyResponse.objects.exists()


def test_the_command_is_refused_by_the_loader_and_keeps_the_refusal(catalog):
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command(
            "load_records", "shipments", str(OLIST_ORDERS), "--mapping", "olist-reviews-csat",
            stdout=out,
        )  # fmt: skip
    job = LoadJob.objects.get()
    assert str(refused.value) == f"Load #{job.pk} refused, nothing was written: {REFUSAL}"
    assert f"column mapping: {REFUSAL}" in out.getvalue()
    assert job.status == LoadStatus.REFUSED
    assert job.report["errors"] == [
        {"row": None, "column": "mapping", "detail": REFUSAL, "code": "wrong_kind"}
    ]
    assert not Shipment.objects.exists()


def test_the_admin_upload_shows_the_loaders_refusal_on_the_mapping(
    catalog, client, company_steward, settings, tmp_path
):
    settings.RECORDS_UPLOAD_DIR = tmp_path / "uploads"
    client.force_login(company_steward)
    upload = SimpleUploadedFile("orders.csv", OLIST_ORDERS.read_bytes(), content_type="text/csv")
    mapping = RecordMapping.objects.get(name="olist-reviews-csat")
    response = client.post(
        "/admin/records/upload/", {"kind": "shipments", "file": upload, "mapping": mapping.pk}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"mapping": [REFUSAL]}
    assert REFUSAL in response.content.decode()
    assert not LoadJob.objects.exists()
    assert not Path(settings.RECORDS_UPLOAD_DIR).exists() or not any(
        Path(settings.RECORDS_UPLOAD_DIR).iterdir()
    )  # the file was not kept
    assert not Shipment.objects.exists()
