"""Which care messages are owed a resend: the rule the To-Do reads and the resend service enforces."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from providers.models import CareMessageLog

# A row still "sending" after this long was left by a worker that died: the To-Do offers to send it again.
STUCK_AFTER = timedelta(minutes=15)


def resendable() -> Q:
    """Failed rows, and rows left "sending" by a worker that died before it could say how it went."""
    return Q(status=CareMessageLog.Status.FAILED) | Q(
        status=CareMessageLog.Status.PENDING, updated_at__lt=timezone.now() - STUCK_AFTER
    )
