import re

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_schema_is_a_valid_openapi_3_document():
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    for path in ("/api/v1/departments/", "/api/v1/employees/", "/api/v1/assignments/",
                 "/api/v1/auth/token/"):  # fmt: skip
        assert path in document["paths"]
    # drf-spectacular validates the generated schema against the OpenAPI 3 JSON schema.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_docs_page_references_only_local_assets():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert urls, "the page should load its Swagger UI assets"
    assert all(not url.startswith(("http:", "https:", "//")) for url in urls), urls
    assert "/static/drf_spectacular_sidecar/" in html
