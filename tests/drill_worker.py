"""A Celery worker in a process of its own, for the drills that kill one with SIGKILL: `python -m
tests.drill_worker`. The drill passes the test database's connection (DRILL_DATABASE, JSON), the broker
(DRILL_BROKER, JSON: url and transport options), the folder of tests.held_mail (HELD_MAIL) and, optionally,
settings of its own (DRILL_SETTINGS, JSON: name to value, such as the vendors' stub URLs), and its pool
(DRILL_POOL: solo unless given).

With DRILL_TASKS (a folder), each task that returns is written to the folder's "ran" log (a JSON line: name
and arguments) before the worker acks it; while a file "hold-after" there names the task, the worker then
holds, its work committed and its message not acked, until it is killed."""

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

if os.environ.get("DRILL_TASKS"):
    import time
    from pathlib import Path

    from celery.signals import task_postrun

    folder = Path(os.environ["DRILL_TASKS"])

    @task_postrun.connect(weak=False)
    def _ran(sender=None, args=None, **kwargs) -> None:
        """Sent after the task returned, before an acks_late task's ack (celery.app.trace)."""
        with (folder / "ran").open("a") as log:
            log.write(json.dumps([sender.name, list(args or ())]) + "\n")
        hold = folder / "hold-after"
        while hold.exists() and hold.read_text() == sender.name:
            time.sleep(0.05)


if __name__ == "__main__":
    app.worker_main(
        [
            "worker",
            # Solo by default (one process to kill); DRILL_POOL=prefork for what only it does (time limits).
            f"--pool={os.environ.get('DRILL_POOL', 'solo')}",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
    )
