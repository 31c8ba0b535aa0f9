"""Browser tests: the admin in a real headless Chromium (Debian's package) against a live server.

Playwright for Python drives ``/usr/bin/chromium`` (override with ``CHROMIUM_PATH``); its own
browser download is never used. ``make test`` installs Chromium with apt-get when it is missing.
"""

import os
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps
from playwright.sync_api import sync_playwright

# Playwright's sync API keeps an event loop running in the test thread; Django would otherwise
# refuse ORM calls made there (the factories) as "async-unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.django_db(transaction=True))


# Data migrations whose rows a transactional test's flush removes: re-run for each browser test.
ROLE_MIGRATIONS = sorted(
    f"apps.{path.parent.parent.name}.migrations.{path.stem}"
    for path in Path(__file__).resolve().parents[2].glob("apps/*/migrations/*_roles.py")
)


@pytest.fixture(autouse=True)
def roles_from_migrations(transactional_db):
    for module in ROLE_MIGRATIONS:
        import_module(module).create_roles(apps, None)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (it installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login(page, live_server):
    def sign_in(username: str, password: str = "pw-for-tests-1"):
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_selector("#user-tools")
        return page

    return sign_in
