"""PostgreSQL's fast path for CSV files (COPY of the raw file, checks and upsert in SQL) against
the row-by-row path: the same files give the same stored rows and the same reports, field by
field — good files, bad rows of every kind (refused and skipped), repeats and updates, time
zone changes, surveys and tickets, and the files only the row-by-row path reads."""

import threading

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from apps.departments import roles
from apps.departments.models import Department
from apps.records import services
from apps.records.fields import COLUMNS, MODELS
from apps.records.models import RecordMapping, Warehouse
from apps.records.services import fast_load
from cxoffice.errors import ApplicationError, RowsError

from .conftest import OLIST_ORDERS, OLIST_REVIEWS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the fast path is PostgreSQL's (COPY); SQLite always loads row by row")


@pytest.fixture
def fast_runs(monkeypatch):
    """How many loads the fast path completed."""
    runs = []
    original = fast_load.FastLoad.run

    def run(self, **kwargs):
        result = original(self, **kwargs)
        runs.append(result)
        return result

    monkeypatch.setattr(fast_load.FastLoad, "run", run)
    return runs


def stored(kind: str) -> list[dict]:
    columns = [c for c in COLUMNS[kind] if c != "load_job_id"]
    return list(MODELS[kind].objects.order_by("source_system", "source_record_id").values(*columns))


def outcome(path: str, kind: str, fast: bool, **kwargs) -> dict:
    """The report (or the refusal with its rows) of one load."""
    try:
        report = services.records_load(
            kind=kind, table=services.open_table(path), fast_path=fast, **kwargs
        )
    except RowsError as error:
        return {
            "refused": [e.as_dict() for e in error.errors],
            "message": str(error.message),
            "report": error.report.as_dict(),
        }
    except ApplicationError as error:
        return {"refused_file": error.as_dict()}
    return report.as_dict()


def both_paths(files: list[str], kind: str = "shipments", **kwargs) -> list[dict]:
    """Load the files in turn through each path (from an empty table); both give the same
    reports and stored rows. Returns the reports."""
    results = {}
    for fast in (True, False):  # the fast path first: into a table this test has not written
        MODELS[kind].objects.all().delete()
        reports = [outcome(path, kind, fast, **kwargs) for path in files]
        results[fast] = (reports, stored(kind))
    slow_reports, slow_rows = results[False]
    fast_reports, fast_rows = results[True]
    assert fast_reports == slow_reports
    assert len(fast_rows) == len(slow_rows)
    for fast_row, slow_row in zip(fast_rows, slow_rows, strict=True):
        assert fast_row == slow_row
    return fast_reports


def write(tmp_path, text: str, name: str = "file.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


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


@pytest.fixture
def world(catalog):
    Warehouse.objects.create(code="W1", name="Main")


def test_olist_orders_with_the_shipped_mapping(catalog, fast_runs):
    mapping = RecordMapping.objects.get(name="olist-orders")
    (report,) = both_paths([str(OLIST_ORDERS)], mapping=mapping)
    assert (report["read"], report["created"], report["rejected"]) == (4071, 4071, 0)
    assert len(fast_runs) == 1


def test_olist_reviews_as_csat_answers(catalog, fast_runs):
    mapping = RecordMapping.objects.get(name="olist-reviews-csat")
    (report,) = both_paths([str(OLIST_REVIEWS)], kind="surveys", mapping=mapping)
    assert report["created"] > 0
    assert len(fast_runs) == 1


@pytest.fixture(params=["upsert", "rebuild"])
def first_load(request, settings):
    """Both ways a first load writes: the upsert, and (``RECORDS_REBUILD_MIN_ROWS`` reached)
    the plain insert into the emptied table with its indexes and constraints rebuilt."""
    settings.RECORDS_REBUILD_MIN_ROWS = 1 if request.param == "rebuild" else 10**9
    checked_now()
    _shape, ids = table_shape()
    yield request.param
    rebuilt = table_shape()[1]["shipment_source_unique"] != ids["shipment_source_unique"]
    assert rebuilt == (request.param == "rebuild")


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


def test_good_rows_of_every_shape(world, tmp_path, fast_runs, first_load):
    path = write(tmp_path, SHIPMENTS + "\n".join(GOOD) + "\n")
    (report,) = both_paths([path])
    assert (report["created"], report["rejected"]) == (len(GOOD), 0)
    assert len(fast_runs) == 1


def test_bad_rows_of_every_kind_refuse_the_file_alike(world, tmp_path, fast_runs, monkeypatch):
    lines = [row for pair in zip(GOOD, BAD, strict=False) for row in pair] + BAD[len(GOOD) :]
    path = write(tmp_path, SHIPMENTS + "\n".join(lines) + "\n")
    checks = []
    original = fast_load.FastLoad._find_suspects

    def find_suspects(self, cursor):
        checks.append(self.plan.fast_stamps)
        return original(self, cursor)

    monkeypatch.setattr(fast_load.FastLoad, "_find_suspects", find_suspects)
    (refused,) = both_paths([path])
    # 2026-02-30 has a date's shape: the quick check's cast fails, the patterns decide.
    assert checks == [True, False]
    assert len(refused["refused"]) == len(BAD)
    assert {e["code"] for e in refused["refused"]} >= {
        "invalid_date", "date_order", "does_not_exist", "invalid_boolean", "invalid_number",
        "min_value", "invalid_choice", "required", "max_length", "max_value",
    }  # fmt: skip
    assert len(fast_runs) == 1


def test_bad_rows_skipped_alike(world, tmp_path, fast_runs, first_load):
    lines = [row for pair in zip(BAD, GOOD, strict=False) for row in pair] + BAD[len(GOOD) :]
    path = write(tmp_path, SHIPMENTS + "\n".join(lines) + "\n")
    (report,) = both_paths([path], skip_bad_rows=True)
    assert (report["created"], report["rejected"]) == (len(GOOD), len(BAD))
    assert [e["row"] for e in report["errors"]][:3] == [1, 3, 5]
    assert len(fast_runs) == 1


def test_blank_lines_are_not_rows(tmp_path, fast_runs):
    path = write(
        tmp_path,
        "source_system,source_record_id,ordered_at,promised_at\n"
        "t,1,2026-03-01T10:00,2026-03-05\n, ,\t,\nt,2,2026-03-01T10:00,bad\n,,,\n"
        "t,3,2026-03-01T10:00,2026-03-05\n",
    )
    (report,) = both_paths([path], skip_bad_rows=True)
    assert (report["read"], report["created"], report["errors"][0]["row"]) == (3, 2, 2)
    assert len(fast_runs) == 1


def test_repeats_and_updates(world, tmp_path, fast_runs, first_load):
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
    reports = both_paths([first, second, second], skip_bad_rows=True)
    assert [(r["created"], r["updated"], r["skipped"]) for r in reports] == [
        (3, 0, 1),
        (1, 1, 2),
        (0, 0, 4),
    ]
    assert len(fast_runs) == 3


def test_naive_times_on_the_days_the_zone_changes(catalog, tmp_path, fast_runs):
    """Sao Paulo left summer time at midnight on 2018-02-18 (23:00–23:59 on the 17th happen
    twice) and entered it at midnight on 2017-10-15 (that hour does not exist)."""
    header = OLIST_ORDERS.read_text(encoding="utf-8").splitlines()[0]
    rows = [
        "a,c,delivered,2018-02-17 23:30:00,2018-02-17 23:59:59,2018-02-18 00:00:00,"
        "2018-02-20 10:00:00,2018-02-28 00:00:00",
        "b,c,shipped,2017-10-15 00:30:00,2017-10-15 01:00:00,,,2017-10-20 00:00:00",
        "c,c,canceled,2017-10-14 12:00:00,,,,2017-10-20 00:00:00",
    ]
    path = write(tmp_path, header + "\n" + "\n".join(rows) + "\n")
    (report,) = both_paths([path], mapping=RecordMapping.objects.get(name="olist-orders"))
    assert report["created"] == 3
    assert len(fast_runs) == 1


def test_surveys(catalog, tmp_path, fast_runs):
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
    (report,) = both_paths([path], kind="surveys", skip_bad_rows=True)
    assert (report["created"], report["rejected"]) == (5, 4)
    assert len(fast_runs) == 1


def test_tickets(catalog, tmp_path, fast_runs):
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
    (report,) = both_paths([path], kind="tickets", skip_bad_rows=True)
    assert (report["created"], report["rejected"]) == (4, 3)
    assert report["errors"][-1]["code"] == "max_value"
    assert len(fast_runs) == 1


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"t,1,2026-03-01T10:00,2026-03-05\nt,2,2026-03-01T10:00\n", "a short row"),
        (b't,1,2026-03-01T10:00,2026-03-05\nt,a"b,2026-03-01T10:00,2026-03-05\n', "stray quote"),
        ("t,é,2026-03-01T10:00,2026-03-05\n".encode("latin-1"), "not UTF-8"),
        (b"t,1,2026-03-01T10:00,2026-03-05\n\nt,2,2026-03-01T10:00,2026-03-05\n", "empty line"),
        (b"t," + b"x" * 131073 + b",2026-03-01T10:00,2026-03-05\n", "over Python's field limit"),
        (b"t,1,2026-03-01T10:00,2026-03-05\n\\.\nt,2,2026-03-01T10:00,2026-03-05\n", "\\. line"),
        (b"t,1,2026-03-01T10:00,2026-03-05\nt,a\x00b,2026-03-01T10:00,2026-03-05\n", "a NUL"),
    ],
)
def test_files_only_the_row_by_row_path_reads_give_its_results(tmp_path, fast_runs, content, why):
    path = tmp_path / "odd.csv"
    path.write_bytes(b"source_system,source_record_id,ordered_at,promised_at\n" + content)
    both_paths([str(path)], skip_bad_rows=True)
    assert fast_runs == [], why


def test_a_mapping_with_a_date_format(catalog, tmp_path, fast_runs):
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
        "5,2026-03-01 10:00:00,2026-03-05 00:00:00,delivered,2026-03-04 10:00:00,\n",
    )
    (report,) = both_paths([path], mapping=mapping, skip_bad_rows=True)
    assert (report["created"], report["rejected"]) == (4, 1)
    assert len(fast_runs) == 1


def test_a_role_without_create_on_the_schema_stages_in_temporary_tables(
    tmp_path, fast_runs, monkeypatch, settings
):
    # Nor may it rebuild the table's indexes (it does not own the table): it upserts.
    settings.RECORDS_REBUILD_MIN_ROWS = 1
    kinds = []
    original = fast_load.FastLoad.copy

    def copy(self, cursor, progress):
        original(self, cursor, progress)
        kinds.append(self.table_kind.as_string(cursor))

    monkeypatch.setattr(fast_load.FastLoad, "copy", copy)
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE records_loader_test NOLOGIN")
        cursor.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO records_loader_test")
        cursor.execute("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO records_loader_test")
        cursor.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        cursor.execute("SET LOCAL ROLE records_loader_test")
    path = write(
        tmp_path,
        "source_system,source_record_id,ordered_at,promised_at\n"
        "t,1,2026-03-01T10:00,2026-03-05\nt,2,2026-03-01T10:00,bad\n",
    )
    (report,) = both_paths([path], skip_bad_rows=True)
    assert (report["created"], report["rejected"]) == (1, 1)
    assert len(fast_runs) == 1
    assert kinds == ["TEMP"]


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
        "shipment_promised_dept",
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


def test_a_loaded_table_is_not_rebuilt(world, tmp_path, settings):
    checked_now()
    settings.RECORDS_REBUILD_MIN_ROWS = 1
    path = write(tmp_path, SHIPMENTS + "\n".join(GOOD[:2]) + "\n")
    services.records_load(kind="shipments", table=services.open_table(path))
    _shape, ids = table_shape()
    path = write(tmp_path, SHIPMENTS + "\n".join(GOOD[2:]) + "\n", "more.csv")
    report = services.records_load(kind="shipments", table=services.open_table(path))
    assert report.created == len(GOOD) - 2
    assert table_shape()[1] == ids  # the same index and constraint objects


def numbered(tmp_path, name: str, numbers: range) -> str:
    rows = "".join(f"t,{n},CS,2026-03-01T10:00,2026-03-05\n" for n in numbers)
    return write(
        tmp_path, "source_system,source_record_id,department,ordered_at,promised_at\n" + rows, name
    )


def count_waiting_at_most(table: str, timeout: str) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [timeout])
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - our own table names
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
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


def test_a_stewards_load_keeps_to_their_departments(catalog, tmp_path, fast_runs, make_user):
    """Rows of other departments, and rows without one when the steward may not write company
    numbers, are refused alike by both paths (``not_steward``), the rest loaded."""
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
    (report,) = both_paths([path], skip_bad_rows=True, user=steward)
    assert (report["created"], report["rejected"]) == (2, 2)
    assert [(e["row"], e["column"], e["code"]) for e in report["errors"]] == [
        (2, "department", "not_steward"),
        (3, "department", "not_steward"),
    ]
    assert len(fast_runs) == 1


# --- the first large load: read in columns (Arrow) and copied straight into the table ---------
@pytest.fixture
def column_runs(monkeypatch, settings):
    """The loads the column reader completed; every load into an empty table is "large"."""
    from apps.records.services import arrow_load

    settings.RECORDS_REBUILD_MIN_ROWS = 1
    checked_now()
    runs = []
    original = arrow_load.ArrowFirstLoad.run

    def run(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        runs.append(result)
        return result

    monkeypatch.setattr(arrow_load.ArrowFirstLoad, "run", run)
    return runs


def test_olist_files_read_in_columns_give_the_row_by_row_results(catalog, column_runs):
    orders = RecordMapping.objects.get(name="olist-orders")
    (report,) = both_paths([str(OLIST_ORDERS)], mapping=orders)
    assert (report["read"], report["created"], report["rejected"]) == (4071, 4071, 0)
    reviews = RecordMapping.objects.get(name="olist-reviews-csat")
    (report,) = both_paths([str(OLIST_REVIEWS)], kind="surveys", mapping=reviews)
    assert report["skipped"] == 2  # two review ids repeat in the file: the first one wins
    # The quoted orders file, mapped values and its zone, in columns; the reviews, whose ids
    # repeat, fail the rebuilt unique key there and take the SQL path, which keeps the first.
    assert [run[3] for run in column_runs] == [4071]


def test_every_shape_and_every_bad_row_read_in_columns_as_row_by_row(world, tmp_path, column_runs):
    path = write(tmp_path, SHIPMENTS + "\n".join(GOOD) + "\n")
    (report,) = both_paths([path])
    assert (report["created"], report["rejected"]) == (len(GOOD), 0)
    lines = [row for pair in zip(BAD, GOOD, strict=False) for row in pair] + BAD[len(GOOD) :]
    path = write(tmp_path, SHIPMENTS + "\n".join(lines) + "\n", "bad.csv")
    (report,) = both_paths([path], skip_bad_rows=True)
    assert (report["created"], report["rejected"]) == (len(GOOD), len(BAD))
    (refused,) = both_paths([path])
    assert len(refused["refused"]) == len(BAD)
    assert MODELS["shipments"].objects.count() == 0  # a refused file leaves nothing
    assert len(column_runs) == 3


def test_surveys_and_tickets_read_in_columns(catalog, tmp_path, column_runs):
    surveys = write(
        tmp_path,
        "source_system,source_record_id,department,survey_type,scale,score,answered_at\n"
        "s,1,CS,nps,,10,2026-03-01T10:00\ns,2,CS,nps,,0,2026-03-01T10:00Z\n"
        "s,3,,ces,,7,2026-03-01\ns,4,,ces,effort_1_5,5,2026-03-01 10:00:00\n"
        "s,5,,csat,,6,2026-03-01\ns,6,,nps,easy_1_7,3,2026-03-01\n",
    )
    (report,) = both_paths([surveys], kind="surveys", skip_bad_rows=True)
    assert (report["created"], report["rejected"]) == (4, 2)
    tickets = write(
        tmp_path,
        "source_system,source_record_id,opened_at,first_response_at,resolved_at,"
        "contacts_to_resolve\n"
        "k,1,2026-03-01T10:00,2026-03-01T10:00:01.5,2026-03-02T10:00,1\n"
        "k,2,2026-03-01T10:00,2026-03-01T09:00,,\nk,3,2026-03-01T10:00,,,0\n",
        "tickets.csv",
    )
    (report,) = both_paths([tickets], kind="tickets", skip_bad_rows=True)
    assert (report["created"], report["rejected"]) == (1, 2)
    assert len(column_runs) == 2


def test_the_column_reader_stays_a_few_blocks_ahead(tmp_path, monkeypatch):
    """Memory stays flat as files grow: Arrow's reading thread may not run ahead of the rows
    taken by more than AHEAD blocks (left alone it reads the whole file ahead)."""
    from apps.records.services import arrow_load

    monkeypatch.setattr(arrow_load, "BLOCK", 1 << 12)
    rows = "".join(f"t,{n},2026-03-01T10:00,2026-03-05\n" for n in range(20_000))
    path = write(tmp_path, "source_system,source_record_id,ordered_at,promised_at\n" + rows)
    load = arrow_load.ArrowFirstLoad.__new__(arrow_load.ArrowFirstLoad)
    load.header = ["source_system", "source_record_id", "ordered_at", "promised_at"]
    load.fast = type("Fast", (), {"path": path})()
    ahead, taken, seen = [], 0, 0
    original = arrow_load._Paced.readinto

    def readinto(self, buffer):
        count = original(self, buffer)
        ahead.append(self.read_bytes - self.taken)
        return count

    monkeypatch.setattr(arrow_load._Paced, "readinto", readinto)
    for batch in load.batches(quoted=False):
        taken += 1
        seen += batch.num_rows
    assert seen == 20_000
    assert taken > 50
    assert max(ahead) <= (arrow_load.AHEAD + 1) * arrow_load.BLOCK
