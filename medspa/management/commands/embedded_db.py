from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from medspa import embedded


class Command(BaseCommand):
    help = "Stops (or reports) the embedded PostgreSQL used when DATABASE_URL is not set."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["stop", "status"])

    def handle(self, *args, action: str, **options):
        pgdata = getattr(settings, "EMBEDDED_PGDATA", None)
        if pgdata is None:
            self.stdout.write("DATABASE_URL is set: no embedded PostgreSQL in use.")
            return
        if action == "stop":
            stopped = embedded.stop(Path(pgdata))
            self.stdout.write(
                "Embedded PostgreSQL stopped." if stopped else "Embedded PostgreSQL was not running."
            )
        else:
            self.stdout.write(
                f"Embedded PostgreSQL data in {pgdata}, database {settings.DATABASES['default']['NAME']}"
            )
