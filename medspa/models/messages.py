"""What every message log row has, whichever app owes the message (medspa.once): its channel, where it stands,
why it failed, and when the sweep sends it again."""

from django.db import models
from django_scopes import ScopedManager

from medspa.models.tenancy import Medspa


class MessageLog(models.Model):
    """One message on one channel, owed while pending (or failed with a retry due), sent once."""

    class Status(models.TextChoices):
        PENDING = "pending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=5, choices=[("email", "Email"), ("sms", "SMS")])
    status = models.CharField(max_length=7, choices=Status, default=Status.PENDING)
    detail = models.CharField(max_length=300, blank=True)
    # While owed: when the sweep sends it (again), after a lease or a failed send (medspa.once).
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        abstract = True
