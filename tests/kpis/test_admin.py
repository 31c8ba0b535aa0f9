"""KPIs, results and targets in the admin: the same rules as the API, history, the scorecard."""

import pytest

from apps.departments import roles
from apps.kpis.models import KPI, KPIResult
from tests.factories import DepartmentFactory, KPIFactory, KPIResultFactory, TargetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops():
    return DepartmentFactory(code="OPS")


@pytest.fixture
def steward_client(client, make_user, ops):
    user = make_user(roles.DATA_STEWARD, username="steward1")
    ops.stewards.add(user)
    client.force_login(user)
    return client


def result_form(kpi, department, **values):
    return {"kpi": kpi.pk, "scope": "department", "department": department.pk, "employee": "",
            "period": "2026-W47", "value": "", "numerator": "", "denominator": "",
            "sample_size": "", "note": "", **values}  # fmt: skip


def test_steward_adds_a_result_and_the_value_is_derived(steward_client, ops):
    kpi = KPIFactory()
    response = steward_client.post(
        "/admin/kpis/kpiresult/add/", result_form(kpi, ops, numerator="9", denominator="10")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    result = KPIResult.objects.get()
    assert result.value == 90
    assert result.entered_by.username == "steward1"
    history = steward_client.get(f"/admin/kpis/kpiresult/{result.pk}/history/").content.decode()
    assert "steward1" in history


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"value": "120"}, "outside the range"),
        ({"numerator": "11", "denominator": "10"}, "cannot exceed the denominator"),
        ({"numerator": "1", "denominator": "0"}, "cannot be 0"),
        ({"value": "50", "period": "2026-W54"}, "is not a period"),
    ],
)
def test_refusals_show_on_the_form_and_write_nothing(steward_client, ops, values, message):
    response = steward_client.post(
        "/admin/kpis/kpiresult/add/", result_form(KPIFactory(), ops, **values)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not KPIResult.objects.exists()


def test_a_second_result_for_the_same_key_names_the_existing_one(steward_client, ops):
    kpi = KPIFactory()
    first = KPIResultFactory(kpi=kpi, department=ops, period="2026-W47", value=40)
    response = steward_client.post(
        "/admin/kpis/kpiresult/add/", result_form(kpi, ops, value="50", period="2026-w47")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f"already has a result for this holder and period (result #{first.pk})" in page
    assert "Constraint" not in page
    assert KPIResult.objects.get().value == 40
    edited = steward_client.post(
        f"/admin/kpis/kpiresult/{first.pk}/change/", result_form(kpi, ops, value="45")
    )
    assert edited.status_code == 302  # changing it is no duplicate of itself


def test_steward_cannot_write_another_departments_results(steward_client):
    other = DepartmentFactory(code="OTHER")
    kpi = KPIFactory()
    response = steward_client.post(
        "/admin/kpis/kpiresult/add/", result_form(kpi, other, value="50")
    )
    assert response.status_code == 200
    assert "departments you steward" in response.content.decode()
    theirs = KPIResultFactory(kpi=kpi, department=other, period="2026-W46")
    page = steward_client.get(f"/admin/kpis/kpiresult/{theirs.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # read-only view
    assert steward_client.post(f"/admin/kpis/kpiresult/{theirs.pk}/change/", {}).status_code == 403


def test_kpi_cannot_become_its_own_ancestor_in_the_admin(admin_client):
    root = KPIFactory(code="root")
    child = KPIFactory(code="child", parent=root)
    data = {f: getattr(root, f) for f in ("code", "name", "unit", "direction", "aggregation",
                                          "frequency", "decimals", "source")}  # fmt: skip
    data.update({"parent": child.pk, "is_active": "on", "description": "",
                 "children-TOTAL_FORMS": "0", "children-INITIAL_FORMS": "0"})  # fmt: skip
    response = admin_client.post(f"/admin/kpis/kpi/{root.pk}/change/", data)
    assert response.status_code == 200
    assert "own ancestor" in response.content.decode()
    assert KPI.objects.get(pk=root.pk).parent is None


def test_scorecard_page_and_dashboard(admin_client, ops):
    kpi = KPIFactory(code="delivery.on_time_rate", name="On-time delivery rate", department=ops)
    TargetFactory(kpi=kpi, threshold=90, target=94, stretch=97)
    KPIResultFactory(kpi=kpi, department=ops, period="2026-10", numerator=80, denominator=100)
    page = admin_client.get("/admin/scorecard/?period=2026-10&department=OPS").content.decode()
    assert f'id="kpi-{kpi.pk}"' in page
    assert 'data-status="below_threshold"' in page
    assert "80.0%" in page
    assert "<svg" in page
    chinese = admin_client.get(
        "/admin/scorecard/?period=2026-10&department=OPS", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "准时交付率" in chinese
    index = admin_client.get("/admin/").content.decode()
    assert 'id="scorecard-panel"' in index


def test_a_kpi_with_an_actual_but_no_target_reads_no_target(admin_client, ops):
    measured = KPIFactory(code="incidents", department=ops)
    KPIResultFactory(kpi=measured, department=ops, period="2026-10", numerator=7, denominator=10)
    KPIFactory(code="unmeasured", department=ops)
    page = admin_client.get("/admin/scorecard/?period=2026-10&department=OPS").content.decode()

    def pill(kpi_code: str) -> str:
        row = page[page.index(f'data-kpi="{KPI.objects.get(code=kpi_code).pk}"') :]
        return row[row.index('class="cx-pill') : row.index("</span>")]

    assert pill("incidents").endswith(">no target")
    assert pill("unmeasured").endswith(">no data")


def test_scorecard_page_reports_a_bad_period_instead_of_failing(admin_client):
    response = admin_client.get("/admin/scorecard/?period=2026-13")
    assert response.status_code == 200
    assert "is not a period" in response.content.decode()


@pytest.mark.parametrize("rows", [3, 30])
def test_result_changelist_query_count_is_flat(
    admin_client, ops, rows, django_assert_max_num_queries
):
    kpi = KPIFactory()
    for week in range(1, rows + 1):
        KPIResultFactory(kpi=kpi, department=ops, period=f"2026-W{week:02d}")
    with django_assert_max_num_queries(15):
        response = admin_client.get("/admin/kpis/kpiresult/")
    assert response.status_code == 200


def test_changing_the_numerator_derives_the_value_again(steward_client, ops):
    kpi = KPIFactory()
    result = KPIResultFactory(
        kpi=kpi, department=ops, period="2026-W47", numerator=15, denominator=100
    )
    form = result_form(kpi, ops, value="15.00000000", numerator="91", denominator="100")
    response = steward_client.post(f"/admin/kpis/kpiresult/{result.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    result.refresh_from_db()
    assert (result.numerator, result.value) == (91, 91)


def test_the_import_and_export_pages_speak_traditional_chinese(admin_client):
    """django-import-export has no zh-Hant catalog; cxoffice's carries its texts."""
    page = admin_client.get(
        "/admin/kpis/kpiresult/import/", HTTP_ACCEPT_LANGUAGE="zh-hant"
    ).content.decode()
    assert "匯入檔案" in page
    assert "此次將匯入以下欄位：" in page
    export = admin_client.get(
        "/admin/kpis/kpiresult/export/", HTTP_ACCEPT_LANGUAGE="zh-hant"
    ).content.decode()
    assert "此次將匯出以下欄位：" in export
