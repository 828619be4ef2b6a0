from django.core.management.base import BaseCommand
from django_scopes import scopes_disabled

from services_catalog.services.library import library_load


class Command(BaseCommand):
    help = "Loads the Portrait services library (idempotent: what is already there is kept as it is)."

    def handle(self, *args, **options):
        with scopes_disabled():  # the library belongs to no medspa
            count = library_load()
        self.stdout.write(f"Portrait library ready: {count} services.")
