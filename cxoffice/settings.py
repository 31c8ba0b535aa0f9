"""cxoffice settings: one module, every variation through environment variables.

See ``.env.example`` for the full list and README "Production" for what a deployment sets.
"""

import contextlib
import datetime as dt
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env file is optional; the process environment always wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    # Only for development and tests; `check --deploy` flags it, production must set its own.
    default="django-insecure-dev-only-key-change-me",
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- HTTPS hardening: on in production (DJANGO_HTTPS=true), off for the local demo and tests,
# which are served over plain http on loopback.
HTTPS = env.bool("DJANGO_HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "cxoffice.admin_site.CxAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "apps.accounts.apps.AxesConfig",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "import_export",
    "apps.departments",
    "apps.kpis",
    "apps.targets",
    "apps.records",
    "apps.feedback",
    "apps.bpi",
    "apps.service_days",
    "apps.bonuses",
    "apps.reviews",
    "apps.accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # An API query string or JSON body that breaks the OpenAPI schema is a 400 naming the field.
    "cxoffice.api.contract.ContractMiddleware",
    # Last: turns a login refused by django-axes into the lockout page (apps.accounts.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cxoffice.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "cxoffice.wsgi.application"

# --- Database: a SQLite file by default (nothing to install), PostgreSQL when DATABASE_URL says so.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite for several people at once (the demo, a small pilot): readers never wait for the
    # writer (WAL journal); a transaction takes the write lock when it begins (IMMEDIATE), so two
    # writers queue instead of one failing mid-transaction with "database is locked"; and a writer
    # waits up to DJANGO_SQLITE_TIMEOUT seconds for the lock. PostgreSQL is not affected.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("DJANGO_SQLITE_TIMEOUT", default=30),
        }
    )
# Request bodies read into memory: the bulk API takes up to 100,000 records a request (about
# 35 MB of shipments as JSON). A larger body is a 413 naming the limit. Files go through the
# admin upload (streamed to disk) or the load_records command instead.
# django-import-export's pages check the model permission: importing needs "add", exporting
# "view" (else a user without access to enrollments could export everyone's bonus targets).
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=64 << 20)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Sign-in: django-axes counts failed logins per username at every door (admin, self-service,
# API token) and refuses that username, even with the right password, for a cool-off. Its backend
# comes first so a locked-out username never reaches the password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = env.int("CXOFFICE_LOGIN_FAILURE_LIMIT", default=10)
LOGIN_COOLOFF = dt.timedelta(minutes=env.int("CXOFFICE_LOGIN_COOLOFF_MINUTES", default=15))
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = LOGIN_COOLOFF
# By username only: counting by address too would let one person's failures (or an attacker's)
# lock out everyone behind the office's shared address. The price: guesses spread over many
# usernames are limited only per username. axes.W006 asks for the address; silenced below.
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
# The cool-off runs from the failure that locked the username: attempts refused while locked
# neither count nor extend it, so Retry-After holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failure: username, IP address, time, path
AXES_LOCKOUT_CALLABLE = "apps.accounts.lockout.lockout_response"
if BEHIND_PROXY:  # record the client's address, not the proxy's
    AXES_CLIENT_IP_CALLABLE = "apps.accounts.audit.client_ip_behind_proxy"
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# API tokens stop working this long after they were issued; POST /api/v1/auth/token/ issues a
# new one.
API_TOKEN_TTL = dt.timedelta(days=env.int("CXOFFICE_TOKEN_TTL_DAYS", default=30))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages: the admin follows the user's browser language (LocaleMiddleware).
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
    ("zh-hant", _("Traditional Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env("DJANGO_TIME_ZONE", default="UTC")
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# WhiteNoise warns on every request when the folder is missing (before the first collectstatic).
# On a read-only image collectstatic made it at build time, or it is not needed.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' static folders when collectstatic has not run (demo, tests).
WHITENOISE_USE_FINDERS = env.bool("DJANGO_STATIC_FROM_APPS", default=True)

# --- E-mail: the console by default; production sets EMAIL_URL (e.g. smtp+tls://user:pw@host:587).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="cxoffice <cxoffice@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery: no broker → tasks run in-process; a Redis URL → real workers.
# Employees a bonus run computes and writes at a time (one Celery chunk task each with a broker).
BONUS_RUN_CHUNK = env.int("BONUS_RUN_CHUNK", default=5_000)
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# `celery -A cxoffice beat` runs these; each task is also callable by hand.
CELERY_BEAT_SCHEDULE: dict = {
    "remind-overdue-bpi-projects": {  # e-mails each owner of an overdue project
        "task": "apps.bpi.tasks.remind_overdue_projects",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon"),
    },
    "remind-executives-behind-quota": {  # e-mails each executive behind their quota
        "task": "apps.service_days.tasks.remind_behind_quota",
        "schedule": crontab(hour=7, minute=5, day_of_week="mon"),
    },
    "remind-overdue-feedback": {  # e-mails each owner of overdue feedback items
        "task": "apps.feedback.tasks.remind_overdue_feedback",
        "schedule": crontab(hour=7, minute=10, day_of_week="mon-fri"),
    },
    "compute-last-weeks-kpis": {  # KPI results of last ISO week from the loaded CX records
        "task": "apps.records.tasks.compute_last_week",
        "schedule": crontab(hour=5, minute=0, day_of_week="mon"),
    },
    "weekly-business-review": {  # builds, stores and e-mails last week's review
        "task": "apps.reviews.tasks.build_and_send_last_week",
        "schedule": crontab(hour=6, minute=0, day_of_week="mon"),
    },
}
# Who receives the weekly business review by e-mail (comma-separated addresses).
WEEKLY_REVIEW_RECIPIENTS = env.list("WEEKLY_REVIEW_RECIPIENTS", default=[])

# --- CX records: a load of at least this many rows into an empty records table drops the
# table's secondary indexes and constraints and rebuilds them once at the end (PostgreSQL).
RECORDS_REBUILD_MIN_ROWS = env.int("RECORDS_REBUILD_MIN_ROWS", default=50_000)

# --- Demo data: the Olist public sample the demo loads as CX records (read in place, never copied
# into the repository; the demo skips it when the folder is absent).
OLIST_SAMPLE_DIR = env(
    "OLIST_SAMPLE_DIR", default=str(BASE_DIR.parent / "shared" / "data" / "olist")
)

# --- Days of service: the quota per executive and quarter when no quota row says otherwise.
SERVICE_DAYS_PER_QUARTER = env.int("SERVICE_DAYS_PER_QUARTER", default=2)

# --- REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call gets 401 with "WWW-Authenticate: Token".
        "apps.accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["cxoffice.api.permissions.ModelPermissions"],
    # Bodies are JSON (the file import endpoints take multipart uploads of their own): one
    # encoding, so what the schema says of a body is what the server reads.
    "DEFAULT_PARSER_CLASSES": ["cxoffice.api.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "cxoffice.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "cxoffice.api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "cxoffice API",
    "DESCRIPTION": "The CX back office: departments, employees, KPIs, targets, feedback, BPI "
    "projects, service days and bonuses.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from the sidecar package's static files: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents the error statuses it can answer, in the one error shape.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cxoffice.api.schema.request_alternatives",
        "cxoffice.api.schema.document_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ScopeEnum": "apps.kpis.models.Scope",
        "ComponentScopeEnum": "apps.bonuses.models.ComponentScope",
        "StageEnum": "apps.records.models.Stage",
    },
}

# The self-service login (employees, who are not admin staff); the admin has its own.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "my-statement"
LOGOUT_REDIRECT_URL = "login"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="WARNING")},
}
