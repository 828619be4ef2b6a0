"""The tests' `flush` (TransactionTestCase empties every table between tests): as the superuser with
triggers off (session_replication_role = replica), since the audit tables refuse TRUNCATE to everyone
else, the owner included. Only the test settings install it; the product has no way around the refusal."""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from medspa.database import connected_as


class Command(FlushCommand):
    def handle(self, **options):
        with connected_as("superuser", options["database"]):
            with connections[options["database"]].cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
            super().handle(**options)
