"""The Celery application.

With ``CELERY_BROKER_URL`` unset (the embedded default) tasks run in-process
(``task_always_eager``); with a Redis URL set they go to real workers, started with
``celery -A cxoffice worker``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxoffice.settings")

app = Celery("cxoffice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
