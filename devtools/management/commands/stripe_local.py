"""`manage.py stripe_local`: the local Stripe-compatible server (devtools.stripe_local) for `make run`, on
the address of STRIPE_LOCAL_URL, sending its events to this run's two webhook endpoints. What it holds is
kept in DATA_DIR/stripe-local.pickle after each write and read back when it starts, so that the accounts,
customers and cards the database names still exist at the next `make run`. Without
STRIPE_LOCAL_URL (real keys configured, or a production run) it says so in one line and waits quietly until
stopped: honcho stops every process of the Procfile as soon as one of them exits."""

import os
import signal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from medspa.payments.client import configured


def webhook_endpoints() -> dict[str, tuple[str, str]]:
    """This run's endpoints for the platform's events and the connected accounts' (honcho's WEB_PORT)."""
    site = f"http://127.0.0.1:{os.environ.get('WEB_PORT') or '8000'}"
    return {
        "platform": (f"{site}/webhooks/stripe/", settings.STRIPE_WEBHOOK_SECRET),
        "connect": (f"{site}/webhooks/stripe/connect/", settings.STRIPE_CONNECT_WEBHOOK_SECRET),
    }


class Command(BaseCommand):
    help = "Runs the local Stripe-compatible server of a development run (STRIPE_LOCAL_URL), or idles."
    requires_system_checks: list = []

    def handle(self, *args, **options):
        if not settings.STRIPE_LOCAL_URL:
            stop = {signal.SIGINT, signal.SIGTERM}
            signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # before the line: a stop right after it is kept
            self.stdout.write(
                "Stripe: real keys are configured, the local Stripe server is not started."
                if configured()
                else "Stripe: not configured (no STRIPE_SECRET_KEY), the local Stripe server is not started."
            )
            self.stdout.flush()
            signal.sigwait(stop)
            return
        address = urlsplit(settings.STRIPE_LOCAL_URL)
        if address.hostname not in ("127.0.0.1", "localhost") or not address.port:
            raise CommandError(f"STRIPE_LOCAL_URL must be http://127.0.0.1:<port>, not {address.geturl()!r}.")
        from devtools import stripe_local

        kept = settings.DATA_DIR / "stripe-local.pickle"
        kept.parent.mkdir(parents=True, exist_ok=True)
        endpoints = webhook_endpoints()
        self.stdout.write(
            f"Stripe: the local Stripe server (no money moves) on {settings.STRIPE_LOCAL_URL}, events to "
            f"{endpoints['platform'][0]} and {endpoints['connect'][0]}"
        )
        self.stdout.flush()
        stripe_local.serve(host="127.0.0.1", port=address.port, state=kept, **endpoints)
