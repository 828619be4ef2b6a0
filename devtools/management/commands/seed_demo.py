from django.core.management.base import BaseCommand

from devtools import demo


class Command(BaseCommand):
    help = "Loads the demo medspas, people and patients (idempotent: running it again changes nothing)."

    def handle(self, *args, **options):
        counts = demo.seed()
        self.stdout.write(f"Demo data ready: {counts['medspas']} medspas, {counts['patients']} patients.")
