"""Errors no view handled: the API's paths answer in its JSON error shape, other pages get a
short page in the reader's language with a way back."""

import pytest

from apps.departments import roles

pytestmark = pytest.mark.django_db


def test_an_unknown_api_address_is_json_in_the_error_shape(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "There is no page at this address.",
        "field": None,
        "code": "not_found",
    }


def test_an_unknown_page_is_a_translated_page_with_a_way_back(client):
    response = client.get("/nowhere/", HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="zh-hant">' in page
    assert "這個位址沒有頁面。" in page
    assert 'href="/admin/"' in page


def test_a_refused_admin_page_says_so_in_the_readers_language(client, make_user):
    client.force_login(make_user(roles.DATA_STEWARD))
    response = client.get("/admin/bonuses/run/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 403
    assert "您无权打开此页面。" in response.content.decode()


def test_a_server_error_on_the_api_is_json_and_on_pages_a_page(rf):
    from cxoffice.error_views import server_error

    api = server_error(rf.get("/api/v1/kpis/"))
    assert (api.status_code, api["Content-Type"]) == (500, "application/json")
    page = server_error(rf.get("/admin/"))
    assert page.status_code == 500
    assert "it has been logged" in page.content.decode()
