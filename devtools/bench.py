"""What the `make bench` commands share: a command that seeds its own busy medspa, times operations on it
after a warm-up, prints p50 / p95 / max in milliseconds against targets, and deletes what it made (unless
--keep); the medspa's admin, providers and patients, and its clinic with the providers' hours and the
appointment types; timing, nearest-rank percentiles and the report table.

Each bench command (`bench_scheduling`, `bench_booking`, `bench_earnings`) subclasses `BenchCommand` with
its own seeding, operations and clean-up of its own rows."""

import math
import random
import statistics
import time as clock
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

from allauth.mfa.totp.internal.auth import TOTP
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from medspa.models import Medspa, Membership, Patient, PatientAccessLog, User
from scheduling.models import AppointmentType, AvailabilityRule, Location
from services_catalog.services import catalog

# The bench admin's authenticator secret: the admin signs in through the test client with two factors done.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@dataclass(frozen=True)
class Timing:
    """The timed runs of one operation in milliseconds, and the queries one more run made (when counted)."""

    runs: list[float]
    queries: int | None = None


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (p95 of 200 runs: the 190th fastest)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def time_runs(operation: Callable[[], object], runs: int, warmup: int) -> list[float]:
    """`warmup` untimed runs of the operation, then `runs` timed ones, in milliseconds."""
    for _ in range(warmup):
        operation()
    timings = []
    for _ in range(runs):
        began = clock.perf_counter()
        operation()
        timings.append((clock.perf_counter() - began) * 1000)
    return timings


def time_with_queries(operation: Callable[[], object], runs: int, warmup: int) -> Timing:
    """The timed runs, then one more run that counts the queries it makes (outside the timings)."""
    timings = time_runs(operation, runs, warmup)
    with CaptureQueriesContext(connection) as queries:
        operation()
    return Timing(timings, len(queries))


@dataclass(frozen=True)
class Paired:
    """Timed runs of an operation and of its bare SQL, interleaved run by run (so that both see the same
    machine): the operation's cost as a multiple of the one query it cannot do without."""

    runs: list[float]
    bare: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.runs) / statistics.median(self.bare)


def time_paired(
    operation: Callable[[object], object], bare: Callable[[object], object], inputs: list, warmup: int
) -> Paired:
    """For each input, the operation then its bare query, each timed; `warmup` untimed rounds first."""
    for value in inputs[:warmup]:
        operation(value)
        bare(value)
    runs, bares = [], []
    for value in inputs[warmup:]:
        began = clock.perf_counter()
        operation(value)
        middle = clock.perf_counter()
        bare(value)
        ended = clock.perf_counter()
        runs.append((middle - began) * 1000)
        bares.append((ended - middle) * 1000)
    return Paired(runs, bares)


def sql_run(statements: list[tuple[str, object]]) -> None:
    """Executes the statements with a raw cursor and fetches every row they return."""
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            if cursor.description is not None:
                cursor.fetchall()


def sql_of(queryset) -> tuple[str, object]:
    """The SQL and parameters a queryset runs, for re-running them with a raw cursor."""
    return queryset.query.get_compiler(queryset.db).as_sql()


def captured_sql(request: Callable[[], object]) -> list[tuple[str, None]]:
    """The SQL statements one call made, as executed (parameters inlined), for re-running alone."""
    with CaptureQueriesContext(connection) as captured:
        request()
    return [(query["sql"], None) for query in captured.captured_queries]


def analyze(models: Iterable[type[Model]]) -> None:
    """ANALYZE the models' tables: after a bulk insert, so that the planner knows their rows."""
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')


def signed_in_client(user: User) -> Client:
    """A test client signed in as the user, for whole pages through sessions, middleware and templates."""
    client = Client()
    client.force_login(user)
    return client


def bench_user(email: str, name: str) -> User:
    user = User(email=email, full_name=name)
    user.set_unusable_password()
    user.save()
    return user


def bench_team(medspa: Medspa, token: str, providers: int) -> tuple[User, list[Membership]]:
    """The bench medspa's admin (two-factor enrolled) and its `providers` provider memberships."""
    admin = bench_user(f"bench-{token}-admin@bench.example", "Bench Admin")
    Membership.objects.create(medspa=medspa, user=admin, is_admin=True)
    TOTP.activate(admin, TOTP_SECRET)
    members = []
    for number in range(providers):
        user = bench_user(f"bench-{token}-provider{number}@bench.example", f"Provider {number:02d}")
        members.append(Membership.objects.create(medspa=medspa, user=user, is_provider=True))
    return admin, members


def bench_patients(medspa: Medspa, count: int) -> list[Patient]:
    return Patient.objects.bulk_create(
        Patient(
            medspa=medspa,
            first_name=f"Patient{number}",
            last_name="Bench",
            date_of_birth=date(1980, 1, 1) + timedelta(days=number * 37),
        )
        for number in range(count)
    )


def bench_location(medspa: Medspa, time_zone: str, **fields) -> Location:
    """The bench medspa's one clinic (in New York, in `time_zone`), with the command's own other `fields`."""
    return Location.objects.create(
        medspa=medspa,
        name="Bench clinic",
        address_line1="1 Broadway",
        city="New York",
        state="NY",
        postal_code="10004",
        time_zone=time_zone,
        **fields,
    )


@dataclass(frozen=True)
class Clinic:
    """A bench medspa's people and its one location, with the appointment types offered there."""

    medspa: Medspa
    admin: User
    providers: list[Membership]
    location: Location
    types: list[AppointmentType]


def bench_clinic(
    token: str,
    *,
    providers: int,
    hours: tuple[int, int],
    types: list[tuple[str, int, int, int]],
    price: Decimal,
) -> Clinic:
    """A fresh "Bench medspa" (slug `bench-<token>`, in New York) with its admin and `providers` providers,
    who all work at its one location from `hours[0]`:00 to `hours[1]`:00 every day and all offer each of
    `types` there: (name, duration, buffer before, buffer after) in minutes, a service of the same name and
    price each, an hour's minimum notice and a 90-day horizon."""
    medspa = Medspa.objects.create(
        name="Bench medspa", slug=f"bench-{token}", time_zone="America/New_York", business_model="launch"
    )
    admin, members = bench_team(medspa, token, providers)
    location = bench_location(medspa, "America/New_York")
    location.providers.set(members)
    AvailabilityRule.objects.bulk_create(
        AvailabilityRule(
            medspa=medspa, provider=provider, location=location, weekday=weekday,
            start_time=time(hours[0]), end_time=time(hours[1]),
        )
        for provider in members
        for weekday in range(7)
    )  # fmt: skip
    group = catalog.group_save(medspa=medspa, data={"name": "Bench treatments"})
    offered = []
    for name, duration, before, after in types:
        service = catalog.service_create(
            medspa=medspa,
            data={
                "group": group,
                "name": name,
                "price": price,
                "duration_minutes": duration,
                "is_active": True,
            },
        )
        appointment_type = AppointmentType.objects.create(
            medspa=medspa, location=location, service=service, name=name, duration_minutes=duration,
            buffer_before_minutes=before, buffer_after_minutes=after, price=price,
            min_notice_minutes=60, horizon_days=90,
        )  # fmt: skip
        appointment_type.providers.set(members)
        offered.append(appointment_type)
    return Clinic(medspa, admin, members, location, offered)


def bench_medspa_delete(medspa: Medspa, *, first: Iterable[type[Model]] = ()) -> None:
    """Deletes the bench medspa's rows of the apps' models `first` (in that order, the ones pointing at
    others before those), then its patients, memberships and users, and the medspa itself."""
    for model in first:
        model.objects.filter(medspa=medspa).delete()
    # The timed pages logged their reads. The access log refuses deletion to every role, so the bench (run as
    # the tests' database superuser, inside its clean-up transaction) removes its own rows with triggers off.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        PatientAccessLog._base_manager.filter(medspa=medspa).delete()
        cursor.execute("SET LOCAL session_replication_role = origin")
    Patient.objects.filter(medspa=medspa).delete()
    user_ids = list(Membership.objects.filter(medspa=medspa).values_list("user_id", flat=True))
    Membership.objects.filter(medspa=medspa).delete()
    medspa.delete()
    User.objects.filter(pk__in=user_ids).delete()


class BenchCommand(BaseCommand):
    """Seed, measure, clean up, report. A subclass gives `seed`, `describe`, `measure` and `clean_up`, the
    operations' `labels`, and `targets_ms` judged on `judged_by` (p50 or p95)."""

    default_runs = 50
    default_warmup = 5
    analyzed_models: tuple = ()  # their planner statistics are refreshed after seeding
    labels: dict[str, str] = {}
    targets_ms: dict[str, float] = {}
    judged_by = "p95"
    counts_queries = False  # a queries column in the report
    footnote = "{runs} runs each after a warm-up"
    measured = "operation"  # what --runs times, for its help

    def add_arguments(self, parser):
        parser.add_argument(
            "--runs",
            type=int,
            default=self.default_runs,
            help=f"Timed runs of each {self.measured} ({self.default_runs}).",
        )
        parser.add_argument(
            "--warmup",
            type=int,
            default=self.default_warmup,
            help=f"Untimed runs first ({self.default_warmup}).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Seed of the random choices.")
        parser.add_argument("--keep", action="store_true", help="Keep the bench medspa afterwards.")
        parser.add_argument(
            "--no-migrate",
            action="store_true",
            help="Skip `migrate` (the database is known to be up to date).",
        )

    def handle(self, *args, runs: int, warmup: int, seed: int, keep: bool, no_migrate: bool, **options):
        started = clock.perf_counter()
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)  # the tests' database may be fresh
        rng = random.Random(seed)
        with scopes_disabled():
            world = self.seed(rng)
        self.analyze()
        seeded = clock.perf_counter()
        self.stdout.write(
            f"Seeded {world['medspa'].name} ({world['medspa'].slug}): {self.describe(world)} "
            f"in {seeded - started:.1f} s{'' if no_migrate else ' (migrations checked)'}."
        )
        try:
            results = self.measure(world, rng, runs=runs, warmup=warmup)
        finally:
            if keep:
                self.stdout.write(
                    f"Kept the bench medspa (id {world['medspa'].pk}, slug {world['medspa'].slug})."
                )
            else:
                with scopes_disabled():
                    self.clean_up(world)
                self.stdout.write("Deleted the bench medspa and everything it held.")
        self.report(results, runs=runs)
        self.stdout.write(f"Total {clock.perf_counter() - started:.1f} s.")

    def analyze(self) -> None:
        """Fresh planner statistics of the seeded tables, as autovacuum keeps them in use: without them a
        plan chosen for the empty tables of before the bulk insert can stay (a scan of every row)."""
        analyze(self.analyzed_models)

    def seed(self, rng: random.Random) -> dict:
        """The bench medspa and all it holds: a dict with at least "medspa"."""
        raise NotImplementedError

    def describe(self, world: dict) -> str:
        """What was seeded, for the line after seeding."""
        raise NotImplementedError

    def measure(self, world: dict, rng: random.Random, *, runs: int, warmup: int) -> dict[str, Timing]:
        raise NotImplementedError

    def clean_up(self, world: dict) -> None:
        raise NotImplementedError

    def report(self, results: dict[str, Timing], *, runs: int) -> None:
        queries_head = f" {'queries':>8}" if self.counts_queries else ""
        self.stdout.write("")
        self.stdout.write(
            f"{'operation':<34} {'runs':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}{queries_head}  target"
        )
        self.stdout.write("-" * (94 if self.counts_queries else 84))
        for key, timing in results.items():
            p50, p95 = statistics.median(timing.runs), percentile(timing.runs, 0.95)
            judged = p50 if self.judged_by == "p50" else p95
            target = self.targets_ms.get(key)
            verdict = (
                "—"
                if target is None
                else f"{self.judged_by} < {target:g} ms: {'met' if judged < target else 'MISSED'}"
            )
            queries = f" {timing.queries:>8}" if self.counts_queries else ""
            slowest = max(timing.runs)
            self.stdout.write(
                f"{self.labels[key]:<34} {len(timing.runs):>5} {p50:>8.1f} {p95:>8.1f} {slowest:>8.1f}"
                f"{queries}  {verdict}"
            )
        self.stdout.write(f"(PostgreSQL {connection.pg_version // 10000}, {self.footnote.format(runs=runs)})")
