"""What a transition keeps besides its plan: the two written confirmations of the OpenPhone release and
the emails that carry the provider's link, the Acuity appointments the import placed or could not place, and
the append-only timeline of who did what."""

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from medspa import once
from medspa.models import Medspa
from scheduling.models import Appointment
from transition.models.transitions import Transition, TransitionStep


class ConfirmationParty(models.TextChoices):
    PORTRAIT = "portrait", "Portrait"
    PROVIDER = "provider", "Provider"


@pghistory.track(pghistory.InsertEvent())
class ReleaseConfirmation(models.Model):
    """A party's written confirmation that the OpenPhone number may move to `target_email`. A confirmation
    holds for that account only: entering another account needs both confirmations again."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    transition = models.ForeignKey(Transition, on_delete=models.PROTECT, related_name="confirmations")
    party = models.CharField(max_length=8, choices=ConfirmationParty)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=150)
    email = models.EmailField()
    target_email = models.EmailField()
    text = models.TextField(help_text="What they confirmed, word for word.")
    ip = models.GenericIPAddressField(null=True, blank=True)
    confirmed_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["confirmed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["transition", "party", "target_email"], name="confirmation_once_per_party_and_account"
            )
        ]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.get_party_display()} confirmed the release to {self.target_email}"


class ConfirmationEmail(models.Model):
    """One emailing of the confirmation link, asked for by the provider (entering the account, acknowledging,
    or asking again). Owed while `next_attempt_at` is set: marked sent while the row is locked, so a message
    delivered twice sends one email, and sent again by the sweep after a lease or a failed send."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    transition = models.ForeignKey(Transition, on_delete=models.PROTECT, related_name="confirmation_emails")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["requested_at", "pk"]

    def __str__(self) -> str:
        return f"Confirmation link for {self.user}"


# Where a confirmation email keeps its message (medspa.once): owed until sent or given up. Beside the model,
# as both the service that asks for an email and the module that sends it read it.
CONFIRMATION_EMAILS = once.Outbox.stamped("sent_at")


class ImportStatus(models.TextChoices):
    IMPORTED = "imported", "Imported"
    CONFLICT = "conflict", "Needs a person"
    RESOLVED = "resolved", "Resolved by hand"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class AcuityBooking(models.Model):
    """A future Acuity appointment as the import found it, and what became of it: imported into the EHR
    calendar, or a conflict a person resolves (never dropped silently)."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    transition = models.ForeignKey(Transition, on_delete=models.PROTECT, related_name="acuity_bookings")
    acuity_id = models.BigIntegerField()
    start = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField()
    calendar = models.CharField(max_length=200, blank=True)
    appointment_type = models.CharField(max_length=200, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=8, choices=ImportStatus)
    reason = models.CharField(max_length=300, blank=True, help_text="Why it could not be imported.")
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="acuity_booking"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_note = models.CharField(max_length=500, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["start"]
        constraints = [
            models.UniqueConstraint(fields=["medspa", "acuity_id"], name="acuity_booking_once_per_medspa"),
            models.CheckConstraint(
                condition=~Q(status=ImportStatus.IMPORTED) | Q(appointment__isnull=False),
                name="acuity_booking_imported_has_appointment",
            ),
        ]

    def __str__(self) -> str:
        return f"Acuity #{self.acuity_id} ({self.get_status_display().lower()})"

    @property
    def patient_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or "(no name)"


class TimelineEntry(models.Model):
    """The transition's timeline: every step run, status change, confirmation, acknowledgement and decision,
    with who did it (no user: Portrait's scheduled job). Append-only."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    transition = models.ForeignKey(Transition, on_delete=models.PROTECT, related_name="timeline")
    step = models.ForeignKey(
        TransitionStep, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-created_at", "-pk"]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return self.message
