"""`migrate` as the owner role (settings.DATABASE_ROLES), which owns the tables; the web and the workers
connect as the app role. Afterwards medspa.database grants the app role what it may do."""

from django.core.management.commands.migrate import Command as MigrateCommand

from medspa.database import connected_as


class Command(MigrateCommand):
    def handle(self, *args, **options):
        with connected_as("owner", options["database"]):
            return super().handle(*args, **options)
