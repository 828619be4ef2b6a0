"""Appointments. The database makes double booking impossible: exclusion constraints refuse two active
appointments of one provider, or of one room, whose blocked times (with buffers) overlap."""

import secrets

import pghistory
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django_scopes import ScopedManager

from medspa.models import Medspa, Membership, Patient, User
from scheduling.models.locations import Location, Resource
from scheduling.models.types import AppointmentType


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CONFIRMED = "confirmed", "Confirmed"
    CHECKED_IN = "checked_in", "Checked in"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


# Statuses that hold the provider's (and the room's) time.
ACTIVE_STATUSES = [
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.COMPLETED,
]


def _manage_token() -> str:
    return secrets.token_urlsafe(24)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Appointment(models.Model):
    """A patient's appointment with a provider at a location, for an appointment type."""

    class Source(models.TextChoices):
        STAFF = "staff", "Booked by staff"
        ONLINE = "online", "Booked online"
        ACUITY = "acuity", "Imported from Acuity"

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments")
    provider = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    appointment_type = models.ForeignKey(
        AppointmentType, on_delete=models.PROTECT, related_name="appointments"
    )
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    # The provider's (and room's) time the appointment takes, buffers included.
    blocked_start = models.DateTimeField()
    blocked_end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=AppointmentStatus, default=AppointmentStatus.BOOKED)
    cancel_reason = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=6, choices=Source, default=Source.STAFF)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True)
    manage_token = models.CharField(max_length=64, unique=True, default=_manage_token, editable=False)
    notes = models.TextField(blank=True)
    # The booking policy as the patient read and accepted it online (its text then, not the type's now).
    policy_text = models.TextField("booking policy accepted", blank=True)
    policy_accepted_at = models.DateTimeField(null=True, blank=True)
    policy_accepted_ip = models.GenericIPAddressField(null=True, blank=True)
    policy_card = models.ForeignKey(
        "medspa.SavedCard",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The card saved when the patient booked under the policy.",
    )
    deposit = models.ForeignKey(
        "medspa.CardPayment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The deposit paid when booking (linked only once Stripe said it succeeded).",
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["provider", "start"], name="appointment_provider_start"),
            models.Index(fields=["location", "start"], name="appointment_location_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="appointment_ends_after_start"),
            models.CheckConstraint(
                condition=Q(blocked_start__lte=F("start")) & Q(blocked_end__gte=F("end")),
                name="appointment_blocked_covers_it",
            ),
            ExclusionConstraint(
                name="appointment_no_provider_double_booking",
                expressions=[
                    (TsTzRange("blocked_start", "blocked_end", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("provider", RangeOperators.EQUAL),
                ],
                condition=Q(status__in=ACTIVE_STATUSES),
            ),
            ExclusionConstraint(
                name="appointment_no_room_double_booking",
                expressions=[
                    (TsTzRange("blocked_start", "blocked_end", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("resource", RangeOperators.EQUAL),
                ],
                condition=Q(status__in=ACTIVE_STATUSES) & Q(resource__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["medspa", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="appointment_booked_once_per_key",
            ),
        ]

    def __str__(self) -> str:
        # On the location's wall clock, zone named: admin pages and logs name appointments by this.
        return f"{self.appointment_type.name} for {self.patient} at {self.local_start:%Y-%m-%d %H:%M %Z}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def local_start(self):
        return self.start.astimezone(self.location.tz)

    @property
    def local_end(self):
        return self.end.astimezone(self.location.tz)


def _feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A provider's read-only iCal feed at a secret URL; revoking it makes a new one."""

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="calendar_feeds")
    token = models.CharField(max_length=64, unique=True, default=_feed_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider"], condition=Q(revoked_at__isnull=True), name="one_live_feed_per_provider"
            )
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.provider}"
