"""Writes to the message logs every app keeps (medspa.models.messages.MessageLog) that are not a send."""

from django.utils import timezone

from medspa.models import User
from medspa.models.messages import MessageLog


def message_resend_record(*, log: MessageLog, by: User) -> None:
    """Keeps on the row who asked, from the To-Do, to send it again, and when."""
    type(log).objects.filter(pk=log.pk).update(resent_by=by, resent_at=timezone.now())
