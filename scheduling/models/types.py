import pghistory
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from medspa.models import Medspa, Membership
from scheduling.models.locations import Location, Resource
from services_catalog.models import Service


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class AppointmentType(models.Model):
    """What a patient can book at a location: a service, its length and buffers, who offers it, the room it
    needs, and the booking rules (minimum notice, horizon, online or staff-only, cancellation window)."""

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
                condition=Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="appointment_type_color_hex"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location})"
