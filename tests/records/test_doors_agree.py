"""The file door and the API door agree: the same rows, written to a CSV file or sent as JSON
objects, give the same stored records and the same report — counts, and each refused row's
number, column, message and code — with bad rows skipped, and refused alike (nothing written)
when they are not. On PostgreSQL the file takes the set-based paths (SQL checks, the Arrow
first load) and the API's rows the row-by-row one, so this is where their rules are held equal.

Rows are drawn by hypothesis: valid cells and invalid ones (blank required fields, bad or
impossible timestamps, dates out of order, scores outside their scale, unknown codes,
over-long text, bad numbers, yes/no words and choices), repeated record ids, times with and
without a UTC offset, spaces around cells. The API's copy of a row may say a cell in JSON's
own types where that means the same (7 for "7", true for "yes", null or no key for "").
"""

from __future__ import annotations

import contextlib
import csv
import functools
import re
from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from apps.departments import roles
from apps.departments.catalog import load as load_departments
from apps.departments.models import Department
from apps.records import services
from apps.records.fields import (
    BOOL,
    CHOICE,
    DATETIME,
    FALSE,
    FIELDS,
    INT,
    REF,
    TEXT,
    TRUE,
    FieldSpec,
)
from apps.records.models import RECORD_MODELS as MODELS
from apps.records.models import Carrier, RecordKind, Warehouse
from cxoffice.errors import RowsError
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"
KINDS = [RecordKind.SURVEYS, RecordKind.TICKETS, RecordKind.SHIPMENTS]
BULK_URL = {
    RecordKind.SURVEYS: "/api/v1/survey-responses/bulk/",
    RecordKind.TICKETS: "/api/v1/tickets/bulk/",
    RecordKind.SHIPMENTS: "/api/v1/shipments/bulk/",
}
EXAMPLES = hypothesis.settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same rows on SQLite and PostgreSQL, run after run
    database=None,
    # One database state for all examples of a test: each example undoes its own writes.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- cells -----------------------------------------------------------------------------------
def _stamp(day: int, hour: int, minute: int, form: int) -> str:
    d, t = f"2026-03-{day:02d}", f"{hour:02d}:{minute:02d}"
    return [
        f"{d}T{t}",  # naive: in the settings' zone
        f"{d} {t}",
        f"{d}T{t}:00Z",
        f"{d}T{t}Z",
        f"{d}T{t}:00+02:00",
        f"{d}T{t}:00.250-05:30",
        f"{d}T{t}+05:30",
        f"{d}T{t}:45.5",
        f"{d}",
        f" {d}T{t} ",
    ][form]


@functools.cache
def stamps(first_day: int, last_day: int) -> st.SearchStrategy[str]:
    return st.builds(
        _stamp,
        st.integers(first_day, last_day),
        st.integers(0, 23),
        st.sampled_from([0, 30, 59]),
        st.integers(0, 9),
    )


# Few ids, so that rows repeat one (the first occurrence wins) and update earlier rows; or
# many, so that they seldom do (the Arrow first load takes only files without repeats).
ID_CELLS = {
    ids: st.integers(1, ids).map("r{}".format) | st.sampled_from([" r2 ", "17"])
    for ids in (15, 10_000)
}
# The time a record starts (the others are from that day on; a bad one is a day before it).
FIRST_STAMP = {"answered_at", "opened_at", "ordered_at"}
BAD_STAMPS = st.sampled_from(
    ["not a date", "2026-13-01", "2026-02-30T10:00", "2026-03-01T24:00", "10/03/2026"]
)
GOOD_REFS = {
    "department": ["", "", "CS", " CS ", "DIST"],
    "warehouse": ["", "W1"],
    "carrier": ["", "C1"],
    **{key: ["", "", "E1", " E2 "] for key in ["courier", "picker", "packer", "agent"]},
}
BAD_REFS = {
    "department": ["NOPE", "cs"],
    "warehouse": ["WX"],
    "carrier": ["CX"],
    **{key: ["E9", "e1"] for key in ["courier", "picker", "packer", "agent"]},
}
GOOD_CHOICES = {
    "survey_type": ["nps", "csat", "ces", " NPS ", "Ces"],
    "scale": ["", "", "", "", "", "easy_1_7", "EFFORT_1_5"],  # refused but for CES
    "status": ["", "", "delivered", "in_transit", "cancelled", " Cancelled "],
}


@functools.cache  # building a strategy costs more than drawing from it
def good_cell(name: str, spec: FieldSpec, day: int) -> st.SearchStrategy[str]:
    if name == "source_system":
        return st.sampled_from(["crm", "crm", "desk", " crm "])
    if name == "source_record_id":
        return ID_CELLS[15]
    if spec.type == TEXT:
        longest = spec.max_length or 300
        texts = ["web", " padded ", 'a, "quoted" cell', "ünïcode ✓", "two\nlines", "x" * longest]
        return st.sampled_from(["", "", *texts])
    if spec.type == DATETIME:
        # From the record's first day on, any hour: now and then before the first time.
        times = stamps(day, day) if name in FIRST_STAMP else stamps(day, day + 4)
        return times if spec.required else st.sampled_from(["", ""]) | times
    if spec.type == INT:
        if name == "score":  # now and then outside the scale of CSAT or CES
            scores = st.integers(1, 5) | st.integers(0, 10)
            return scores.map(str) | st.sampled_from([" 4 ", "005"])
        low = 1 if name == "contacts_to_resolve" else 0
        return st.sampled_from(["", ""]) | st.integers(low, 5).map(str) | st.just(" 3 ")
    if spec.type == BOOL:
        return st.sampled_from(["", "", "yes", "no", "1", "0", "true", "F", " y ", "Y"])
    if spec.type == CHOICE:
        return st.sampled_from(GOOD_CHOICES[name])
    assert spec.type == REF, spec
    return st.sampled_from(GOOD_REFS[name])


@functools.cache
def bad_cell(name: str, spec: FieldSpec, day: int) -> st.SearchStrategy[str]:
    blank = ["", "  "] if spec.required or name == "source_system" else []
    if spec.type == TEXT:
        if not spec.max_length:  # free text (a comment) takes anything
            return good_cell(name, spec, day)
        return st.sampled_from([*blank, "x" * (spec.max_length + 1)])
    if spec.type == DATETIME:
        bad = BAD_STAMPS if name in FIRST_STAMP else BAD_STAMPS | stamps(day - 1, day - 1)
        return st.sampled_from(blank) | bad if blank else bad
    if spec.type == INT:
        values = [*blank, "ten", "-1", "1.5", "٣"]  # ٣: an Arabic-Indic three
        if name == "score":
            values += ["11", "-3"]
        if name == "contacts_to_resolve":
            values.append("0")
        if spec.max_value:
            values.append(str(spec.max_value + 1))
        return st.sampled_from(values)
    if spec.type == BOOL:
        return st.sampled_from(["maybe", "2", "oui"])
    if spec.type == CHOICE:
        return st.sampled_from([*blank, "bad", "poll"])
    return st.sampled_from(BAD_REFS[name])


OMIT = object()  # the API's row leaves the key out
_WHOLE = re.compile(r"-?[0-9]{1,9}")


def json_value(spec: FieldSpec, name: str, cell: str, as_json: int) -> Any:
    """The cell as JSON would say it, meaning the same to the loader (``as_json``: 0 keeps the
    text; otherwise the other form, when there is one)."""
    if not as_json:
        return cell
    if cell == "":
        return None if as_json == 1 else OMIT
    if spec.type == INT and _WHOLE.fullmatch(cell):
        return int(cell)  # "007" and "-0" too: the loader reads the text as this number
    if name == "source_record_id" and cell.isascii() and cell.isdigit() and str(int(cell)) == cell:
        return int(cell)  # the id "17"
    if spec.type == BOOL and cell.strip().lower() in TRUE | FALSE:
        return cell.strip().lower() in TRUE
    return cell


@st.composite
def record_rows(draw, kind: str, ids: int = 15) -> tuple[dict[str, str], dict[str, Any]]:
    """One row: its CSV cells and its API object. About half the rows are meant to be valid
    (though their dates may be out of order, or the score outside its survey's scale), the
    others carry one or two bad cells."""
    specs = FIELDS[kind]
    day = draw(st.integers(2, 20))
    bad = draw(
        st.just(frozenset()) | st.frozensets(st.sampled_from(list(specs)), min_size=1, max_size=2)
    )
    cells = {
        name: draw(bad_cell(name, spec, day) if name in bad else good_cell(name, spec, day))
        for name, spec in specs.items()
    }
    if "source_record_id" not in bad:
        cells["source_record_id"] = draw(ID_CELLS[ids])
    api: dict[str, Any] = {}
    for name, spec in specs.items():
        value = json_value(spec, name, cells[name], draw(st.integers(0, 2)))
        if value is not OMIT:
            api[name] = value
    return cells, api


def not_blank(row: tuple[dict[str, str], dict[str, Any]]) -> bool:
    # A CSV line of blank cells is no row (it is not read); an API object of blanks is one.
    return any(cell.strip() for cell in row[0].values())


def loads(kind: str) -> st.SearchStrategy[dict]:
    @st.composite
    def load(draw) -> dict:
        row = record_rows(kind, draw(st.sampled_from(list(ID_CELLS)))).filter(not_blank)
        # A size drawn first: lists left to themselves are mostly of a few rows.
        size = draw(st.integers(1, 40))
        earlier = record_rows(kind).map(lambda row: row[0])
        return {
            "rows": draw(st.lists(row, min_size=size, max_size=size)),
            # Loaded before each door's load (both alike): rows to update, or leave unchanged.
            "earlier": draw(st.just([]) | st.lists(earlier, min_size=1, max_size=12)),
            # Naive times are in the settings' zone; New York's clocks go forward on 8 March.
            "zone": draw(st.sampled_from(["UTC", "America/New_York"])),
            # PostgreSQL: a file loaded into an empty table takes the Arrow first load (from
            # RECORDS_REBUILD_MIN_ROWS rows: 1 or never), else the SQL path's upsert.
            "rebuild": draw(st.booleans()),
        }

    return load()


# --- the doors -------------------------------------------------------------------------------
def stored(kind: str) -> list[dict]:
    """Every column of the stored records but the primary key and the load job."""
    model = MODELS[kind]
    columns = [
        f.attname
        for f in model._meta.concrete_fields
        if f.attname not in (model._meta.pk.attname, "load_job_id")
    ]
    return list(model.objects.order_by("source_system", "source_record_id").values(*columns))


def write_csv(tmp_path, kind: str, rows: list[dict[str, str]]) -> str:
    """The rows as a CSV file, its header the first row's fields."""
    path = tmp_path / f"{kind}.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def load(kind: str, table: services.Table, *, skip_bad_rows: bool, user=None) -> dict:
    """The report of one load, or its refusal (the rows listed, the report so far)."""
    try:
        report = services.records_load(
            kind=kind, table=table, skip_bad_rows=skip_bad_rows, user=user
        )
    except RowsError as error:
        return {"refused": [e.as_dict() for e in error.errors], "report": error.report.as_dict()}
    return {"report": report.as_dict()}


class _Undo(Exception):
    pass


def on_fresh_state(kind: str, case: dict, door: Callable[[], dict]) -> dict:
    """``door()``'s outcome with the records stored before and after, on the database as the
    fixtures left it plus the ``case``'s earlier rows, in its time zone; nothing is kept."""
    outcome: dict = {}
    rebuild_from = 1 if case.get("rebuild") else 10**9
    with (
        override_settings(TIME_ZONE=case.get("zone", "UTC"), RECORDS_REBUILD_MIN_ROWS=rebuild_from),
        contextlib.suppress(_Undo),
        transaction.atomic(),
    ):
        if case["earlier"]:
            services.records_load(
                kind=kind, table=services.table_from_rows(case["earlier"]), skip_bad_rows=True
            )
        outcome["before"] = stored(kind)
        outcome.update(door())
        outcome["stored"] = stored(kind)
        raise _Undo
    return outcome


def assert_agree(by_file: dict, by_api: dict) -> None:
    assert by_api.get("refused") == by_file.get("refused")
    assert by_api["report"] == by_file["report"]
    assert by_api["stored"] == by_file["stored"]


@pytest.fixture
def world(db):
    """Departments, a warehouse W1, a carrier C1 and employees E1 and E2 (codes the rows
    name)."""
    load_departments()
    for number in ("E1", "E2"):
        EmployeeFactory(employee_number=number)
    Warehouse.objects.create(code="W1", name="Main")
    Carrier.objects.create(code="C1", name="Post")
    if ON_POSTGRESQL:
        # Check the fixtures' deferred foreign keys now, as their commit would: a table with
        # unchecked rows cannot be altered, and the Arrow first load would never be taken.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


# --- the properties --------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@EXAMPLES
@given(data=st.data())
def test_file_and_api_doors_load_alike(kind, world, tmp_path, data):
    """(a) bad rows skipped: the same stored rows and report; (b) all or nothing: both refuse
    the same rows when any is bad, writing nothing, and otherwise load alike."""
    case = data.draw(loads(kind), label="load")
    path = write_csv(tmp_path, kind, [cells for cells, _api in case["rows"]])
    api_rows = [api for _cells, api in case["rows"]]
    outcomes = {}
    for skip_bad_rows in (True, False):
        by_file = on_fresh_state(
            kind,
            case,
            lambda s=skip_bad_rows: load(kind, services.open_table(path), skip_bad_rows=s),
        )
        by_api = on_fresh_state(
            kind,
            case,
            lambda s=skip_bad_rows: load(kind, services.table_from_rows(api_rows), skip_bad_rows=s),
        )
        assert_agree(by_file, by_api)
        outcomes[skip_bad_rows] = by_file

    skipping, refusing = outcomes[True], outcomes[False]
    assert skipping["report"]["read"] == len(api_rows)
    assert skipping["report"]["rejected"] == len(skipping["report"]["errors"])
    if skipping["report"]["rejected"]:
        # All or nothing: the refusal lists the rows the skipping load left out; nothing moved.
        assert refusing["refused"] == [
            {"index": e["row"] - 1, "field": e["column"], "detail": e["detail"], "code": e["code"]}
            for e in skipping["report"]["errors"]
        ]
        assert refusing["stored"] == refusing["before"]
    else:
        assert "refused" not in refusing
        assert refusing["report"] == skipping["report"]
        assert refusing["stored"] == skipping["stored"]


@pytest.mark.parametrize("rebuild", [False, True], ids=["upsert", "first-load"])
def test_a_status_in_turkish_capitals_is_refused_at_both_doors(world, tmp_path, rebuild):
    """“in_transit” in capitals as Turkish writes them (İ, the dotted capital i) is no status:
    both doors refuse the row. (The loader's former SQL path lower-cased it with the database's
    lower(), which in a UTF-8 locale gives a plain i, and stored it.)"""
    row = {
        "source_system": "wms", "source_record_id": "o1", "ordered_at": "2026-03-01T10:00",
        "promised_at": "2026-03-05", "status": "İN_TRANSİT",
    }  # fmt: skip
    path = write_csv(tmp_path, RecordKind.SHIPMENTS, [row])
    case = {"earlier": [], "rebuild": rebuild}
    kind = RecordKind.SHIPMENTS
    by_api = on_fresh_state(
        kind, case, lambda: load(kind, services.table_from_rows([row]), skip_bad_rows=True)
    )
    assert [(e["column"], e["code"]) for e in by_api["report"]["errors"]] == [
        ("status", "invalid_choice")
    ]
    by_file = on_fresh_state(
        kind, case, lambda: load(kind, services.open_table(path), skip_bad_rows=True)
    )
    assert_agree(by_file, by_api)


@pytest.fixture
def steward(make_user):
    """A data steward of CS who may write company numbers (records without a department)."""
    user = make_user(roles.DATA_STEWARD)
    user.user_permissions.add(Permission.objects.get(codename="write_company_numbers"))
    Department.objects.get(code="CS").stewards.add(user)
    return user


@pytest.fixture
def steward_api(steward):
    client = APIClient()
    client.force_authenticate(steward)
    return client


def post_bulk(client, kind: str, rows: list[dict[str, Any]]) -> dict:
    """The bulk endpoint's answer in the shape of :func:`load` (a refusal's ``report`` is
    not in the answer)."""
    response = client.post(BULK_URL[kind], {"records": rows}, format="json")
    body = response.json()
    if response.status_code == 400:
        return {"refused": body["errors"]}
    assert response.status_code == 200, body
    body.pop("job")
    return {"report": body}


def as_answered(by_file: dict) -> dict:
    """What the endpoint answers for a load: its report without the errors (a load it takes
    has none), or the refused rows."""
    if "refused" in by_file:
        return {"refused": by_file["refused"]}
    report = dict(by_file["report"])
    assert report.pop("errors") == []
    return {"report": report}


@pytest.mark.parametrize("kind", KINDS)
@hypothesis.settings(EXAMPLES, max_examples=15)
@given(data=st.data())
def test_the_bulk_endpoint_answers_as_the_file_door_loads(
    kind, world, tmp_path, steward, steward_api, data
):
    """Through HTTP, as a steward of CS only (a DIST record is refused at both doors), all or
    nothing: the same refused rows, or the same report and stored rows."""
    case = data.draw(loads(kind), label="load")
    path = write_csv(tmp_path, kind, [cells for cells, _api in case["rows"]])
    api_rows = [api for _cells, api in case["rows"]]
    by_file = on_fresh_state(
        kind,
        case,
        lambda: load(kind, services.open_table(path), skip_bad_rows=False, user=steward),
    )
    by_http = on_fresh_state(kind, case, lambda: post_bulk(steward_api, kind, api_rows))
    assert {k: by_http[k] for k in ("refused", "report") if k in by_http} == as_answered(by_file)
    assert by_http["stored"] == by_file["stored"]
    if "refused" in by_file:
        assert by_file["stored"] == by_file["before"]


SURVEY_HEADER = ["source_system", "source_record_id", "department", "survey_type", "scale", "score",
                 "answered_at", "comment"]  # fmt: skip


def test_one_bulk_request_and_one_file_give_the_same_report(world, tmp_path, steward, steward_api):
    """A worked example: JSON numbers and nulls against the file's text; a repeat; an answer
    updated, one unchanged; and the same rows with one bad answer refused alike."""
    case = {"earlier": [
        {"source_system": "crm", "source_record_id": "a", "survey_type": "nps", "score": "9",
         "answered_at": "2026-03-01T10:00:00Z"},
        {"source_system": "crm", "source_record_id": "b", "survey_type": "csat", "score": "4",
         "answered_at": "2026-03-01T10:00:00Z"},
    ]}  # fmt: skip
    cells = [
        ["crm", "a", "CS", "nps", "", "10", "2026-03-01T10:00:00Z", ""],  # updated
        ["crm", "b", "", "csat", "", "4", "2026-03-01T12:00:00+02:00", ""],  # the same instant
        ["crm", "c", " CS ", "CES", "effort_1_5", " 2 ", "2026-03-02", "easy, mostly"],
        ["crm", "c", "", "ces", "", "7", "2026-03-02", ""],  # a repeat: the first wins
    ]
    rows = [dict(zip(SURVEY_HEADER, line, strict=True)) for line in cells]
    json_rows = [
        {**rows[0], "score": 10, "scale": None},
        {k: v for k, v in rows[1].items() if v},
        rows[2],
        {**rows[3], "score": 7},
    ]
    path = write_csv(tmp_path, RecordKind.SURVEYS, rows)
    kind = RecordKind.SURVEYS

    by_file = on_fresh_state(
        kind,
        case,
        lambda: load(kind, services.open_table(path), skip_bad_rows=False, user=steward),
    )
    by_http = on_fresh_state(kind, case, lambda: post_bulk(steward_api, kind, json_rows))
    assert by_http["report"] == {
        "read": 4, "created": 1, "updated": 1, "skipped": 2, "rejected": 0,
    }  # fmt: skip
    assert as_answered(by_file) == {"report": by_http["report"]}
    assert by_http["stored"] == by_file["stored"]
    c = next(r for r in by_http["stored"] if r["source_record_id"] == "c")
    assert (c["scale"], c["score"], c["comment"]) == ("effort_1_5", 2, "easy, mostly")

    rows[1]["department"] = json_rows[1]["department"] = "DIST"  # not this steward's
    rows[3]["score"], json_rows[3]["score"] = "8", 8  # outside CES's 1 to 7
    path = write_csv(tmp_path, RecordKind.SURVEYS, rows)
    by_file = on_fresh_state(
        kind,
        case,
        lambda: load(kind, services.open_table(path), skip_bad_rows=False, user=steward),
    )
    by_http = on_fresh_state(kind, case, lambda: post_bulk(steward_api, kind, json_rows))
    assert [(e["index"], e["field"], e["code"]) for e in by_http["refused"]] == [
        (1, "department", "not_steward"),
        (3, "score", "out_of_scale"),
    ]
    assert by_http["refused"][1]["detail"] == "A CES score is 1 to 7, not 8."
    assert as_answered(by_file) == {"refused": by_http["refused"]}
    assert by_http["stored"] == by_file["stored"] == by_file["before"]
