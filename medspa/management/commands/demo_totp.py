from django.core.management.base import BaseCommand

from medspa import demo


class Command(BaseCommand):
    help = "Prints the current two-factor code of the demo users (they share one demo authenticator secret)."

    def handle(self, *args, **options):
        self.stdout.write(demo.current_code())
