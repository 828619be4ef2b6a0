import pghistory
from django.db import models
from django_scopes import ScopedManager

from medspa.models import Medspa, Membership
from medspa.models.tenancy import validate_time_zone


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Location(models.Model):
    """A place where the medspa treats patients; only active locations take bookings."""

    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=120)
    address_line1 = models.CharField("address", max_length=200)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField("ZIP code", max_length=10)
    phone = models.CharField(max_length=30, blank=True)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    is_active = models.BooleanField("active for scheduling", default=True)
    providers = models.ManyToManyField(
        Membership, blank=True, related_name="locations", limit_choices_to={"is_provider": True}
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["medspa", "name"], name="location_name_unique_per_medspa")
        ]

    def __str__(self) -> str:
        return self.name
