from decimal import ROUND_HALF_UP, Decimal

import pghistory
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from medspa.models import Medspa, Membership
from scheduling.models.locations import Location, Resource
from services_catalog.models import IntakeForm, Service


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class AppointmentType(models.Model):
    """What a patient can book at a location: a service, its length and buffers, who offers it, the room it
    needs, and the booking rules (minimum notice, horizon, online or staff-only, cancellation window) with
    the booking policy: a deposit (an amount or a percent of the price, at most one), a fee for cancelling
    inside the cancellation window and a fee for a missed appointment."""

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="appointment_types")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="appointment_types")
    name = models.CharField(max_length=200)
    duration_minutes = models.PositiveIntegerField(validators=[MinValueValidator(5), MaxValueValidator(600)])
    buffer_before_minutes = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(120)])
    buffer_after_minutes = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(120)])
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    providers = models.ManyToManyField(Membership, related_name="appointment_types", blank=True)
    rooms = models.ManyToManyField(
        Resource,
        related_name="appointment_types",
        blank=True,
        help_text="If any are chosen, each appointment needs one of them free.",
    )
    min_notice_minutes = models.PositiveIntegerField("minimum notice (minutes)", default=120)
    horizon_days = models.PositiveIntegerField(
        "booking horizon (days)", default=60, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    online_bookable = models.BooleanField("bookable online", default=True)
    cancellation_window_hours = models.PositiveIntegerField(
        default=24, help_text="Patients may cancel or reschedule online until this many hours before."
    )
    deposit_amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Charged to the patient's card when they book online; it goes toward the visit.",
    )
    deposit_percent = models.DecimalField(
        "deposit (percent of the price)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Instead of an amount: this share of the price.",
    )
    late_cancel_fee = models.DecimalField(
        "late-cancellation fee",
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text="For cancelling or rescheduling inside the cancellation window.",
    )
    no_show_fee = models.DecimalField(
        "no-show fee",
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    intake_forms = models.ManyToManyField(
        IntakeForm,
        related_name="+",
        blank=True,
        help_text="The forms the patient completes before the visit, from the paperwork link.",
    )
    color = models.CharField(max_length=7, default="#7a4e8a", help_text="Hex colour on the calendar.")
    is_active = models.BooleanField(default=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["location", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name"], name="appointment_type_name_unique_per_location"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="appointment_type_price_not_negative"),
            models.CheckConstraint(
                condition=Q(deposit_amount__isnull=True) | Q(deposit_percent__isnull=True),
                name="appointment_type_one_kind_of_deposit",
            ),
            models.CheckConstraint(
                condition=Q(deposit_amount__gte=0) | Q(deposit_amount__isnull=True),
                name="appointment_type_deposit_not_negative",
            ),
            models.CheckConstraint(
                condition=(Q(deposit_percent__gte=0) & Q(deposit_percent__lte=100))
                | Q(deposit_percent__isnull=True),
                name="appointment_type_deposit_percent_0_to_100",
            ),
            models.CheckConstraint(
                condition=Q(late_cancel_fee__gte=0) & Q(no_show_fee__gte=0),
                name="appointment_type_fees_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="appointment_type_color_hex"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location})"

    @property
    def deposit_due(self) -> Decimal:
        """The deposit charged at booking, in dollars to the cent (half up), never more than the price."""
        if self.deposit_amount is not None:
            amount = self.deposit_amount
        elif self.deposit_percent is not None:
            amount = self.price * self.deposit_percent / 100
        else:
            return Decimal("0.00")
        return min(amount, self.price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def has_booking_policy(self) -> bool:
        """Whether booking it takes money or a card: a deposit, or a fee that may be charged later."""
        return self.deposit_due > 0 or self.late_cancel_fee > 0 or self.no_show_fee > 0
