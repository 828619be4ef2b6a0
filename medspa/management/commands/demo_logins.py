from django.conf import settings
from django.core.management.base import BaseCommand

from medspa import demo


class Command(BaseCommand):
    help = "Prints the URL and the demo logins."

    def handle(self, *args, **options):
        people = [(p.email, f"{p.role} · Glow Aesthetics Studio (Launch)") for p in demo.LAUNCH_PEOPLE]
        people += [(p.email, f"{p.role} · Luxe Skin Bar (Flex)") for p in demo.FLEX_PEOPLE]
        people += demo.MORE_LOGINS  # (email, what) of the demo people other apps seed
        people.append((demo.STAFF.email, "Portrait staff · Django admin at /admin/"))
        width = max(len(email) for email, _ in people)
        lines = [
            "",
            f"  The product runs at {settings.SITE_URL}/",
            "",
            f"  Demo logins (password for all: {demo.DEMO_PASSWORD}):",
            *(f"    {email.ljust(width)}  {what}" for email, what in people),
            "",
            "  Two-factor code: run `.venv/bin/python manage.py demo_totp` for the current code,",
            f"  or add the secret {demo.DEMO_TOTP_SECRET} to any authenticator app.",
            "  Press Ctrl-C to stop everything.",
            "",
        ]
        self.stdout.write("\n".join(lines))
