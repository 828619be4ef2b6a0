"""The Celery application. Tasks take ids, re-enter the tenant scope and call services (see medspa.tasks)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medspa.settings")

app = Celery("medspa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
