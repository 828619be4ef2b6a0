"""`make bench`: what one booking through the API costs the web process, against what /healthz costs.

Seeds its own medspa ("Bench medspa", a fresh `bench-…` slug each run): one location (America/New_York)
where 10 providers work 8:00–19:00 every day, one 30-minute appointment type, 300 patients and an API token
of the medspa's admin. Then, in one run and interleaved (a booking, a /healthz, a booking, …, so that both
meet the same machine), N bookings of free slots (POST /api/v1/appointments/, each a new time of a provider,
with its idempotency key, through the test client with the token) and N GETs of /healthz, after a warm-up.

Per request it measures the process's CPU time (time.process_time) and the wall time, and prints p50 / p95
of each, the ratio booking ÷ /healthz, and the SQL statements of one more booking, against the targets:
a booking ≤ 8 ms of CPU (p50) and ≤ 10 × /healthz. Celery publishes to an in-memory broker meanwhile, as a web
process publishes to Redis: the tasks a booking queues run in a worker, not here. Then it deletes what it
made (unless --keep)."""

import random
import secrets
import statistics
import time as clock
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devtools.bench import (
    BenchCommand,
    Timing,
    bench_clinic,
    bench_medspa_delete,
    bench_patients,
    percentile,
)
from gfe.models import Clearance, GfeRequest
from medspa.celery import app as celery_app
from medspa.models.api_tokens import ApiToken
from medspa.services.accounts import api_token_create
from scheduling.models import Appointment, AppointmentType, AvailabilityRule, Location
from services_catalog.models import Service, ServiceGroup

ZONE = ZoneInfo("America/New_York")
PROVIDERS, PATIENTS, DAYS = 10, 300, 60
OPEN_HOUR, CLOSE_HOUR, MINUTES = 8, 19, 30
APPOINTMENTS_URL = "/api/v1/appointments/"
TARGET_CPU_MS, TARGET_RATIO = 8.0, 10.0


@dataclass(frozen=True)
class Costs:
    """The CPU and wall milliseconds of each timed request of one kind."""

    cpu: list[float]
    wall: list[float]


class Command(BenchCommand):
    help = (
        "Benchmarks one booking through the API against /healthz, interleaved, in CPU and wall time; prints "
        "p50 / p95, the ratio and the SQL statements per booking against the targets (≤ 8 ms, ≤ 10×)."
    )
    default_runs, default_warmup = 200, 20
    measured = "request (bookings and /healthz alike)"

    # --- Seeding ----------------------------------------------------------------------------------------

    @transaction.atomic
    def seed(self, rng: random.Random) -> dict:
        clinic = bench_clinic(
            secrets.token_hex(4),
            providers=PROVIDERS,
            hours=(OPEN_HOUR, CLOSE_HOUR),
            types=[("Consultation", MINUTES, 0, 0)],
            price=Decimal("150"),
        )
        medspa, admin, providers = clinic.medspa, clinic.admin, clinic.providers
        (appointment_type,) = clinic.types
        patients = bench_patients(medspa, PATIENTS)
        _, api_token = api_token_create(user=admin, name="bench")
        return {
            "medspa": medspa,
            "admin": admin,
            "providers": providers,
            "type": appointment_type,
            "patients": patients,
            "token": api_token,
            "today": timezone.now().astimezone(ZONE).date(),
        }

    def describe(self, world: dict) -> str:
        return f"{PROVIDERS} providers working {OPEN_HOUR}:00–{CLOSE_HOUR}:00 daily, {PATIENTS} patients"

    # --- Measuring --------------------------------------------------------------------------------------

    def free_starts(self, world: dict, rng: random.Random, count: int) -> list[tuple[int, datetime]]:
        """`count` distinct (provider, start) pairs, none booked yet, from tomorrow on: free slots."""
        per_day = (CLOSE_HOUR - OPEN_HOUR) * 60 // MINUTES
        cells = rng.sample(range(PROVIDERS * (DAYS - 1) * per_day), count)
        pairs = []
        for cell in cells:
            provider, rest = divmod(cell, (DAYS - 1) * per_day)
            day, slot = divmod(rest, per_day)
            wall = datetime.combine(world["today"] + timedelta(days=day + 1), time(OPEN_HOUR), tzinfo=ZONE)
            pairs.append((world["providers"][provider].pk, wall + timedelta(minutes=slot * MINUTES)))
        return pairs

    def measure(self, world: dict, rng: random.Random, *, runs: int, warmup: int) -> dict[str, Timing]:
        if runs + warmup + 1 > PROVIDERS * (DAYS - 1) * ((CLOSE_HOUR - OPEN_HOUR) * 60 // MINUTES):
            raise ValueError("More bookings than free slots: lower --runs.")
        client = Client(headers={"authorization": f"Token {world['token']}"})
        starts = iter(self.free_starts(world, rng, runs + warmup + 1))
        patients = world["patients"]

        def book():
            provider, start = next(starts)
            payload = {
                "appointment_type": world["type"].pk,
                "patient": rng.choice(patients).pk,
                "provider": provider,
                "start": start.isoformat(),
                "idempotency_key": str(uuid.uuid4()),
            }
            response = client.post(APPOINTMENTS_URL, payload, content_type="application/json")
            assert response.status_code == 201, (response.status_code, response.content[:300])

        def healthz():
            response = client.get("/healthz")
            assert response.status_code == 200, response.status_code

        costs = {"booking": Costs([], []), "healthz": Costs([], [])}
        eager, broker = celery_app.conf.task_always_eager, celery_app.conf.broker_url
        # The tasks a booking queues are published, as in production, not run here (the tests' settings run
        # them eagerly): an in-memory broker takes them.
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = False, "memory://"
        try:
            with override_settings(ALLOWED_HOSTS=["testserver"]):
                for number in range(warmup + runs):
                    for name, operation in (("booking", book), ("healthz", healthz)):
                        cpu, wall = clock.process_time(), clock.perf_counter()
                        operation()
                        cpu, wall = clock.process_time() - cpu, clock.perf_counter() - wall
                        if number >= warmup:
                            costs[name].cpu.append(cpu * 1000)
                            costs[name].wall.append(wall * 1000)
                with CaptureQueriesContext(connection) as queries:
                    book()
        finally:
            celery_app.conf.task_always_eager, celery_app.conf.broker_url = eager, broker
        self.costs, self.booking_queries = costs, len(queries)
        return {name: Timing(cost.wall) for name, cost in costs.items()}

    # --- Reporting ----------------------------------------------------------------------------------------

    def report(self, results: dict[str, Timing], *, runs: int) -> None:
        booking, health = self.costs["booking"], self.costs["healthz"]
        self.stdout.write("")
        self.stdout.write(
            f"{'request':<34} {'runs':>5} {'CPU p50':>8} {'CPU p95':>8} {'wall p50':>9} {'wall p95':>9}"
        )
        self.stdout.write("-" * 78)
        for label, cost in (("booking (POST /api/v1/appointments/)", booking), ("/healthz", health)):
            self.stdout.write(
                f"{label:<34} {len(cost.cpu):>5} {statistics.median(cost.cpu):>8.2f} "
                f"{percentile(cost.cpu, 0.95):>8.2f} {statistics.median(cost.wall):>9.2f} "
                f"{percentile(cost.wall, 0.95):>9.2f}"
            )
        cpu = statistics.median(booking.cpu)
        ratio = cpu / max(statistics.median(health.cpu), 1e-6)
        wall_ratio = statistics.median(booking.wall) / max(statistics.median(health.wall), 1e-6)
        self.stdout.write("-" * 78)
        self.stdout.write(
            f"booking CPU p50 {cpu:.2f} ms: target ≤ {TARGET_CPU_MS:g} ms: "
            f"{'met' if cpu <= TARGET_CPU_MS else 'MISSED'}"
        )
        self.stdout.write(
            f"ratio booking ÷ /healthz (CPU p50) {ratio:.1f}×: target ≤ {TARGET_RATIO:g}×: "
            f"{'met' if ratio <= TARGET_RATIO else 'MISSED'} (wall p50: {wall_ratio:.1f}×)"
        )
        self.stdout.write(f"SQL statements per booking: {self.booking_queries}")
        self.stdout.write(
            f"(PostgreSQL {connection.pg_version // 10000}, {runs} bookings and {runs} /healthz interleaved, "
            "after a warm-up; milliseconds of this process's CPU and of wall time)"
        )

    # --- Cleaning up ----------------------------------------------------------------------------------

    def clean_up(self, world: dict) -> None:
        medspa = world["medspa"]
        with transaction.atomic():
            ApiToken.objects.filter(user=world["admin"]).delete()
            # GFE requests of the bookings, where the hook ran here (tasks run eagerly, or before it was one).
            gfe = [Clearance, GfeRequest]
            scheduling = [Appointment, AvailabilityRule, AppointmentType, Location]
            bench_medspa_delete(medspa, first=[*gfe, *scheduling, Service, ServiceGroup])
