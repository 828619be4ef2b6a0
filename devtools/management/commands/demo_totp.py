from django.core.management.base import BaseCommand

from devtools.demo import core


class Command(BaseCommand):
    help = "Prints the current two-factor code of the demo users (they share one demo authenticator secret)."

    def handle(self, *args, **options):
        self.stdout.write(core.current_code())
