from django.conf import settings
from django.core.management.base import BaseCommand

from devtools import demo
from devtools.demo import core


class Command(BaseCommand):
    help = "Prints the URL and the demo logins."

    def handle(self, *args, **options):
        people = demo.logins()
        width = max(len(email) for email, _ in people)
        lines = [
            "",
            f"  The product runs at {settings.SITE_URL}/",
            "",
            f"  Demo logins (password for all: {core.DEMO_PASSWORD}):",
            *(f"    {email.ljust(width)}  {what}" for email, what in people),
            "",
            "  Two-factor code: run `.venv/bin/python manage.py demo_totp` for the current code,",
            f"  or add the secret {core.DEMO_TOTP_SECRET} to any authenticator app.",
            "  Press Ctrl-C to stop everything.",
            "",
        ]
        self.stdout.write("\n".join(lines))
