"""The rules of a record on every door and both databases, and PostgreSQL's writer: every
shape of good cell, every kind of bad row with its row, column and code, blank lines, repeats
and updates, times on the days a zone changes its offset, surveys and tickets, odd files, a
mapping's date format, a steward's rights; the first load into an empty table (indexes and
constraints rebuilt as they were), and loads at the same time as readers and other loads."""

import datetime as dt
import os
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction

from apps.departments import roles
from apps.departments.models import Department
from apps.records import services, tables
from apps.records.models import RECORD_MODELS as MODELS
from apps.records.models import RecordMapping, Shipment, SupportTicket, SurveyResponse, Warehouse
from cxoffice.errors import ApplicationError, RowsError

from .conftest import OLIST_ORDERS

pytestmark = pytest.mark.django_db
# The shipments' secondary index, built again when dropped.
SECONDARY = {"shipment_promised_dept", "shipment_picker_promised", "shipment_packer_promised"}
UTC = dt.UTC


def write(tmp_path, text: str, name: str = "file.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def load(path: str, kind: str = "shipments", **kwargs):
    return services.records_load(kind=kind, table=services.open_table(path), **kwargs)


def refused(path: str, kind: str = "shipments", **kwargs) -> list[tuple]:
    with pytest.raises(RowsError) as error:
        load(path, kind, **kwargs)
    return [(e.index + 1, e.field, e.code) for e in error.value.errors]


def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's writer (COPY, the rebuilt table, locks)")


SHIPMENTS = (
    "source_system,source_record_id,department,warehouse,order_ref,status,ordered_at,paid_at,"
    "warehouse_received_at,picked_at,sorted_at,packed_at,shipped_at,delivered_at,promised_at,"
    "first_attempt_ok,damaged,lost,documents_ok,items_ordered,items_delivered\n"
)
GOOD = [
    "t,1,CS,W1,o-1,,2026-03-01T10:00,2026-03-01T10:05:30,,,,,2026-03-02 08:00,"
    "2026-03-04T09:00:00+08:00,2026-03-05,yes,0,,TRUE,3,3",
    "t,2,,,,,2026-03-01T10:00:00.25Z,,2026-03-01T11:00,2026-03-01T12:00,,2026-03-01T13:00,,,"
    "2026-03-06T00:00,,,,,,",
    "t,3,,,,cancelled,2026-03-01T23:59:59-03:00,2026-03-02T00:00:01-03:00,,,,,,,2026-03-06,n,"
    "Y,F,,0,",
    "t,4,,,,,2026-02-28T10:00,2026-02-28T09:00,,2026-03-01T08:00,2026-03-01T09:00,"
    "2026-03-01T10:00,2026-03-01T11:00,2026-03-05T10:00,2026-03-05T10:00,,,,,,",
    # good values the strict SQL patterns leave to RowParser
    "t,5 , CS ,,,Delivered,2026-03-01 10:00, 2026-03-01T11:00 ,,,,,,2026-03-04T10:00,"
    "2026-03-05T00:00, yes ,,,,007,-0",
    "t,6,,,,,2028-02-29T10:00,,,,,,,,2028-03-01T10:00:00.1234567,,,,,,",
]
BAD = [
    "t,b1,,,,,2026-03-01T10:00,,,,,,,,not a date,,,,,,",  # invalid_date
    "t,b2,,,,,2026-03-05T10:00,,,,,,,2026-03-04T10:00,2026-03-09T00:00,,,,,,",  # date_order
    "t,b3,NOPE,,,,2026-03-01T10:00,,,,,,,,2026-03-05T00:00,,,,,,",  # unknown department
    "t,b4,,,,,2026-03-01T10:00,,,,,,,,2026-03-05T00:00,maybe,,,,,",  # invalid_boolean
    "t,b5,,,,,2026-03-01T10:00,,,,,,,,2026-03-05T00:00,,,,,two,",  # invalid_number
    "t,b6,,,,,2026-03-01T10:00,,,,,,,,2026-03-05T00:00,,,,,-1,",  # min_value
    "t,b7,,,,lost,2026-03-01T10:00,,,,,,,,2026-03-05T00:00,,,,,,",  # invalid_choice
    "t,,,,,,2026-03-01T10:00,,,,,,,,2026-03-05T00:00,,,,,,",  # required
    "t,b9,,,,,,,,,,,,,2026-03-05T00:00,,,,,,",  # required ordered_at
    "t,b10,,," + "x" * 101 + ",,2026-03-01T10:00,,,,,,,,2026-03-05T00:00,,,,,,",  # max_length
    "t,b11,,,,,2026-02-30T10:00,,,,,,,,2026-03-05T00:00,,,,,,",  # no such day
    "t,b12,,,,,2026-03-01T24:00,,,,,,,,2026-03-05T00:00,,,,,,",  # no such hour
    "t,b13,,,,,2026-03-01T10:00,,,,,,,,2026-03-01T09:00,,,,,,",  # promised before ordered
    "t,b14,,WX,,,2026-03-01T10:00,,,,,,,,2026-03-05T00:00,,,,,,",  # unknown warehouse
    "t,b15,,,,,2026-03-01T10:00,,,,,,,,2026-03-05T00:00,,,,,2147483648,",  # max_value
    "t,b16,,,,,2026-03-01T10:00,,,,,,,,2026-03-05T00:00,,,,,,²",  # not ASCII digits
]


BAD_EXPECTED = {
    "b1": ("promised_at", "invalid_date"),
    "b2": ("delivered_at", "date_order"),
    "b3": ("department", "does_not_exist"),
    "b4": ("first_attempt_ok", "invalid_boolean"),
    "b5": ("items_ordered", "invalid_number"),
    "b6": ("items_ordered", "min_value"),
    "b7": ("status", "invalid_choice"),
    "": ("source_record_id", "required"),
    "b9": ("ordered_at", "required"),
    "b10": ("order_ref", "max_length"),
    "b11": ("ordered_at", "invalid_date"),
    "b12": ("ordered_at", "invalid_date"),
    "b13": ("promised_at", "date_order"),
    "b14": ("warehouse", "does_not_exist"),
    "b15": ("items_ordered", "max_value"),
    "b16": ("items_delivered", "invalid_number"),
}


@pytest.fixture
def world(catalog):
    Warehouse.objects.create(code="W1", name="Main")


@pytest.fixture(params=["upsert", "rebuild"])
def first_load(request, settings):
    """Both ways a first load writes on PostgreSQL: through the staging table, and
    (``RECORDS_REBUILD_MIN_ROWS`` reached) straight into the emptied table with its indexes and
    constraints rebuilt. SQLite has one way (its upsert)."""
    if request.param == "rebuild":
        postgresql_only()
    settings.RECORDS_REBUILD_MIN_ROWS = 1 if request.param == "rebuild" else 10**9
    if connection.vendor != "postgresql":
        yield request.param
        return
    checked_now()
    _shape, ids = table_shape()
    yield request.param
    rebuilt = table_shape()[1]["shipment_source_unique"] != ids["shipment_source_unique"]
    assert rebuilt == (request.param == "rebuild")


def test_good_rows_of_every_shape(world, tmp_path, first_load):
    report = load(write(tmp_path, SHIPMENTS + "\n".join(GOOD) + "\n"))
    assert (report.created, report.rejected) == (len(GOOD), 0)
    rows = {s.source_record_id: s for s in Shipment.objects.all()}
    one = rows["1"]
    assert (one.department.code, one.warehouse.code, one.order_ref, one.status) == (
        "CS", "W1", "o-1", "delivered",
    )  # fmt: skip
    assert one.delivered_at == dt.datetime(2026, 3, 4, 1, 0, tzinfo=UTC)  # +08:00 as given
    assert (one.first_attempt_ok, one.damaged, one.lost, one.documents_ok) == (
        True, False, None, True,
    )  # fmt: skip
    assert (one.items_ordered, one.items_delivered, one.payment_seconds) == (3, 3, 330)
    assert rows["2"].ordered_at == dt.datetime(2026, 3, 1, 10, 0, 0, 250000, tzinfo=UTC)
    assert rows["2"].stuck_stage == "dispatch"  # packed, not yet handed to the carrier
    assert (rows["3"].status, rows["3"].stuck_stage, rows["3"].damaged) == ("cancelled", "", True)
    assert str(rows["3"].promised_on) == "2026-03-06"
    four = rows["4"]
    assert (four.picking_seconds, four.packing_seconds, four.carrier_seconds) == (
        None, 3600, 4 * 86400 - 3600,
    )  # fmt: skip
    five = rows["5"]  # cells with spaces at their ends, other cases, leading zeros
    assert (five.department.code, five.status, five.first_attempt_ok) == ("CS", "delivered", True)
    assert (five.items_ordered, five.items_delivered) == (7, 0)
    assert rows["6"].promised_at == dt.datetime(2028, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)


def test_bad_rows_of_every_kind_refuse_the_file_with_row_column_and_code(world, tmp_path):
    lines = [row for pair in zip(GOOD, BAD, strict=False) for row in pair] + BAD[len(GOOD) :]
    path = write(tmp_path, SHIPMENTS + "\n".join(lines) + "\n")
    rows = refused(path)
    by_id = dict(zip((line.split(",")[1] for line in lines), range(1, len(lines) + 1), strict=True))
    assert rows == sorted(rows)
    assert {row: (field, code) for row, field, code in rows} == {
        by_id[id_]: expected for id_, expected in BAD_EXPECTED.items()
    }
    assert not Shipment.objects.exists()


def test_bad_rows_skipped_with_their_row_numbers(world, tmp_path, first_load):
    lines = [row for pair in zip(BAD, GOOD, strict=False) for row in pair] + BAD[len(GOOD) :]
    path = write(tmp_path, SHIPMENTS + "\n".join(lines) + "\n")
    report = load(path, skip_bad_rows=True)
    assert (report.created, report.rejected) == (len(GOOD), len(BAD))
    assert [e["row"] for e in report.errors][:3] == [1, 3, 5]
    assert Shipment.objects.count() == len(GOOD)


def test_blank_lines_are_not_rows(tmp_path):
    path = write(
        tmp_path,
        "source_system,source_record_id,ordered_at,promised_at\n"
        "t,1,2026-03-01T10:00,2026-03-05\n, ,\t,\nt,2,2026-03-01T10:00,bad\n,,,\n"
        "t,3,2026-03-01T10:00,2026-03-05\n",
    )
    report = load(path, skip_bad_rows=True)
    assert (report.read, report.created, report.errors[0]["row"]) == (3, 2, 2)


@pytest.mark.parametrize("rebuild_from", [1, 10**9])
def test_repeats_and_updates(world, tmp_path, settings, rebuild_from):
    """(On PostgreSQL, a first load large enough to go straight into the empty table meets
    the repeat when its unique key is built again, and is done again through the staging
    table.)"""
    settings.RECORDS_REBUILD_MIN_ROWS = rebuild_from
    if connection.vendor == "postgresql":
        checked_now()
    header = "source_system,source_record_id,ordered_at,promised_at,delivered_at,damaged\n"
    first = write(
        tmp_path,
        header + "t,1,2026-03-01T10:00,2026-03-05,,\n"
        "t,2,2026-03-01T10:00,2026-03-05,,\n"
        "t,1,2026-03-01T10:00,2026-03-09,,\n"  # a repeat: the first wins
        "u,1,2026-03-01T10:00,2026-03-05,,\n",
        "first.csv",
    )
    second = write(
        tmp_path,
        header + "t,1,2026-03-01T10:00,2026-03-05,2026-03-04T10:00,\n"  # updated
        "t,2,2026-03-01T10:00,2026-03-05,,\n"  # unchanged
        "t,3,2026-03-01T10:00,bad,,\n"  # refused row, first occurrence of t,3
        "t,3,2026-03-01T10:00,2026-03-07,,yes\n"  # so this one is created
        "t,2,2026-03-01T10:00,2026-03-08,,\n",  # a repeat of an unchanged row
        "second.csv",
    )
    reports = [load(p, skip_bad_rows=True) for p in (first, second, second)]
    assert [(r.created, r.updated, r.skipped) for r in reports] == [(3, 0, 1), (1, 1, 2), (0, 0, 4)]
    stored = {(s.source_system, s.source_record_id): s for s in Shipment.objects.all()}
    assert str(stored[("t", "1")].delivered_on) == "2026-03-04"
    assert str(stored[("t", "2")].promised_on) == "2026-03-05"
    assert stored[("t", "3")].damaged is True


def test_naive_times_on_the_days_the_zone_changes(catalog, tmp_path):
    """Sao Paulo left summer time at midnight on 2018-02-18 (23:00–23:59 on the 17th happen
    twice: the first is read) and entered it at midnight on 2017-10-15 (00:00–00:59 does not
    exist: read with the offset from before, -03:00, as Python's zoneinfo does)."""
    header = OLIST_ORDERS.read_text(encoding="utf-8").splitlines()[0]
    rows = [
        "a,c,delivered,2018-02-17 23:30:00,2018-02-17 23:59:59,2018-02-18 00:00:00,"
        "2018-02-20 10:00:00,2018-02-28 00:00:00",
        "b,c,shipped,2017-10-15 00:30:00,2017-10-15 01:00:00,,,2017-10-20 00:00:00",
        "c,c,canceled,2017-10-14 12:00:00,,,,2017-10-20 00:00:00",
    ]
    path = write(tmp_path, header + "\n" + "\n".join(rows) + "\n")
    report = load(path, mapping=RecordMapping.objects.get(name="olist-orders"))
    assert report.created == 3
    a = Shipment.objects.get(source_record_id="a")
    assert a.ordered_at == dt.datetime(2018, 2, 18, 1, 30, tzinfo=UTC)  # -02:00, the first
    assert a.payment_seconds == 29 * 60 + 59
    b = Shipment.objects.get(source_record_id="b")
    assert b.ordered_at == dt.datetime(2017, 10, 15, 3, 30, tzinfo=UTC)
    assert b.paid_at == dt.datetime(2017, 10, 15, 3, 0, tzinfo=UTC)  # 01:00 -02:00


def test_surveys(catalog, tmp_path):
    path = write(
        tmp_path,
        "source_system,source_record_id,department,survey_type,scale,score,answered_at,channel,"
        "comment,order_ref,customer_ref\n"
        's,1,CS,nps,,9,2026-03-01T10:00,web,"good, fast",o1,c1\n'
        "s,2,,csat,,3,2026-03-01T10:00,,,,\n"
        "s,3,,ces,,7,2026-03-01T10:00,,,,\n"
        's,4,,ces,effort_1_5,5,2026-03-01T10:00,,"said ""hi""",,\n'
        "s,5,,CES,effort_1_5,6,2026-03-01T10:00,,,,\n"  # out of scale
        "s,6,,nps,easy_1_7,6,2026-03-01T10:00,,,,\n"  # only CES has a scale
        "s,7,,csat,,0,2026-03-01T10:00,,,,\n"  # out of scale
        "s,8,,nps,,10,2026-03-01T10:00,,,,\n"
        "s,9,,promoter,,10,2026-03-01T10:00,,,,\n",  # invalid choice
    )
    report = load(path, kind="surveys", skip_bad_rows=True)
    assert (report.created, report.rejected) == (5, 4)
    assert [(e["row"], e["column"], e["code"]) for e in report.errors] == [
        (5, "score", "out_of_scale"),
        (6, "scale", "invalid"),
        (7, "score", "out_of_scale"),
        (9, "survey_type", "invalid_choice"),
    ]
    answers = {a.source_record_id: a for a in SurveyResponse.objects.all()}
    assert (answers["1"].comment, answers["4"].comment) == ("good, fast", 'said "hi"')
    assert (answers["3"].scale, answers["4"].scale, answers["1"].scale) == (
        "easy_1_7", "effort_1_5", "",
    )  # fmt: skip


def test_tickets(catalog, tmp_path):
    path = write(
        tmp_path,
        "source_system,source_record_id,department,opened_at,first_response_at,resolved_at,"
        "contacts_to_resolve,channel,category\n"
        "k,1,CS,2026-03-01T10:00,2026-03-01T10:30:15.5,2026-03-02T10:00,1,phone,billing\n"
        "k,2,,2026-03-01T10:00,,,,,\n"
        "k,3,,2026-03-01T10:00,2026-03-01T09:00,,,,\n"  # reply before opening
        "k,4,,2026-03-01T10:00,,2026-03-01T11:00,0,,\n"  # zero contacts
        "k,5,,2026-03-01T10:00:00.9,2026-03-01T10:00:01.1,2026-03-01T10:00:00.9,2,,\n"
        "k,6,,2026-03-01T10:00,,,32767,,\n"  # the largest small integer
        "k,7,,2026-03-01T10:00,,,32768,,\n",  # beyond the column
    )
    report = load(path, kind="tickets", skip_bad_rows=True)
    assert (report.created, report.rejected) == (4, 3)
    assert [(e["row"], e["column"], e["code"]) for e in report.errors] == [
        (3, "first_response_at", "date_order"),
        (4, "contacts_to_resolve", "min_value"),
        (7, "contacts_to_resolve", "max_value"),
    ]
    tickets = {t.source_record_id: t for t in SupportTicket.objects.all()}
    assert (tickets["1"].first_response_seconds, tickets["1"].resolution_seconds) == (1815, 86400)
    assert (tickets["5"].first_response_seconds, tickets["5"].resolution_seconds) == (0, 0)


@pytest.mark.parametrize(
    ("content", "outcome"),
    [
        # a short row is padded with blank cells (here: no promised date)
        (b"t,1,2026-03-01T10:00,2026-03-05\nt,2,2026-03-01T10:00\n",
         (1, [(2, "promised_at", "required")])),
        (b't,1,2026-03-01T10:00,2026-03-05\nt,a"b,2026-03-01T10:00,2026-03-05\n', (2, [])),
        (b"t,1,2026-03-01T10:00,2026-03-05\n\nt,2,2026-03-01T10:00,2026-03-05\n", (2, [])),
        (b"t,1,2026-03-01T10:00,2026-03-05\n\\.\nt,2,2026-03-01T10:00,2026-03-05\n",
         (2, [(2, "source_record_id", "required")])),
        (b"t,1,2026-03-01T10:00,2026-03-05\nt,a\x00b,2026-03-01T10:00,2026-03-05\n",
         (1, [(2, "source_record_id", "invalid")])),
    ],
)  # fmt: skip
def test_odd_files(tmp_path, content, outcome):
    path = tmp_path / "odd.csv"
    path.write_bytes(b"source_system,source_record_id,ordered_at,promised_at\n" + content)
    report = load(str(path), skip_bad_rows=True)
    assert (report.created, [(e["row"], e["column"], e["code"]) for e in report.errors]) == outcome


def test_a_mapping_with_a_date_format(catalog, tmp_path):
    mapping = RecordMapping.objects.create(
        name="other-shop",
        kind="shipments",
        columns={"id": "source_record_id", "bought": "ordered_at", "due": "promised_at",
                 "state": "status", "got": "delivered_at"},
        value_maps={"status": {"gone": "cancelled", "": "in_transit"}},
        constants={"source_system": "shop"},
        date_format="%Y-%m-%d %H:%M:%S",
        time_zone="Asia/Shanghai",
    )  # fmt: skip
    path = write(
        tmp_path,
        "id,bought,due,state,got,note\n"
        "1,2026-03-01 10:00:00,2026-03-05 00:00:00,,,x\n"
        "2,2026-3-1 9:00:00,2026-03-05 00:00:00,gone,,\n"  # single digits: strptime reads them
        "3,2026-03-01 10:00:00,2026-03-05 00:00:00, gone ,,\n"
        "4,2026-03-01T10:00:00,2026-03-05 00:00:00,,,\n"  # not the format
        "5,2026-03-01 10:00:00,2026-03-05 00:00:00,delivered,2026-03-04 10:00:00,\n"
        "6,2026-02-30 10:00:00,2026-03-05 00:00:00,,,\n",  # no such day
    )
    report = load(path, mapping=mapping, skip_bad_rows=True)
    assert (report.created, report.rejected) == (4, 2)
    assert [(e["row"], e["column"], e["code"]) for e in report.errors] == [
        (4, "bought", "invalid_date"),
        (6, "bought", "invalid_date"),
    ]
    two = Shipment.objects.get(source_record_id="2")
    assert (two.source_system, two.status) == ("shop", "cancelled")
    assert two.ordered_at == dt.datetime(2026, 3, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert Shipment.objects.get(source_record_id="3").status == "cancelled"
    assert str(Shipment.objects.get(source_record_id="5").delivered_on) == "2026-03-04"


def test_a_stewards_load_keeps_to_their_departments(catalog, tmp_path, make_user):
    """Rows of other departments, and rows without one when the steward may not write company
    numbers, are refused (``not_steward``), the rest loaded."""
    steward = make_user(roles.DATA_STEWARD)
    Department.objects.get(code="CS").stewards.add(steward)
    path = write(
        tmp_path,
        "source_system,source_record_id,department,ordered_at,promised_at\n"
        "t,1,CS,2026-03-01T10:00,2026-03-05\n"
        "t,2,DIST,2026-03-01T10:00,2026-03-05\n"
        "t,3,,2026-03-01T10:00,2026-03-05\n"
        "t,4, CS ,2026-03-01T10:00,2026-03-05\n",
    )
    report = load(path, skip_bad_rows=True, user=steward)
    assert (report.created, report.rejected) == (2, 2)
    assert [(e["row"], e["column"], e["code"]) for e in report.errors] == [
        (2, "department", "not_steward"),
        (3, "department", "not_steward"),
    ]


# --- PostgreSQL's writer -----------------------------------------------------------------
@pytest.fixture
def pg():
    postgresql_only()


def checked_now() -> None:
    """Check the deferred foreign keys of the rows the fixtures wrote, as their commit would
    have in real use: a table with unchecked rows (here departments') cannot be altered, and
    the load then upserts instead of rebuilding."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # checks what is pending
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # and defers again, as at a commit


def table_shape(kind: str = "shipments") -> tuple[dict, dict]:
    """The table's indexes and constraints ({name: definition}) and their object ids."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indexrelid FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
            "UNION ALL SELECT conname, pg_get_constraintdef(oid), oid FROM pg_constraint "
            "WHERE conrelid = %s::regclass",
            [MODELS[kind]._meta.db_table] * 2,
        )
        rows = cursor.fetchall()
    return {name: definition for name, definition, _oid in rows}, {n: o for n, _d, o in rows}


@pytest.mark.usefixtures("pg")
def test_a_large_first_load_rebuilds_the_indexes_and_constraints_as_they_were(
    world, tmp_path, settings
):
    checked_now()
    settings.RECORDS_REBUILD_MIN_ROWS = len(GOOD)
    shape, ids = table_shape()
    path = write(tmp_path, SHIPMENTS + "\n".join(GOOD) + "\n")
    report = services.records_load(kind="shipments", table=services.open_table(path))
    assert report.created == len(GOOD)
    after, after_ids = table_shape()
    assert after == shape  # same names, same definitions (unique key, indexes, foreign keys)
    assert {"shipment_source_unique", "shipment_promised_dept"} <= set(after)
    rebuilt = {name for name in shape if ids[name] != after_ids[name]}
    assert rebuilt == {
        "records_shipment_pkey",  # its index too, once (no foreign key refers to it)
        "shipment_source_unique",
        *SECONDARY,
    }
    # (the checks stay in place; references are the loader's to check, not foreign key
    # constraints that would check a million rows one by one)
    assert not [d for d in shape.values() if d.startswith("FOREIGN KEY")]
    # The ids follow the sequence, which has moved past them: the next record gets a new one.
    ids_given = sorted(MODELS["shipments"].objects.values_list("pk", flat=True))
    assert ids_given == list(range(ids_given[0], ids_given[0] + len(GOOD)))
    # The rebuilt constraints hold: a repeat of a stored record is an update, not a second row.
    again = services.records_load(kind="shipments", table=services.open_table(path))
    assert (again.created, again.updated) == (0, 0)
    row = MODELS["shipments"].objects.first()
    row.pk = None
    with pytest.raises(IntegrityError, match="shipment_source_unique"), transaction.atomic():
        row.save()
    row.source_record_id = "new"
    row.save()
    assert row.pk > ids_given[-1]  # (the refused save above used one number)


@pytest.mark.usefixtures("pg")
def test_a_rebuilding_load_that_fails_leaves_the_table_as_it_was(world, tmp_path, settings):
    checked_now()
    settings.RECORDS_REBUILD_MIN_ROWS = 1
    shape, _ids = table_shape()
    path = write(tmp_path, SHIPMENTS + "\n".join(GOOD) + "\n")

    class Stopped(Exception):
        pass

    def load_then_stop():  # as a worker killed before its commit
        with transaction.atomic():
            services.records_load(kind="shipments", table=services.open_table(path))
            assert MODELS["shipments"].objects.count() == len(GOOD)
            raise Stopped

    with pytest.raises(Stopped):
        load_then_stop()
    assert table_shape()[0] == shape
    assert MODELS["shipments"].objects.count() == 0


@pytest.mark.usefixtures("pg")
def test_a_few_records_into_a_loaded_table_keep_its_indexes(world, tmp_path, settings):
    """Fewer new records than half the table holds: the indexes are maintained, not built
    again."""
    checked_now()
    settings.RECORDS_REBUILD_MIN_ROWS = 1
    path = write(tmp_path, SHIPMENTS + "\n".join(GOOD[:5]) + "\n")
    services.records_load(kind="shipments", table=services.open_table(path))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE records_shipment")  # (the table's size, as the planner knows it)
    _shape, ids = table_shape()
    path = write(tmp_path, SHIPMENTS + "\n".join(GOOD[5:]) + "\n", "more.csv")
    report = services.records_load(kind="shipments", table=services.open_table(path))
    assert report.created == len(GOOD) - 5
    assert table_shape()[1] == ids  # the same index and constraint objects


@pytest.mark.usefixtures("pg")
def test_a_month_as_large_as_the_table_rebuilds_its_keys_as_they_were(world, tmp_path, settings):
    """At least half as many new records as the table holds (the second month after go-live):
    the unique key and the secondary indexes are dropped for the insert and built again, the
    same; the primary key stays; a record id already stored is updated, not added."""
    checked_now()
    settings.RECORDS_REBUILD_MIN_ROWS = 1
    path = write(tmp_path, SHIPMENTS + "\n".join(GOOD[:3]) + "\n")
    services.records_load(kind="shipments", table=services.open_table(path))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE records_shipment")
    shape, ids = table_shape()
    changed = GOOD[0].replace("o-1", "o-1b")
    path = write(tmp_path, SHIPMENTS + "\n".join([changed, *GOOD[3:]]) + "\n", "more.csv")
    report = services.records_load(kind="shipments", table=services.open_table(path))
    assert (report.created, report.updated) == (len(GOOD) - 3, 1)
    after, after_ids = table_shape()
    assert after == shape
    rebuilt = {name for name in shape if ids[name] != after_ids[name]}
    assert rebuilt == {"shipment_source_unique", *SECONDARY}
    assert Shipment.objects.get(source_record_id="1").order_ref == "o-1b"
    assert Shipment.objects.count() == len(GOOD)


def numbered(tmp_path, name: str, numbers: range) -> str:
    rows = "".join(f"t,{n},CS,2026-03-01T10:00,2026-03-05\n" for n in numbers)
    return write(
        tmp_path, "source_system,source_record_id,department,ordered_at,promised_at\n" + rows, name
    )


def stages_left() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class "
            "WHERE starts_with(relname, %s) OR starts_with(relname, %s)",
            ["records_stage_", "records_changed_"],
        )
        return [name for (name,) in cursor.fetchall()]


def promised(ids) -> dict[str, str]:
    rows = Shipment.objects.filter(source_record_id__in=[str(i) for i in ids])
    return {s.source_record_id: s.promised_on.isoformat() for s in rows}


def more_rows(tmp_path, numbers, late: dict[int, str]) -> str:
    """``numbers`` as new records (promised on 5 March), then ``late``: {record id: promised
    date}, after the first block Arrow reads (the load's guess is made on that block)."""
    rows = [f"t,{n},CS,2026-03-01T10:00,2026-03-05\n" for n in numbers]
    rows += [f"t,{n},CS,2026-03-01T10:00,{day}\n" for n, day in late.items()]
    path = write(
        tmp_path,
        "source_system,source_record_id,department,ordered_at,promised_at\n" + "".join(rows),
        "more.csv",
    )
    assert os.path.getsize(path) > tables.BLOCK  # the late rows are in a later block
    return path


@pytest.mark.usefixtures("pg")
@pytest.mark.parametrize("stored", [1_000, 400_000], ids=["indexes-rebuilt", "indexes-kept"])
def test_new_records_copied_straight_in_then_a_stored_one_the_load_is_done_again(
    catalog, tmp_path, settings, stored
):
    """A file whose first block holds only new record ids is copied straight into the table
    (with its unique key and index dropped and rebuilt when the file is at least half the
    table, else kept). A stored record id further on proves the guess wrong: the load is
    done again through the stage, and the stored record is updated, not added."""
    settings.RECORDS_REBUILD_MIN_ROWS = 1
    services.records_load(
        kind="shipments", table=services.open_table(numbered(tmp_path, "a.csv", range(stored)))
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE records_shipment")
    shape, _ids = table_shape()
    new = range(stored, stored + 110_000)
    path = more_rows(tmp_path, new, {7: "2026-03-09"})
    report = services.records_load(kind="shipments", table=services.open_table(path))
    assert (report.created, report.updated, report.skipped) == (len(new), 1, 0)
    assert Shipment.objects.count() == stored + len(new)
    assert promised([7, 8, stored]) == {
        "7": "2026-03-09",
        "8": "2026-03-05",
        str(stored): "2026-03-05",
    }
    assert table_shape()[0] == shape
    assert stages_left() == []


@pytest.mark.usefixtures("pg")
def test_new_records_copied_straight_in_keep_the_first_of_a_repeated_id(
    catalog, tmp_path, settings
):
    settings.RECORDS_REBUILD_MIN_ROWS = 1
    services.records_load(
        kind="shipments", table=services.open_table(numbered(tmp_path, "a.csv", range(100)))
    )
    new = range(100, 110_100)
    path = more_rows(tmp_path, new, {150: "2026-03-09"})
    report = services.records_load(kind="shipments", table=services.open_table(path))
    assert (report.created, report.updated) == (len(new), 0)
    assert promised([150]) == {"150": "2026-03-05"}  # the first of id 150, not the later one
    assert Shipment.objects.count() == 100 + len(new)
    assert stages_left() == []


@pytest.mark.usefixtures("pg")
def test_a_month_of_new_records_lands_straight_in_the_table(catalog, tmp_path, settings):
    settings.RECORDS_REBUILD_MIN_ROWS = 1
    services.records_load(
        kind="shipments", table=services.open_table(numbered(tmp_path, "a.csv", range(100)))
    )
    shape, ids = table_shape()
    path = more_rows(tmp_path, range(100, 110_100), {})
    report = services.records_load(kind="shipments", table=services.open_table(path))
    assert (report.created, report.updated) == (110_000, 0)
    after, after_ids = table_shape()
    assert after == shape
    rebuilt = {name for name in shape if ids[name] != after_ids[name]}
    assert rebuilt == {"shipment_source_unique", *SECONDARY}  # not the primary key
    row = Shipment.objects.create(
        source_system="t",
        source_record_id="after",
        department=Shipment.objects.first().department,
        ordered_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        promised_at=dt.datetime(2026, 3, 5, tzinfo=dt.UTC),
        promised_on=dt.date(2026, 3, 5),
    )
    assert (
        row.pk > Shipment.objects.exclude(pk=row.pk).order_by("-pk").first().pk
    )  # the sequence moved on
    assert stages_left() == []


def count_waiting_at_most(table: str, timeout: str) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [timeout])
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - our own table names
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pg")
def test_while_a_first_load_rebuilds_the_app_still_reads_departments(catalog, tmp_path, settings):
    """The rebuilding load locks the (empty) shipments table only: departments — on nearly
    every page — stay readable until it commits."""
    settings.RECORDS_REBUILD_MIN_ROWS = 1
    path = numbered(tmp_path, "a.csv", range(500))
    loaded, release = threading.Event(), threading.Event()
    outcome = []

    def load():
        try:
            with transaction.atomic():
                outcome.append(
                    services.records_load(kind="shipments", table=services.open_table(path))
                )
                loaded.set()
                release.wait(timeout=30)
        except Exception as error:  # reported by the assertion below
            outcome.append(repr(error))
            loaded.set()
        finally:
            connection.close()

    thread = threading.Thread(target=load)
    thread.start()
    try:
        assert loaded.wait(timeout=60)
        assert count_waiting_at_most("departments_department", "2s") > 0
        # while the shipments table itself is locked (the rebuild path was taken)
        with pytest.raises(OperationalError, match="lock timeout"):
            count_waiting_at_most("records_shipment", "200ms")
    finally:
        release.set()
        thread.join(timeout=60)
    assert [getattr(r, "created", r) for r in outcome] == [500]
    assert MODELS["shipments"].objects.count() == 500


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pg")
def test_two_first_loads_at_once_both_land_once(catalog, tmp_path, settings):
    settings.RECORDS_REBUILD_MIN_ROWS = 1
    shape = table_shape()[0]
    files = [
        numbered(tmp_path, "a.csv", range(0, 2000)),
        numbered(tmp_path, "b.csv", range(1000, 3000)),
    ]
    barrier = threading.Barrier(2)
    outcomes = []

    def load(path):
        try:
            barrier.wait(timeout=10)
            outcomes.append(
                services.records_load(kind="shipments", table=services.open_table(path))
            )
        except Exception as error:  # reported by the assertion below
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=load, args=(path,)) for path in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # At most one took the table (the other found it locked, or both found the other there)
    # and the other upserted: no deadlock, and the 1,000 records of both files are there once.
    assert all(not isinstance(r, str) for r in outcomes), outcomes
    assert sum(r.created for r in outcomes) == 3000
    assert [r.updated for r in outcomes] == [0, 0]
    assert MODELS["shipments"].objects.count() == 3000
    assert table_shape()[0] == shape


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pg")
def test_a_first_load_does_not_wait_for_a_reader_of_the_table(catalog, tmp_path, settings):
    """Someone reading the (empty) shipments table — an admin page — holds a share lock: the
    load does not queue behind it for the exclusive lock (two loads doing so would deadlock),
    it upserts instead."""
    settings.RECORDS_REBUILD_MIN_ROWS = 1
    _shape, ids = table_shape()
    reading, done = threading.Event(), threading.Event()

    def read():
        try:
            with transaction.atomic():
                MODELS["shipments"].objects.count()
                reading.set()
                done.wait(timeout=10)
        finally:
            connection.close()

    reader = threading.Thread(target=read)
    reader.start()
    try:
        assert reading.wait(timeout=30)
        path = numbered(tmp_path, "a.csv", range(300))
        # (were it to queue, it would wait for the reader's 10 s and then rebuild)
        report = services.records_load(kind="shipments", table=services.open_table(path))
    finally:
        done.set()
        reader.join(timeout=30)
    assert report.created == 300
    assert table_shape()[1] == ids  # upserted: nothing dropped or rebuilt


def test_a_mapping_whose_date_format_reads_nothing_refuses_each_row_naming_the_column(
    catalog, tmp_path
):
    mapping = RecordMapping.objects.create(
        name="odd-format",
        kind="shipments",
        columns={"id": "source_record_id", "bought": "ordered_at", "due": "promised_at"},
        constants={"source_system": "shop"},
        date_format="%Q",
    )
    path = write(tmp_path, "id,bought,due\n1,2026-03-01,2026-03-05\n")
    assert refused(path, mapping=mapping) == [(1, "bought", "invalid_date")]
    assert not Shipment.objects.exists()


def test_a_time_zone_python_knows_but_the_loader_cannot_read_is_refused(catalog, tmp_path):
    """zoneinfo knows "Factory"; Arrow, which gives the records their local dates, does not:
    the mapping is refused naming its time zone, and a mapping saved before that check makes
    the load refuse (a 400), not fail."""
    mapping = RecordMapping(
        name="factory-zone",
        kind="shipments",
        columns={"id": "source_record_id", "bought": "ordered_at", "due": "promised_at"},
        constants={"source_system": "shop"},
        time_zone="Factory",
    )
    with pytest.raises(ValidationError) as refused_mapping:
        mapping.full_clean()
    assert "time_zone" in refused_mapping.value.message_dict
    mapping.save()  # as saved before the check
    path = write(tmp_path, "id,bought,due\n1,2026-03-01,2026-03-05\n")
    with pytest.raises(ApplicationError) as refused_load:
        services.records_load(kind="shipments", table=services.open_table(path), mapping=mapping)
    assert (refused_load.value.field, refused_load.value.code) == ("time_zone", "invalid")
    assert not Shipment.objects.exists()
