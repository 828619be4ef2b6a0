"""What every message log row has, whichever app owes the message (medspa.once): its channel, where it stands,
why it failed, and when the sweep sends it again."""

from django.conf import settings
from django.db import models
from django_scopes import ScopedManager

from medspa.models.tenancy import Medspa


class DeliveryStatus(models.TextChoices):
    """Where a sent text stands, as Twilio's status callbacks say (in the order they can come)."""

    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent to the carrier"
    DELIVERED = "delivered", "Delivered"
    UNDELIVERED = "undelivered", "Not delivered"
    FAILED = "failed", "Failed"


def receipt_fields(provider_id: object) -> dict:
    """The fields a sent message's row gets from what the backend returned: an SMS backend's message id
    starts the receipts (queued); anything else (an email's count) records nothing."""
    if not isinstance(provider_id, str) or not provider_id:
        return {}
    return {"provider_id": provider_id, "delivery_status": DeliveryStatus.QUEUED, "error_code": None}


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
    # A text's delivery receipts (medspa.messaging.receipts): the provider's id of the message as sent
    # (Twilio's "SM…" sid), the last status it reported, and its error code when the text failed on the way.
    provider_id = models.CharField(max_length=64, blank=True, db_index=True)
    delivery_status = models.CharField(max_length=12, choices=DeliveryStatus, blank=True)
    error_code = models.PositiveIntegerField(null=True, blank=True)
    # Who last asked, from the To-Do, to send it again, and when.
    resent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        abstract = True
