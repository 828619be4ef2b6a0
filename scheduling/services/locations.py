"""Writes of the Scheduling tab."""

from django.db import transaction

from medspa.models import Medspa
from medspa.validators import phone_kept
from scheduling.models import Location

# A location's address, phone, time zone and whether it takes bookings: saved here, and shown by the API.
LOCATION_DETAILS = [
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "phone",
    "time_zone",
    "is_active",
]
LOCATION_FIELDS = ["name", *LOCATION_DETAILS, "sales_tax_percent"]


@transaction.atomic
def location_save(*, medspa: Medspa, data: dict, location: Location | None = None) -> Location:
    """Creates or updates a location of `medspa` and who works there."""
    location = location or Location(medspa=medspa)
    for name in LOCATION_FIELDS:
        if name in data:
            setattr(location, name, data[name])
    location.phone = phone_kept(location.phone)  # E.164 when readable; full_clean refuses the rest
    location.slug_assign()
    location.full_clean()
    location.save()
    if "providers" in data:
        location.providers.set(data["providers"])
    return location
