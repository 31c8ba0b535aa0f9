"""The loader: bad input refused with row and column (never a traceback), all or nothing,
--skip-bad-rows, repeats in a file, updates, the command's report, XLSX."""

import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from apps.records import services
from apps.records.models import LoadJob, LoadStatus, RecordMapping, Shipment, SurveyResponse
from cxoffice.errors import ApplicationError, RowsError

from .conftest import OLIST_ORDERS

pytestmark = pytest.mark.django_db

SHIPMENT_HEADER = "source_system,source_record_id,ordered_at,promised_at,delivered_at\n"


def write(tmp_path, text: str, name: str = "file.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def load_file(path: str, kind: str = "shipments", **kwargs):
    return services.records_load(kind=kind, table=services.open_table(path), **kwargs)


def test_unknown_column_is_refused_naming_it(tmp_path):
    path = write(tmp_path, "source_system,source_record_id,ordered_at,promised_at,colour\n")
    with pytest.raises(ApplicationError) as refused:
        load_file(path)
    assert refused.value.field == "colour"
    assert refused.value.code == "unknown_column"


@pytest.mark.parametrize(
    ("text", "field", "code", "says"),
    [
        ("source_system,source_record_id,ordered_at\nt,1,2026-03-01\n", "promised_at",
         "missing_column", "“promised_at”"),
        ("", "source_record_id", "missing_column", "which every record needs"),
        ("source_system;source_record_id;ordered_at;promised_at\nt;1;2026-03-01;2026-03-05\n",
         None, "not_comma_separated", "other than commas"),
        ("source_system,source_record_id,ordered_at,promised_at,promised_at\n"
         "t,1,2026-03-01,2026-03-05,2026-04-20\n", "promised_at", "repeated_column",
         "appears more than once"),
    ],
)  # fmt: skip
def test_a_file_without_the_required_columns_is_refused_at_the_header(
    tmp_path, text, field, code, says
):
    with pytest.raises(ApplicationError) as refused:
        load_file(write(tmp_path, text))
    assert (refused.value.field, refused.value.code) == (field, code)
    assert says in refused.value.message
    assert not Shipment.objects.exists()


def test_a_mapped_column_missing_from_the_file_is_refused(catalog, tmp_path):
    path = write(tmp_path, "order_id,order_status\nx,delivered\n")
    with pytest.raises(ApplicationError) as refused:
        load_file(path, mapping=RecordMapping.objects.get(name="olist-orders"))
    assert refused.value.field == "order_approved_at"
    assert "“order_purchase_timestamp”" in refused.value.message


def test_bad_timestamp_refuses_the_file_with_row_and_column(tmp_path):
    path = write(
        tmp_path,
        SHIPMENT_HEADER
        + "t,1,2026-03-01T10:00,2026-03-05T00:00,\n"
        + "t,2,2026-03-01T10:00,not a date,\n",
    )
    with pytest.raises(RowsError) as refused:
        load_file(path)
    (error,) = refused.value.errors
    assert (error.index + 1, error.field, error.code) == (2, "promised_at", "invalid_date")
    assert "not a date" in error.detail
    assert Shipment.objects.count() == 0  # the good row was not written either


def test_delivered_before_ordered_is_refused(tmp_path):
    path = write(
        tmp_path, SHIPMENT_HEADER + "t,1,2026-03-05T10:00,2026-03-09T00:00,2026-03-04T10:00\n"
    )
    with pytest.raises(RowsError) as refused:
        load_file(path)
    assert refused.value.errors[0].field == "delivered_at"
    assert refused.value.errors[0].code == "date_order"


def test_score_outside_the_survey_scale_is_refused(tmp_path):
    path = write(
        tmp_path,
        "source_system,source_record_id,survey_type,score,answered_at\n"
        "t,1,csat,6,2026-03-01T10:00\nt,2,nps,11,2026-03-01T10:00\nt,3,nps,10,2026-03-01T10:00\n",
    )
    with pytest.raises(RowsError) as refused:
        load_file(path, kind="surveys")
    assert [(e.index + 1, e.field, e.code) for e in refused.value.errors] == [
        (1, "score", "out_of_scale"),
        (2, "score", "out_of_scale"),
    ]
    assert SurveyResponse.objects.count() == 0


def test_errors_name_the_source_column_of_a_mapping(catalog, tmp_path):
    lines = OLIST_ORDERS.read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[3] = "20x7-10-02 10:56:33"  # order_purchase_timestamp
    lines[3] = ",".join(cells)
    path = write(tmp_path, "\n".join(lines[:10]) + "\n")
    with pytest.raises(RowsError) as refused:
        load_file(path, mapping=RecordMapping.objects.get(name="olist-orders"))
    (error,) = refused.value.errors
    assert (error.index + 1, error.field) == (3, "order_purchase_timestamp")


def test_skip_bad_rows_loads_the_rest_and_reports_them(tmp_path):
    path = write(
        tmp_path,
        SHIPMENT_HEADER
        + "t,1,2026-03-01T10:00,2026-03-05T00:00,\n"
        + "t,2,2026-03-01T10:00,yesterday,\n"
        + "t,3,2026-03-01T10:00,2026-03-05T00:00,2026-03-04T09:00\n",
    )
    report = load_file(path, skip_bad_rows=True)
    assert (report.read, report.created, report.rejected, report.skipped) == (3, 2, 1, 0)
    assert report.errors == [
        {
            "row": 2,
            "column": "promised_at",
            "detail": report.errors[0]["detail"],
            "code": "invalid_date",
        }
    ]
    assert set(Shipment.objects.values_list("source_record_id", flat=True)) == {"1", "3"}


def test_repeats_in_a_file_keep_the_first_and_a_later_load_updates(tmp_path):
    first = write(
        tmp_path,
        SHIPMENT_HEADER
        + "t,1,2026-03-01T10:00,2026-03-05T00:00,\n"
        + "t,1,2026-03-01T10:00,2026-03-09T00:00,\n",
    )
    report = load_file(first)
    assert (report.created, report.updated, report.skipped) == (1, 0, 1)
    assert str(Shipment.objects.get().promised_on) == "2026-03-05"
    second = write(
        tmp_path,
        SHIPMENT_HEADER + "t,1,2026-03-01T10:00,2026-03-05T00:00,2026-03-04T10:00\n",
        "b.csv",
    )
    report = load_file(second)
    assert (report.created, report.updated, report.skipped) == (0, 1, 0)
    shipment = Shipment.objects.get()
    assert str(shipment.delivered_on) == "2026-03-04"
    assert shipment.status == "delivered"
    assert shipment.stuck_stage == ""


def test_unknown_department_code_is_a_row_error(catalog, tmp_path):
    path = write(
        tmp_path, "source_system,source_record_id,opened_at,department\nt,1,2026-03-01T10:00,NOPE\n"
    )
    with pytest.raises(RowsError) as refused:
        load_file(path, kind="tickets")
    assert (refused.value.errors[0].field, refused.value.errors[0].code) == (
        "department",
        "does_not_exist",
    )


def test_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        SHIPMENT_HEADER.encode() + "t,é,2026-03-01T10:00,2026-03-05T00:00,\n".encode("latin-1")
    )
    with pytest.raises(ApplicationError) as refused:
        load_file(str(path))
    assert refused.value.field == "file"


def test_xlsx_file(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["source_system", "source_record_id", "survey_type", "score", "answered_at"])
    sheet.append(["x", "a", "nps", 9, "2026-03-01T10:00"])
    sheet.append(["x", "b", "ces", 7, "2026-03-01T10:00"])
    path = tmp_path / "answers.xlsx"
    workbook.save(path)
    report = load_file(str(path), kind="surveys")
    assert report.created == 2
    assert SurveyResponse.objects.get(source_record_id="b").scale == "easy_1_7"


def test_command_reports_and_refuses(catalog, tmp_path):
    out = io.StringIO()
    call_command(
        "load_records", "shipments", str(OLIST_ORDERS), "--mapping", "olist-orders", stdout=out
    )
    assert "read 4071, created 4071, updated 0, skipped 0, rejected 0" in out.getvalue()
    job = LoadJob.objects.get()
    assert (job.status, job.report["created"], job.door) == (LoadStatus.DONE, 4071, "command")

    bad = write(tmp_path, SHIPMENT_HEADER + "t,1,2026-03-01T10:00,2026-13-05T00:00,\n")
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("load_records", "shipments", bad, stdout=out)
    assert "Row 1, column promised_at" in out.getvalue()
    refused = LoadJob.objects.latest("pk")
    assert refused.status == LoadStatus.REFUSED
    assert refused.report["errors"][0]["column"] == "promised_at"

    out = io.StringIO()
    call_command("load_records", "shipments", bad, "--skip-bad-rows", stdout=out)
    assert "rejected 1" in out.getvalue()


def test_command_refuses_a_mapping_of_another_kind(catalog):
    with pytest.raises(CommandError, match="olist-reviews-csat"):
        call_command(
            "load_records", "shipments", str(OLIST_ORDERS), "--mapping", "olist-reviews-csat"
        )


def test_stage_durations_are_elapsed_time_across_a_daylight_saving_change(catalog, tmp_path):
    """Sao Paulo entered summer time at midnight on 2017-10-15 (clocks went to 01:00): an order
    placed at 23:30 and paid at 01:30 local time waited one hour, not two."""
    header = OLIST_ORDERS.read_text(encoding="utf-8").splitlines()[0]
    row = "dst,c,shipped,2017-10-14 23:30:00,2017-10-15 01:30:00,,,2017-10-25 00:00:00"
    path = write(tmp_path, f"{header}\n{row}\n")
    load_file(path, mapping=RecordMapping.objects.get(name="olist-orders"))
    assert Shipment.objects.get(source_record_id="dst").payment_seconds == 3600


def test_a_department_or_warehouse_that_records_name_cannot_be_deleted(catalog, tmp_path):
    """The references are Django's to protect (no database constraint checks them): deleting
    what records name is refused; deleting a load keeps its records, without the link."""
    from django.db.models import ProtectedError

    from apps.departments.models import Department
    from apps.records.models import Warehouse

    warehouse = Warehouse.objects.create(code="W1", name="Main")
    path = write(
        tmp_path,
        "source_system,source_record_id,department,warehouse,ordered_at,promised_at\n"
        "t,1,CS,W1,2026-03-01T10:00,2026-03-05\n",
    )
    job = services.load_job_start(kind="shipments", door="command", file_name="f.csv")
    services.records_load(kind="shipments", table=services.open_table(path), load_job_id=job.pk)
    with pytest.raises(ProtectedError):
        Department.objects.get(code="CS").delete()
    with pytest.raises(ProtectedError):
        warehouse.delete()
    job.delete()
    shipment = Shipment.objects.get()
    assert (shipment.department.code, shipment.warehouse_id, shipment.load_job_id) == (
        "CS",
        warehouse.pk,
        None,
    )
