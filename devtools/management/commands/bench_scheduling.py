"""`make bench`: how fast scheduling answers on a busy medspa, as a multiple of the SQL it cannot do without.

Seeds its own medspa ("Bench medspa", a fresh `bench-…` slug each run): one location (America/New_York)
with 10 providers working 8:00–19:00 every day, 5 appointment types and 5,000 appointments over the next
60 days, inserted with bulk_create on a per-provider grid so that none overlap (the exclusion constraints
hold). The first days are fully booked, as a busy medspa's are, so "first available" has to look ahead.
Then, for each number of PAST appointments (--past, 1,000 / 5,000 / 20,000 by default: added in turn, on a
grid of the days before today, most completed; the planner's statistics refreshed after each), it times,
inside the medspa's scope, N runs of each lookup after a warm-up, each run followed by its bare query:

- open slots of one day (varying days and types); bare: the busy-interval part of the lookup's one
  statement (the same SELECT of the day's window), asked alone with a raw cursor    target <= 3x bare
- the first available slot in the next 30 days (from the full days); bare: the 30 days' busy intervals
                                                                                    target <= 3x bare
- both flat: the p50 at the most past appointments within 1.5x of the p50 at the fewest

then the admin's week view of the busiest week through the test client (signed in as the bench admin,
two-factor enrolled), and the calendar's events of that week when `scheduling:calendar_events` exists: each
request's time against its own SQL (the statements one request made, re-run alone with a raw cursor),
target <= 5x, and its size, target <= 100 KB. It prints p50 / p95, the ratios and PASS or FAIL, then deletes
what it made (unless --keep). The audit tables keep the delete events of it: they are append-only by design.

Run it against the tests' embedded database (`make bench` sets DJANGO_SETTINGS_MODULE=tests.settings), not
the demo one."""

import math
import random
import secrets
import statistics
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pgtrigger
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.test import override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from devtools.bench import (
    BenchCommand,
    Paired,
    bench_clinic,
    bench_medspa_delete,
    bench_patients,
    captured_sql,
    percentile,
    signed_in_client,
    sql_run,
    time_paired,
    time_runs,
)
from medspa.models import Membership, Patient
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

ZONE = ZoneInfo("America/New_York")
PROVIDERS, APPOINTMENTS, DAYS = 10, 5_000, 60
PAST_SIZES = (1_000, 5_000, 20_000)
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
# The past: an appointment in 3 of 5 of its providers' hours, most completed, some cancelled or missed.
PAST_DENSITY = 0.6
PAST_STATUSES = [AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW]
PAST_STATUS_WEIGHTS = [85, 9, 6]
# The audit trail's insert events of made-up past rows: skipped (seeding 20,000 rows twice as fast).
AUDIT_INSERT = "scheduling.Appointment:insert_insert"
RATIO_TARGET, FLAT_TARGET = 3.0, 1.5
PRICE = Decimal("300")
PAGE_RATIO_TARGET, PAGE_KB_TARGET = 5.0, 100.0
PAGE_RUNS_SHARE = 10  # the week's requests: a tenth of the lookups' runs (each costs far more)


def _blocked_minutes(index: int) -> int:
    _, duration, before, after = TYPES[index]
    return before + duration + after


def _sizes(value: str) -> tuple[int, ...]:
    sizes = tuple(sorted({int(part.replace("_", "")) for part in value.split(",") if part.strip()}))
    if not sizes or sizes[0] < 0:
        raise ValueError(f"Sizes of past appointments, e.g. 1000,5000,20000: not {value!r}")
    return sizes


class Command(BenchCommand):
    help = (
        "Benchmarks open slots and first available (against their bare busy-interval query, at each number "
        "of past appointments) and the admin week view (against its SQL) on a seeded medspa with 10 "
        "providers, 5 appointment types and 5,000 upcoming appointments; prints p50 / p95 and the ratios."
    )

    default_runs, default_warmup = 200, 10
    analyzed_models = (Appointment, AvailabilityRule, Patient, Membership)
    labels = {
        "open_slots": "open slots, one day",
        "first_available": "first available, 30 days",
        "week_page": "admin week page (HTML)",
        "week_events": "the week's calendar events (JSON)",
    }
    appointments, past_sizes = APPOINTMENTS, PAST_SIZES

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--past",
            type=_sizes,
            default=PAST_SIZES,
            help="Numbers of past appointments measured in turn, comma-separated (1000,5000,20000).",
        )
        parser.add_argument(
            "--appointments",
            type=int,
            default=APPOINTMENTS,
            help=f"Upcoming appointments over {DAYS} days ({APPOINTMENTS}; at least the full first days').",
        )

    def handle(self, *args, past: tuple[int, ...], appointments: int, **options):
        self.past_sizes, self.appointments = past, appointments
        super().handle(*args, **options)

    # --- Seeding ----------------------------------------------------------------------------------------

    @transaction.atomic
    def seed(self, rng: random.Random) -> dict:
        clinic = bench_clinic(
            secrets.token_hex(4), providers=PROVIDERS, hours=(OPEN_HOUR, CLOSE_HOUR), types=TYPES, price=PRICE
        )
        medspa, admin, providers = clinic.medspa, clinic.admin, clinic.providers
        location, types = clinic.location, clinic.types
        patients = bench_patients(medspa, PATIENTS)
        today = timezone.now().astimezone(ZONE).date()
        rows = self._appointments(rng, medspa, location, providers, types, patients, admin, today)
        Appointment.objects.bulk_create(rows, batch_size=1000)
        # The grid cells of the past that the sizes fill in turn (each size adds to the one before).
        hours = range(OPEN_HOUR, CLOSE_HOUR)
        past_days = max(1, math.ceil(max(self.past_sizes) / (PROVIDERS * len(hours) * PAST_DENSITY)))
        past_cells = [(p, d, h) for p in providers for d in range(1, past_days + 1) for h in hours]
        rng.shuffle(past_cells)
        return {
            "medspa": medspa,
            "admin": admin,
            "location": location,
            "providers": providers,
            "types": types,
            "patients": patients,
            "today": today,
            "appointments": len(rows),
            "past_sizes": self.past_sizes,
            "past_cells": past_cells,
            "past_rng": random.Random(rng.random()),
            "past": 0,
        }

    def describe(self, world: dict) -> str:
        return (
            f"{PROVIDERS} providers, {len(TYPES)} appointment types, {world['appointments']:,} appointments "
            f"over the next {DAYS} days; past appointments added in turn: "
            + " / ".join(f"{size:,}" for size in world["past_sizes"])
        )

    def _appointments(self, rng, medspa, location, providers, types, patients, admin, today) -> list:
        """The upcoming appointments on a per-provider grid of hours: none overlaps another of its
        provider's."""
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
        for provider, day, hour in rng.sample(cells, max(0, self.appointments - len(placed))):
            index = rng.randrange(len(TYPES))
            offset = rng.choice([m for m in (0, 15, 30, 45) if m + _blocked_minutes(index) <= 60])
            placed.append((provider, day, hour, offset, index))

        return [
            self._appointment(
                medspa, location, provider, patients, types, admin, rng,
                day=today + timedelta(days=day), hour=hour, offset=offset, index=index,
                status=AppointmentStatus.CONFIRMED if rng.random() < 0.3 else AppointmentStatus.BOOKED,
            )
            for provider, day, hour, offset, index in placed
        ]  # fmt: skip

    def _appointment(
        self, medspa, location, provider, patients, types, admin, rng, *, day, hour, offset, index, status
    ) -> Appointment:
        _, duration, before, after = TYPES[index]
        blocked_start = datetime.combine(day, time(hour), tzinfo=ZONE) + timedelta(minutes=offset)
        start = blocked_start + timedelta(minutes=before)
        end = start + timedelta(minutes=duration)
        return Appointment(
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

    # --- Measuring --------------------------------------------------------------------------------------

    def measure(self, world: dict, rng: random.Random, *, runs: int, warmup: int) -> dict:
        results = {"sizes": {}}
        for size in world["past_sizes"]:
            self._past_add(world, size)
            self.analyze()  # the new rows' statistics, as autovacuum would have them soon after
            with medspa_scope(world["medspa"]):
                results["sizes"][size] = self._slot_lookups(world, rng, runs=runs, warmup=warmup)
        page_runs = max(1, runs // PAGE_RUNS_SHARE)
        results["pages"] = self._week_pages(world, runs=page_runs, warmup=min(warmup, page_runs))
        results["busiest"] = world["busiest"]
        return results

    def _slot_lookups(self, world: dict, rng: random.Random, *, runs: int, warmup: int) -> dict[str, Paired]:
        """Open slots of one day and the first available in 30 days, each with its bare query: the
        busy-interval part of the lookup's one statement (slots.BUSY_SQL, the same SELECT of the same
        window), asked alone for the type's providers and rooms with a raw cursor."""
        today, now = world["today"], timezone.now()
        # Fresh objects, as a request would load them (the type with its location).
        types = list(
            AppointmentType.objects.select_related("location").filter(pk__in=[t.pk for t in world["types"]])
        )
        finders = {t.pk: slots.SlotFinder(t, today, 1) for t in types}  # each type's providers and rooms

        def busy_sql(appointment_type, first_day: date, days: int) -> list:
            finder = finders[appointment_type.pk]
            window = slots.search_window(appointment_type.location.tz, first_day, days)
            medspa_id = appointment_type.medspa_id
            return [slots.busy_statement(medspa_id, finder.provider_ids, finder.room_ids, *window)]

        days = [
            (t, today + timedelta(days=rng.randrange(DAYS)))
            for t in (rng.choice(types) for _ in range(runs + warmup))
        ]
        one_day = [(t, day, busy_sql(t, day, 1)) for t, day in days]

        def open_slots(value):
            appointment_type, day, _ = value
            slots.open_slots(appointment_type, day)

        # From somewhere in the fully booked first days: the search has to look ahead.
        starts = [
            (rng.choice(types), now + timedelta(minutes=rng.randrange(0, (FULL_DAYS - 1) * 24 * 60)))
            for _ in range(runs + warmup)
        ]
        month = [(t, start, busy_sql(t, start.astimezone(ZONE).date(), 30)) for t, start in starts]

        def first_free(value):
            appointment_type, start, _ = value
            slot = slots.first_available(appointment_type, days=30, now=start)
            assert slot is not None and slot.start.astimezone(ZONE).date() >= today + timedelta(FULL_DAYS)

        def bare(value):
            sql_run(value[2])

        return {
            "open_slots": time_paired(open_slots, bare, one_day, warmup),
            "first_available": time_paired(first_free, bare, month, warmup),
        }

    def _past_add(self, world: dict, size: int) -> None:
        """Past appointments up to `size` (most completed, some cancelled or missed), on the free cells of a
        per-provider grid of the days before today: none overlaps another of its provider."""
        made = world["past"]
        if size <= made:
            return
        medspa, location, admin, today = world["medspa"], world["location"], world["admin"], world["today"]
        rows = []
        for provider, days_ago, hour in world["past_cells"][made:size]:
            index = world["past_rng"].randrange(len(TYPES))
            status = world["past_rng"].choices(PAST_STATUSES, PAST_STATUS_WEIGHTS)[0]
            rows.append(
                self._appointment(
                    medspa, location, provider, world["patients"], world["types"], admin, world["past_rng"],
                    day=today - timedelta(days=days_ago), hour=hour, offset=0, index=index, status=status,
                )
            )  # fmt: skip
        with scopes_disabled(), transaction.atomic(), pgtrigger.ignore(AUDIT_INSERT):
            Appointment.objects.bulk_create(rows, batch_size=2000)
        world["past"] = size

    def _week_pages(self, world: dict, *, runs: int, warmup: int) -> dict[str, dict]:
        """The admin's week view of the busiest week, and the calendar's events of that week (when the
        events endpoint exists): each request's time against the time of its own SQL run alone."""
        client = signed_in_client(world["admin"])
        location = world["location"]
        with medspa_scope(world["medspa"]):
            busiest = (
                Appointment.objects.filter(location=location)
                .exclude(status=AppointmentStatus.CANCELLED)
                .annotate(week=TruncWeek("start", tzinfo=ZONE))
                .values("week")
                .annotate(count=Count("pk"))
                .order_by("-count", "week")
                .first()
            )
        monday = busiest["week"].astimezone(ZONE).date()
        world["busiest"] = (monday, busiest["count"])
        pages = {"week_page": (reverse("scheduling:calendar"), {"view": "week", "date": monday.isoformat()})}
        try:
            events = reverse("scheduling:calendar_events")
        except NoReverseMatch:
            events = None
        if events is not None:
            end = monday + timedelta(days=7)
            pages["week_events"] = (events, {"start": monday.isoformat(), "end": end.isoformat()})
        results = {}
        for key, (url, params) in pages.items():
            params = {**params, "location": location.pk}
            with override_settings(ALLOWED_HOSTS=["testserver"]):

                def request(url=url, params=params):
                    response = client.get(url, params)
                    assert response.status_code == 200, (url, response.status_code)
                    return response

                size = len(request().content)
                statements = captured_sql(request)
                timings = time_runs(request, runs, warmup)
            with transaction.atomic():  # the requests' own writes (access log, session) are undone
                sql_timings = time_runs(lambda statements=statements: sql_run(statements), runs, warmup)
                transaction.set_rollback(True)
            results[key] = {
                "runs": timings,
                "sql": sql_timings,
                "queries": len(statements),
                "kb": size / 1024,
            }
        return results

    # --- Reporting ----------------------------------------------------------------------------------------

    def report(self, results: dict, *, runs: int) -> None:
        out = self.stdout.write
        out("")
        out(
            f"{'past appts':>10}  {'operation':<30} {'runs':>5} {'p50 ms':>7} {'p95 ms':>7} "
            f"{'bare p50':>8} {'bare p95':>8} {'ratio':>6}  target"
        )
        out("-" * 104)
        sizes = results["sizes"]
        for size, measured in sizes.items():
            for key, paired in measured.items():
                ratio = paired.ratio
                verdict = f"<= {RATIO_TARGET:g}x bare: {'PASS' if ratio <= RATIO_TARGET else 'FAIL'}"
                out(
                    f"{size:>10,}  {self.labels[key]:<30} {len(paired.runs):>5} "
                    f"{statistics.median(paired.runs):>7.2f} {percentile(paired.runs, 0.95):>7.2f} "
                    f"{statistics.median(paired.bare):>8.2f} {percentile(paired.bare, 0.95):>8.2f} "
                    f"{ratio:>5.1f}x  {verdict}"
                )
        if len(sizes) > 1:
            smallest, largest = min(sizes), max(sizes)
            for key in sizes[smallest]:
                small = statistics.median(sizes[smallest][key].runs)
                large = statistics.median(sizes[largest][key].runs)
                growth = large / small
                out(
                    f"{'flat':>10}  {self.labels[key]:<30} p50 at {largest:,} / at {smallest:,} past: "
                    f"{growth:.2f}x  <= {FLAT_TARGET:g}x: {'PASS' if growth <= FLAT_TARGET else 'FAIL'}"
                )
        monday, count = results["busiest"]
        out("")
        out(f"The busiest week: from {monday:%a %Y-%m-%d}, {count:,} appointments.")
        out(
            f"{'busiest week':<34} {'runs':>5} {'p50 ms':>7} {'SQL p50':>8} {'queries':>7} {'ratio':>6} "
            f"{'KB':>7}  targets"
        )
        out("-" * 104)
        for key, page in results["pages"].items():
            took, sql = statistics.median(page["runs"]), statistics.median(page["sql"])
            ratio = took / sql
            verdicts = (
                f"<= {PAGE_RATIO_TARGET:g}x SQL: {'PASS' if ratio <= PAGE_RATIO_TARGET else 'FAIL'}, "
                f"<= {PAGE_KB_TARGET:g} KB: {'PASS' if page['kb'] <= PAGE_KB_TARGET else 'FAIL'}"
            )
            out(
                f"{self.labels[key]:<34} {len(page['runs']):>5} {took:>7.1f} {sql:>8.1f} "
                f"{page['queries']:>7} {ratio:>5.1f}x {page['kb']:>7.1f}  {verdicts}"
            )
        if "week_events" not in results["pages"]:
            out("(scheduling:calendar_events does not reverse: the week's events endpoint is not measured.)")
        out(
            f"(PostgreSQL {connection.pg_version // 10000}; {runs} interleaved runs of each lookup and its "
            f"bare query after a warm-up, ratio of the p50s; the week's requests "
            f"{max(1, runs // PAGE_RUNS_SHARE)} runs each, then the SQL one of them made, re-run alone "
            "with a raw cursor)"
        )

    # --- Cleaning up ----------------------------------------------------------------------------------

    def clean_up(self, world: dict) -> None:
        medspa = world["medspa"]
        with transaction.atomic():
            bench_medspa_delete(
                medspa,
                first=[Appointment, AvailabilityRule, AppointmentType, Location, Service, ServiceGroup],
            )
