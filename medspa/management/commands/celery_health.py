"""The health check of this machine's Celery worker or beat, for a container's health check: exits 0 when it
is alive, 1 when not, with one line saying why (medspa.celery_health).

    python manage.py celery_health worker   # the worker celery@<hostname> answers a ping through the broker
    python manage.py celery_health beat     # beat ticked within the last 3 of its longest ticks (180 s)"""

import sys

from django.core.management.base import BaseCommand

from medspa import celery_health


class Command(BaseCommand):
    help = "Exits 0 when this machine's Celery worker (or beat) is alive, 1 when it is not."

    def add_arguments(self, parser):
        parser.add_argument("process", choices=["worker", "beat"])
        parser.add_argument(
            "--node",
            help="The worker's node name (default: celery@<this host's name>, as the worker names itself)",
        )
        parser.add_argument(
            "--timeout", type=float, default=5.0, help="Seconds to wait for the worker's answer (default 5)"
        )
        parser.add_argument(
            "--max-age",
            type=float,
            help="Seconds after which beat's heartbeat is stale (default: 3 of beat's longest ticks)",
        )

    def handle(self, *args, process, node, timeout, max_age, **options):
        healthy, detail = self._worker(node, timeout) if process == "worker" else self._beat(max_age)
        (self.stdout if healthy else self.stderr).write(detail)
        if not healthy:
            sys.exit(1)

    def _worker(self, node: str | None, timeout: float) -> tuple[bool, str]:
        node = node or celery_health.worker_node_name()
        if celery_health.worker_answers(node, timeout=timeout):
            return True, f"{node} answered."
        return False, f"{node} did not answer within {timeout:g} s (dead, hung, or the broker is down)."

    def _beat(self, max_age: float | None) -> tuple[bool, str]:
        max_age = max_age or celery_health.beat_stale_after()
        age = celery_health.beat_heartbeat_age()
        where = celery_health.beat_heartbeat_file()
        if age is None:
            return False, f"Beat has not ticked: {where} does not exist."
        if age > max_age:
            return False, f"Beat last ticked {age:.0f} s ago (stale after {max_age:g} s; {where})."
        return True, f"Beat ticked {age:.0f} s ago."
