"""The environment drives the settings: database, Celery, and a production configuration
that passes ``check --deploy`` without a warning."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_SECRET_KEY": "k7#Vq9!zR2@pL8$wN4^xT6&bM1*cY3(hJ5)fD0_gS-eA+uQ=oI~nK|rW<>?.,",
    "DJANGO_ALLOWED_HOSTS": "cx.example.com",
    "DJANGO_HTTPS": "true",
    "DJANGO_DEBUG": "false",
}


def _run(args, extra_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.pop("DATABASE_URL", None)
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _setting(name, extra_env):
    code = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps(s.{name}, default=str))"
    )
    result = _run(["shell", "-c", code], extra_env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_with_the_documented_production_variables():
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_check_deploy_warns_without_them():
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], {})
    assert result.returncode != 0
    assert "security.W" in result.stdout + result.stderr


def test_database_is_sqlite_by_default_and_postgres_from_url():
    default = _setting("DATABASES['default']['ENGINE']", {})
    postgres = _setting(
        "DATABASES['default']['ENGINE']", {"DATABASE_URL": "postgres://u:p@db.example:5432/cx"}
    )
    assert default == "django.db.backends.sqlite3"
    assert postgres == "django.db.backends.postgresql"


def test_sqlite_is_set_for_concurrent_writers_and_postgres_is_left_alone():
    sqlite = _setting("DATABASES['default'].get('OPTIONS', {})", {})
    postgres = _setting(
        "DATABASES['default'].get('OPTIONS', {})",
        {"DATABASE_URL": "postgres://u:p@db.example:5432/cx"},
    )
    assert "journal_mode=WAL" in sqlite["init_command"]
    assert sqlite["transaction_mode"] == "IMMEDIATE"
    assert sqlite["timeout"] == 30
    assert postgres == {}


def test_celery_runs_in_process_without_a_broker_and_on_workers_with_one():
    assert _setting("CELERY_TASK_ALWAYS_EAGER", {}) is True
    assert (
        _setting("CELERY_TASK_ALWAYS_EAGER", {"CELERY_BROKER_URL": "redis://localhost:6379/0"})
        is False
    )


def test_debug_is_off_unless_asked():
    assert _setting("DEBUG", {}) is False
    assert _setting("DEBUG", {"DJANGO_DEBUG": "true"}) is True


def test_login_lockout_and_token_lifetime_come_from_the_environment():
    assert _setting("AXES_FAILURE_LIMIT", {}) == 10
    assert _setting("AXES_COOLOFF_TIME", {}) == "0:15:00"
    assert _setting("API_TOKEN_TTL", {}) == "30 days, 0:00:00"
    configured = {
        "CXOFFICE_LOGIN_FAILURE_LIMIT": "5",
        "CXOFFICE_LOGIN_COOLOFF_MINUTES": "60",
        "CXOFFICE_TOKEN_TTL_DAYS": "7",
    }
    assert _setting("AXES_FAILURE_LIMIT", configured) == 5
    assert _setting("AXES_COOLOFF_TIME", configured) == "1:00:00"
    assert _setting("API_TOKEN_TTL", configured) == "7 days, 0:00:00"


def test_behind_a_proxy_login_logs_take_the_address_from_x_forwarded_for():
    assert _setting("AXES_CLIENT_IP_CALLABLE", {}) is None
    assert (
        _setting("AXES_CLIENT_IP_CALLABLE", {"DJANGO_BEHIND_PROXY": "true"})
        == "apps.accounts.audit.client_ip_behind_proxy"
    )
