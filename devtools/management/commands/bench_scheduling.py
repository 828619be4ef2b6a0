"""`make bench`: how fast scheduling answers on a busy medspa.

Seeds its own medspa ("Bench medspa", a fresh `bench-…` slug each run): one location (America/New_York)
with 10 providers working 8:00–19:00 every day, 5 appointment types and 5,000 appointments over the next
60 days, inserted with bulk_create on a per-provider grid so that none overlap (the exclusion constraints
hold). The first days are fully booked, as a busy medspa's are, so "first available" has to look ahead.
Then it times, inside the medspa's scope, N runs of each operation after a warm-up:

- open slots of one day (varying days and types)                       target p95 < 25 ms
- the first available slot in the next 30 days (from the full days)    target p95 < 150 ms
- the admin's week view: the calendar's selector (calendar_grid), and the whole page through the test
  client signed in as the bench admin (two-factor enrolled)

and prints p50 / p95 / max in milliseconds, then deletes what it made (unless --keep). The audit tables
keep their insert and delete events of it: they are append-only by design.

Run it against the tests' embedded database (`make bench` sets DJANGO_SETTINGS_MODULE=tests.settings), not
the demo one."""

import random
import secrets
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.test import RequestFactory, override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from devtools.bench import (
    BenchCommand,
    Timing,
    bench_location,
    bench_medspa_delete,
    bench_patients,
    bench_team,
    signed_in_client,
    time_runs,
)
from medspa.models import Medspa, Membership, Patient
from medspa.tenancy import medspa_scope
from scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    AvailabilityRule,
    Location,
)
from scheduling.selectors import slots
from services_catalog.models import Service, ServiceGroup
from services_catalog.services import catalog

ZONE = ZoneInfo("America/New_York")
PROVIDERS, APPOINTMENTS, DAYS = 10, 5_000, 60
OPEN_HOUR, CLOSE_HOUR = 8, 19
FULL_DAYS = 3  # today and the next two days: every provider fully booked
PATIENTS = 300
# name, duration, buffer before, buffer after (minutes): each blocks 15, 30 or 60 minutes in all.
TYPES = [
    ("Neurotoxin", 20, 0, 10),
    ("Dermal filler", 45, 0, 15),
    ("Consultation", 15, 0, 0),
    ("Microneedling", 50, 0, 10),
    ("Laser facial", 20, 5, 5),
]
# How a full hour of a fully booked day is filled (indexes into TYPES), every minute of it blocked.
FULL_HOUR_PATTERNS = [[1], [3], [0, 0], [0, 4], [4, 2, 2], [2, 2, 2, 2], [2, 0, 2]]


def _blocked_minutes(index: int) -> int:
    _, duration, before, after = TYPES[index]
    return before + duration + after


class Command(BenchCommand):
    help = (
        "Benchmarks open slots, first available and the admin week view on a seeded medspa with 10 "
        "providers, 5 appointment types and 5,000 appointments over 60 days; prints p50 / p95 / max."
    )

    default_runs, default_warmup = 200, 10
    analyzed_models = (Appointment, AvailabilityRule, Patient, Membership)
    labels = {
        "open_slots": "open slots, one day",
        "first_available": "first available, next 30 days",
        "week_view_selector": "admin week view (calendar_grid)",
        "week_view_page": "admin week view (whole page)",
    }
    targets_ms = {"open_slots": 25.0, "first_available": 150.0}

    # --- Seeding ----------------------------------------------------------------------------------------

    @transaction.atomic
    def seed(self, rng: random.Random) -> dict:
        token = secrets.token_hex(4)
        medspa = Medspa.objects.create(
            name="Bench medspa", slug=f"bench-{token}", time_zone="America/New_York", business_model="launch"
        )
        admin, providers = bench_team(medspa, token, PROVIDERS)
        location = bench_location(medspa, "America/New_York")
        location.providers.set(providers)
        AvailabilityRule.objects.bulk_create(
            AvailabilityRule(
                medspa=medspa,
                provider=provider,
                location=location,
                weekday=weekday,
                start_time=time(OPEN_HOUR),
                end_time=time(CLOSE_HOUR),
            )
            for provider in providers
            for weekday in range(7)
        )
        group = catalog.group_save(medspa=medspa, data={"name": "Bench treatments"})
        types = []
        for name, duration, before, after in TYPES:
            service = catalog.service_create(
                medspa=medspa,
                data={
                    "group": group,
                    "name": name,
                    "price": Decimal("300"),
                    "duration_minutes": duration,
                    "is_active": True,
                },
            )
            appointment_type = AppointmentType.objects.create(
                medspa=medspa,
                location=location,
                service=service,
                name=name,
                duration_minutes=duration,
                buffer_before_minutes=before,
                buffer_after_minutes=after,
                price=Decimal("300"),
                min_notice_minutes=60,
                horizon_days=90,
            )
            appointment_type.providers.set(providers)
            types.append(appointment_type)

        patients = bench_patients(medspa, PATIENTS)
        today = timezone.now().astimezone(ZONE).date()
        rows = self._appointments(rng, medspa, location, providers, types, patients, admin, today)
        Appointment.objects.bulk_create(rows, batch_size=1000)
        return {
            "medspa": medspa,
            "admin": admin,
            "location": location,
            "providers": providers,
            "types": types,
            "today": today,
            "appointments": len(rows),
        }

    def describe(self, world: dict) -> str:
        return (
            f"{PROVIDERS} providers, {len(TYPES)} appointment types, {world['appointments']:,} appointments "
            f"over {DAYS} days"
        )

    def _appointments(self, rng, medspa, location, providers, types, patients, admin, today) -> list:
        """5,000 appointments on a per-provider grid of hours: none overlaps another of its provider."""
        hours = range(OPEN_HOUR, CLOSE_HOUR)
        placed: list[tuple] = []  # (provider, day, hour, minute offset, type index)
        for provider in providers:
            for day in range(FULL_DAYS):
                for hour in hours:
                    offset = 0
                    for index in rng.choice(FULL_HOUR_PATTERNS):
                        placed.append((provider, day, hour, offset, index))
                        offset += _blocked_minutes(index)
        cells = [(p, d, h) for p in providers for d in range(FULL_DAYS, DAYS) for h in hours]
        for provider, day, hour in rng.sample(cells, APPOINTMENTS - len(placed)):
            index = rng.randrange(len(TYPES))
            offset = rng.choice([m for m in (0, 15, 30, 45) if m + _blocked_minutes(index) <= 60])
            placed.append((provider, day, hour, offset, index))

        rows = []
        for provider, day, hour, offset, index in placed:
            _, duration, before, after = TYPES[index]
            blocked_start = datetime.combine(
                today + timedelta(days=day), time(hour), tzinfo=ZONE
            ) + timedelta(minutes=offset)
            start = blocked_start + timedelta(minutes=before)
            end = start + timedelta(minutes=duration)
            status = AppointmentStatus.CONFIRMED if rng.random() < 0.3 else AppointmentStatus.BOOKED
            rows.append(
                Appointment(
                    medspa=medspa,
                    location=location,
                    provider=provider,
                    patient=rng.choice(patients),
                    appointment_type=types[index],
                    start=start,
                    end=end,
                    blocked_start=blocked_start,
                    blocked_end=end + timedelta(minutes=after),
                    status=status,
                    created_by=admin,
                )
            )
        return rows

    # --- Measuring --------------------------------------------------------------------------------------

    def measure(self, world: dict, rng: random.Random, *, runs: int, warmup: int) -> dict[str, Timing]:
        medspa, types, today = world["medspa"], world["types"], world["today"]
        now = timezone.now()
        results = {}
        with medspa_scope(medspa):
            # Fresh objects, as a request would load them (the type with its location).
            types = list(
                AppointmentType.objects.select_related("location").filter(pk__in=[t.pk for t in types])
            )

            def one_day():
                slots.open_slots(rng.choice(types), today + timedelta(days=rng.randrange(DAYS)))

            def first_free():
                # From somewhere in the fully booked first days: the search has to look ahead.
                start = now + timedelta(minutes=rng.randrange(0, (FULL_DAYS - 1) * 24 * 60))
                slot = slots.first_available(rng.choice(types), days=30, now=start)
                assert slot is not None and slot.start.astimezone(ZONE).date() >= today + timedelta(FULL_DAYS)

            results["open_slots"] = Timing(time_runs(one_day, runs, warmup))
            results["first_available"] = Timing(time_runs(first_free, runs, warmup))
            selector = self._week_selector(world, rng)
            if selector is not None:
                results["week_view_selector"] = Timing(time_runs(selector, runs, warmup))
        page = self._week_page(world, rng)
        if page is not None:
            results["week_view_page"] = Timing(time_runs(page, runs, warmup))
        return results

    def _week_selector(self, world, rng):
        """scheduling.selectors.calendar.calendar_grid (the week view's context), when it exists."""
        try:
            from scheduling.selectors.calendar import calendar_grid
        except ImportError:
            return None
        factory, location, today = RequestFactory(), world["location"], world["today"]

        def week():
            day = today + timedelta(days=rng.randrange(DAYS))
            request = factory.get("/", {"view": "week", "date": day.isoformat(), "location": location.pk})
            request.medspa = world["medspa"]
            request.user = world["admin"]  # the week's reads are logged under who looked
            grid = calendar_grid(request)
            assert grid["view"] == "week" and len(grid["days"]) == 7

        return week

    def _week_page(self, world, rng):
        """The whole admin week page through the test client (sessions, middleware, template)."""
        try:
            url = reverse("scheduling:calendar")
        except NoReverseMatch:
            url = "/dashboard/scheduling/calendar/"
        client = signed_in_client(world["admin"])
        location, today = world["location"], world["today"]
        with override_settings(ALLOWED_HOSTS=["testserver"]):
            probe = client.get(url, {"view": "week"})
        if probe.status_code != 200:
            self.stdout.write(f"The week page answered {probe.status_code}: not measured.")
            return None

        def week():
            day = today + timedelta(days=rng.randrange(DAYS))
            with override_settings(ALLOWED_HOSTS=["testserver"]):
                response = client.get(url, {"view": "week", "date": day.isoformat(), "location": location.pk})
            assert response.status_code == 200, response.status_code

        return week

    # --- Cleaning up ----------------------------------------------------------------------------------

    def clean_up(self, world: dict) -> None:
        medspa = world["medspa"]
        with transaction.atomic():
            bench_medspa_delete(
                medspa,
                first=[Appointment, AvailabilityRule, AppointmentType, Location, Service, ServiceGroup],
            )
