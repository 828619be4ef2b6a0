"""A Celery worker in a process of its own, for the drills that kill one with SIGKILL: `python -m
tests.drill_worker`. The drill passes the test database's connection (DRILL_DATABASE, JSON), the broker
(DRILL_BROKER, JSON: url and transport options), the folder of tests.held_mail (HELD_MAIL) and, optionally,
settings of its own (DRILL_SETTINGS, JSON: name to value, such as the vendors' stub URLs)."""

import json
import os

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
os.environ["EMAIL_BACKEND"] = "tests.held_mail.HeldEmailBackend"

import django  # noqa: E402
from django.conf import settings  # noqa: E402

broker = json.loads(os.environ["DRILL_BROKER"])
settings.DATABASES["default"].update(json.loads(os.environ["DRILL_DATABASE"]))
settings.CELERY_BROKER_URL = broker["url"]
settings.CELERY_BROKER_TRANSPORT_OPTIONS = broker["options"]
settings.CELERY_TASK_ALWAYS_EAGER = False
for name, value in json.loads(os.environ.get("DRILL_SETTINGS", "{}")).items():
    setattr(settings, name, value)
django.setup()

from medspa.celery import app  # noqa: E402

if __name__ == "__main__":
    app.worker_main(
        [
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
    )
