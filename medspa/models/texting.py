"""Two-way texting: each medspa's inbox of conversations by text with its patients (and with numbers it
does not know yet), every message kept, read receipts for the unread counts, and the patient's STOP."""

import pghistory
from django.conf import settings
from django.db import models
from django_scopes import ScopedManager
from phonenumber_field.modelfields import PhoneNumberField

from medspa.models.patients import Patient
from medspa.models.tenancy import Medspa


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class TextThread(models.Model):
    """The conversation between a medspa's texting number and one outside number (E.164). It belongs to the
    patient whose phone that is, or to nobody yet (an unknown sender is kept, never dropped; an admin sees
    it). `opted_out_at` is the number's own STOP, kept here too so that a sender without a patient record
    is honoured as well."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="text_threads"
    )
    phone = PhoneNumberField("outside number")
    last_message_at = models.DateTimeField(db_index=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["medspa", "phone"], name="textthread_one_per_number"),
        ]

    def __str__(self) -> str:
        return f"Texts with {self.patient or self.phone}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class TextMessage(models.Model):
    """One text in a thread, received or sent. A received one is stored once per Twilio MessageSid (a
    webhook Twilio retries finds the row); its `read_at`/`read_by` say who first opened it."""

    class Direction(models.TextChoices):
        INBOUND = "in", "Received"
        OUTBOUND = "out", "Sent"

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    thread = models.ForeignKey(TextThread, on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction)
    from_number = PhoneNumberField(blank=True)
    to_number = PhoneNumberField()
    body = models.TextField(blank=True)
    provider_sid = models.CharField(
        "Twilio MessageSid", max_length=64, null=True, blank=True, unique=True, editable=False
    )
    keyword = models.CharField(
        max_length=5, blank=True, help_text="STOP, START or HELP when the text was one of those keywords."
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    failure = models.CharField(max_length=300, blank=True, help_text="Why a reply did not go.")
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["thread"],
                condition=models.Q(direction="in", read_at__isnull=True),
                name="textmessage_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} text {self.pk}"
