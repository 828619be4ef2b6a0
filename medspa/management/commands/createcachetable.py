"""`createcachetable` as the owner role, then the app role is granted the new table (as after `migrate`)."""

from django.core.management.commands.createcachetable import Command as CreateCacheTableCommand

from medspa.database import connected_as, privileges_grant


class Command(CreateCacheTableCommand):
    def handle(self, *args, **options):
        with connected_as("owner", options["database"]):
            super().handle(*args, **options)
            privileges_grant(options["database"])
