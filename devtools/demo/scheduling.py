"""Demo data of the Scheduling tab: appointment types at the demo locations, the providers' weekly hours,
a closure, and two weeks of appointments. Idempotent, like the rest of `seed_demo`."""

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from medspa.models import Medspa, Membership, Patient
from scheduling.models import Appointment, AppointmentType, AvailabilityRule, Location, Resource
from scheduling.services import booking
from services_catalog.models import IntakeForm, Service

HOURS = {
    0: (time(9), time(17)),
    1: (time(9), time(17)),
    2: (time(11), time(19)),
    3: (time(9), time(17)),
    4: (time(9), time(15)),
    5: (time(10), time(14)),
}
TYPES = [  # (library service name, minutes, buffer after, the library intake forms the patient completes)
    ("Neurotoxin: glabellar lines", 30, 10, ["Medical history", "Aesthetic intake"]),
    ("Neurotoxin: upper face (three areas)", 45, 10, ["Medical history", "Aesthetic intake"]),
    ("Dermal filler: lips", 45, 15, ["Medical history", "Aesthetic intake"]),
    ("Chemical peel: superficial", 45, 15, ["Medical history"]),
]


def location_seed(location: Location, providers: list[Membership]) -> None:
    medspa = location.medspa
    room, _ = Resource.objects.get_or_create(medspa=medspa, location=location, name="Treatment room 1")
    for name, minutes, buffer_after, form_titles in TYPES:
        service = Service.objects.filter(medspa=medspa, library_service__name=name).first()
        if service is None:
            continue
        appointment_type, created = AppointmentType.objects.get_or_create(
            medspa=medspa,
            location=location,
            name=name,
            defaults={
                "service": service,
                "duration_minutes": minutes,
                "buffer_after_minutes": buffer_after,
                "price": service.price,
                "min_notice_minutes": 120,
                "horizon_days": 60,
            },
        )
        if created:
            appointment_type.providers.set([p for p in providers if p.is_provider])
            if name.startswith("Chemical peel"):
                appointment_type.rooms.add(room)
        if not appointment_type.intake_forms.exists():  # also on a demo seeded before intake forms existed
            appointment_type.intake_forms.set(IntakeForm.library.filter(title__in=form_titles))
    for provider in providers:
        for weekday, (start, end) in HOURS.items():
            AvailabilityRule.objects.get_or_create(
                medspa=medspa,
                provider=provider,
                location=location,
                weekday=weekday,
                defaults={"start_time": start, "end_time": end},
            )


def appointments_seed(location: Location, *, count: int) -> None:
    """Books `count` appointments over the next two weeks (the first run only)."""
    if Appointment.objects.filter(location=location).exists():
        return
    rng = random.Random(f"{location.medspa.slug}-{location.slug}-appointments")
    patients = list(Patient.objects.filter(medspa=location.medspa).exclude(status="archived"))
    types = list(AppointmentType.objects.filter(location=location))
    today = timezone.now().astimezone(location.tz).date()
    booked = 0
    for _ in range(count * 4):
        if booked >= count or not types or not patients:
            break
        day = today + timedelta(days=rng.randint(0, 13))
        start = datetime.combine(
            day, time(rng.randint(9, 16), rng.choice([0, 15, 30, 45])), tzinfo=location.tz
        )
        try:
            booking.appointment_book(
                appointment_type=rng.choice(types), start=start, patient=rng.choice(patients), notify=False
            )
        except booking.BookingError:
            continue
        booked += 1


LOCATIONS = {
    "launch": [
        ("Hillcrest", "2150 Fifth Ave, Suite 200", "San Diego", "CA", "92101", "America/Los_Angeles"),
        ("La Jolla Village", "7825 Fay Ave", "La Jolla", "CA", "92037", "America/Los_Angeles"),
    ],
    "flex": [("River North", "410 N Michigan Ave", "Chicago", "IL", "60611", "America/Chicago")],
}


def seed(medspas: dict[str, Medspa]) -> None:
    """The demo locations, their appointment types and hours, and two weeks of appointments."""
    for key, places in LOCATIONS.items():
        for name, line1, city, state, postal_code, tz in places:
            Location.objects.get_or_create(
                medspa=medspas[key],
                name=name,
                defaults={
                    "address_line1": line1,
                    "city": city,
                    "state": state,
                    "postal_code": postal_code,
                    "time_zone": tz,
                    "phone": "+16195550100",
                },
            )
    for key, count in (("launch", 24), ("flex", 6)):
        medspa = medspas[key]
        providers = list(Membership.objects.filter(medspa=medspa, is_provider=True, is_active=True))
        for location in Location.objects.filter(medspa=medspa, is_active=True):
            if not location.providers.exists():
                location.providers.set(providers)
            location_seed(location, providers)
            appointments_seed(location, count=count // 2 if key == "launch" else count)
