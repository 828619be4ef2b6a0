import zoneinfo

import pghistory
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.text import slugify
from django_scopes import ScopedManager

from medspa.models import Medspa, Membership
from medspa.models.tenancy import validate_time_zone
from medspa.validators import validate_phone_e164


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Location(models.Model):
    """A place where the medspa treats patients; only active locations take bookings."""

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, help_text="Used in the location's booking link.")
    address_line1 = models.CharField("address", max_length=200)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField("ZIP code", max_length=10)
    phone = models.CharField(
        max_length=30, blank=True, validators=[validate_phone_e164], help_text="In E.164, e.g. +16195550100."
    )
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    is_active = models.BooleanField("active for scheduling", default=True)
    sales_tax_percent = models.DecimalField(
        "sales tax on retail (%)",
        max_digits=5,
        decimal_places=3,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(25)],
        help_text="Applied to taxable retail products sold at this location, e.g. 7.25.",
    )
    providers = models.ManyToManyField(
        Membership, blank=True, related_name="locations", limit_choices_to={"is_provider": True}
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["medspa", "name"], name="location_name_unique_per_medspa"),
            models.UniqueConstraint(fields=["medspa", "slug"], name="location_slug_unique_per_medspa"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.slug_assign()
        super().save(*args, **kwargs)

    def slug_assign(self) -> None:
        """Gives a new location its booking-link slug, once: renaming keeps the link working."""
        if self.slug:
            return
        base = slugify(self.name)[:70] or "location"
        taken = set(Location._base_manager.filter(medspa_id=self.medspa_id).values_list("slug", flat=True))
        self.slug, number = base, 2
        while self.slug in taken:
            self.slug, number = f"{base}-{number}", number + 1

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Resource(models.Model):
    """A treatment room or device at a location, booked with appointments that need one."""

    class Kind(models.TextChoices):
        ROOM = "room", "Treatment room"
        DEVICE = "device", "Device"

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="resources")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=6, choices=Kind, default=Kind.ROOM)
    is_active = models.BooleanField(default=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["location", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["location", "name"], name="resource_name_unique_per_location")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location})"
