"""`make load`, `make load-race` and `make load-book`: the product under load on loopback, bounded in time,
stopping by itself.

    python -m scripts.load.run [--race | --book] [--seconds N] [--users N] [--clients N] [--keep]

1. Copies the tests' database (scripts/load/database.py) and seeds a busy medspa in the copy
   (scripts/load/seed.py). The settings are scripts/load/settings.py: the tests' overlay served as production
   would be, on plain HTTP.
2. Starts gunicorn on 127.0.0.1 and a free port: LOAD_WORKERS (2) workers of LOAD_THREADS threads (1: sync
   workers, as the Dockerfile runs them; the race uses 8 so that its clients reach PostgreSQL together; the
   booking load 4: one worker per core, and while one thread waits for PostgreSQL another runs Python),
   DATABASE_POOL on unless the environment says otherwise (as docker-compose.yml runs it).
3. Runs locust headless (scripts/load/locustfile.py): the everyday mix with LOAD_USERS (20) users for
   LOAD_SECONDS (60); the race: RACE_CLIENTS (50) clients booking the same few slots at once; or the booking
   load (--book): BOOK_CLIENTS (50) API clients booking free slots of their own, back to back, for
   BOOK_SECONDS (30).
4. Prints per endpoint the requests, requests/s, p50 / p95 / p99 / max (ms), failures and 5xx; for the race,
   what was booked, and the database's verdict: no two active appointments of one provider (or room) overlap;
   for the booking load, bookings/s, p50 / p95 / p99, errors (any answer but 201, 200 or 409), 409s and the
   same verdict.
5. Stops gunicorn (its own process group, by id), drops the copy (unless --keep) and the temporary folder.

Exits 1 on any 5xx or failed request, or on a double booking (and, for the booking load, when the database
holds another number of bookings than the clients were told 201)."""

import argparse
import contextlib
import json
import math
import os
import platform
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    scenario = parser.add_mutually_exclusive_group()
    scenario.add_argument(
        "--race", action="store_true", help="The race scenario instead of the everyday mix."
    )
    scenario.add_argument(
        "--book", action="store_true", help="Booking throughput instead of the everyday mix."
    )
    parser.add_argument("--seconds", type=int, default=None, help="LOAD_SECONDS (60), BOOK_SECONDS (30).")
    parser.add_argument("--users", type=int, default=_env_int("LOAD_USERS", 20))
    parser.add_argument("--clients", type=int, default=None, help="RACE_CLIENTS, BOOK_CLIENTS (50).")
    parser.add_argument("--workers", type=int, default=_env_int("LOAD_WORKERS", 2))
    parser.add_argument(
        "--threads", type=int, default=None, help="Per worker (1 for the mix, 8 for the race, 4 for --book)."
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--keep", action="store_true", help="Keep the medspa afterwards (and print its slug)."
    )
    args = parser.parse_args()
    if args.threads is None:
        args.threads = _env_int("LOAD_THREADS", 8 if args.race else 4 if args.book else 1)
    if args.seconds is None:
        args.seconds = _env_int("BOOK_SECONDS", 30) if args.book else _env_int("LOAD_SECONDS", 60)
    if args.clients is None:
        args.clients = _env_int("BOOK_CLIENTS", 50) if args.book else _env_int("RACE_CLIENTS", 50)
    if args.seconds < 1 or args.users < 1 or args.clients < 2:
        parser.error("--seconds, --users must be positive and --clients at least 2.")
    return args


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} before answering.")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:  # noqa: S310 (our loopback)
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer {url}/healthz within {timeout:.0f} s.")


def stop(process: subprocess.Popen, grace: float = 20) -> None:
    """SIGTERM to the process group we started (gunicorn's master and its workers), then SIGKILL."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def server_cpu_seconds(server: subprocess.Popen) -> float | None:
    """The CPU time (user + system) gunicorn's master and workers have used so far."""
    try:
        master = psutil.Process(server.pid)
        processes = [master, *master.children(recursive=True)]
        return sum(sum(p.cpu_times()[:2]) for p in processes)
    except psutil.Error:
        return None


def database_cpu_seconds() -> dict[int, float] | None:
    """The CPU time (user + system) of each process of the PostgreSQL server the run uses (its postmaster
    and every child: backends, WAL writer, checkpointer…), by process id, so far."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        postmaster = psutil.Process(backend).parent()
        processes = [postmaster, *postmaster.children(recursive=True)]
    except psutil.Error:
        return None
    times = {}
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times[process.pid] = sum(process.cpu_times()[:2])
    return times


def database_cpu_used(before: dict[int, float] | None, after: dict[int, float] | None) -> float | None:
    """What the server's processes used between the two readings (a process started meanwhile: all of its
    time; one that ended meanwhile is not counted, so this is at least what was used)."""
    if before is None or after is None:
        return None
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def refused_while_open(world: dict, answers: list[dict]) -> int:
    """The race's clients told 409 although their time is still open now, after the race (for their provider,
    or for anyone): a refusal that lost a booking for nothing."""
    from datetime import datetime

    from django_scopes import scopes_disabled

    from medspa.tenancy import medspa_scope
    from scheduling.models import AppointmentType
    from scheduling.selectors import slots

    race, wrongly = world["race"], 0
    with scopes_disabled():
        appointment_type = AppointmentType.objects.select_related("location").get(pk=race["type"])
    with medspa_scope(world["medspa"]):
        for answer in answers:
            if answer["status"] != 409:
                continue
            start = datetime.fromisoformat(answer["start"])
            provider_id = None if answer["provider"] == "any" else int(answer["provider"])
            day = start.astimezone(appointment_type.location.tz).date()
            found = slots.open_slots(appointment_type, day, provider_id=provider_id)
            wrongly += any(slot.start == start for slot in found)
    return wrongly


QUIET_OPEN_SLOTS_MS = 18.8  # README's `make bench` figure: open slots for one day, p50


def calibrate(world: dict, runs: int = 40) -> float:
    """The p50 of the bench's first operation (open slots of one day) now: how busy the machine is."""
    from datetime import timedelta

    from medspa.tenancy import medspa_scope
    from scheduling.selectors import slots

    rng, timings = random.Random(7), []
    with medspa_scope(world["medspa"]):
        for _ in range(runs + 5):
            began = time.perf_counter()
            slots.open_slots(rng.choice(world["types"]), world["today"] + timedelta(days=rng.randrange(60)))
            timings.append((time.perf_counter() - began) * 1000)
    return percentile(timings[5:], 0.5)


# --- The report ---------------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (p95 of 200 requests: the 190th fastest)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1] if ordered else 0.0


def _server_errors(record: dict) -> int:
    return sum(count for code, count in record["codes"].items() if code.startswith("5"))


def report(outcomes: dict, order: list[str]) -> tuple[int, int, int]:
    """Prints the per-endpoint table from the locustfile's records; returns (requests, failures, 5xx)."""
    endpoints, seconds = outcomes.get("endpoints", {}), max(outcomes.get("seconds", 0.0), 1e-9)
    position = {name: index for index, name in enumerate(order)}
    print(
        f"\n{'endpoint':<52} {'requests':>8} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'max ms':>7} {'fail':>5} {'5xx':>4}"
    )
    print("-" * 110)

    def line(label: str, times: list[float], failures: int, server_errors: int) -> None:
        print(
            f"{label[:52]:<52} {len(times):>8} {len(times) / seconds:>6.1f} {percentile(times, 0.5):>7.0f} "
            f"{percentile(times, 0.95):>7.0f} {percentile(times, 0.99):>7.0f} {max(times, default=0):>7.0f} "
            f"{failures:>5} {server_errors:>4}"
        )

    for name in sorted(endpoints, key=lambda name: (position.get(name, 99), name)):
        record = endpoints[name]
        line(name, record["times"], sum(record["failures"].values()), _server_errors(record))
    every = [t for record in endpoints.values() for t in record["times"]]
    failures = sum(sum(record["failures"].values()) for record in endpoints.values())
    server_errors = sum(_server_errors(record) for record in endpoints.values())
    print("-" * 110)
    line(f"all endpoints ({seconds:.0f} s)", every, failures, server_errors)
    return len(every), failures, server_errors


def status_lines(outcomes: dict) -> None:
    print("\nStatus codes per endpoint:")
    for name, record in sorted(outcomes.get("endpoints", {}).items()):
        listed = ", ".join(f"{code}: {count}" for code, count in sorted(record["codes"].items()))
        print(f"  {name}: {listed}")
        for message, count in record["failures"].items():
            print(f"    failed × {count}: {message}")


def machine_line(workers: int, threads: int, pool: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0].split()[0]
    cache = "Redis (cache and broker)" if os.environ.get("REDIS_URL") else "database cache, folder broker"
    kind = f"{workers} sync workers" if threads == 1 else f"{workers} workers × {threads} threads"
    load = "/".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"Machine: {os.cpu_count()} cores ({platform.machine()}), Python {platform.python_version()}, "
        f"PostgreSQL {postgres}; gunicorn {kind}, DATABASE_POOL={pool}, {cache}; "
        f"load average {load} (1/5/15 min, at the end: the run and whatever else the machine did)."
    )


def booking_figures(outcomes: dict) -> dict:
    """The booking load's figures from the locustfile's records: bookings/s over the run, the latencies of
    every booking request, errors (any answer but 201, 200 or 409, or none) and 409s."""
    from scripts.load import mix

    record = outcomes.get("endpoints", {}).get(mix.ENDPOINTS["book_api"], {"codes": {}, "times": []})
    codes, times = record["codes"], record["times"]
    seconds = max(outcomes.get("seconds", 0.0), 1e-9)
    booked = codes.get("201", 0)
    return {
        "requests": len(times),
        "booked": booked,
        "repeated": codes.get("200", 0),
        "taken": codes.get("409", 0),
        "errors": sum(count for code, count in codes.items() if code not in ("200", "201", "409")),
        "per_second": booked / seconds,
        "p50": percentile(times, 0.5),
        "p95": percentile(times, 0.95),
        "p99": percentile(times, 0.99),
        "seconds": seconds,
    }


def booking_verdict(world: dict, outcomes: dict, began) -> int:
    """Prints the booking load's line and the database's check; 1 when something is wrong."""
    from django_scopes import scopes_disabled

    from scheduling.models import ACTIVE_STATUSES, Appointment
    from scripts.load import checks

    figures = booking_figures(outcomes)
    with scopes_disabled():
        made = Appointment.objects.filter(
            medspa=world["medspa"], status__in=ACTIVE_STATUSES, created_at__gte=began
        ).count()
    overlaps = checks.double_bookings(world["medspa"].pk)
    print(
        f"\nBookings: {figures['booked']} booked in {figures['seconds']:.1f} s = {figures['per_second']:.1f} "
        f"bookings/s; p50 {figures['p50']:.0f} ms, p95 {figures['p95']:.0f} ms, p99 {figures['p99']:.0f} ms; "
        f"{figures['taken']} answered 409, {figures['errors']} errors (anything but 201 / 200 / 409); "
        f"{made} appointments made in the database."
    )
    print(f"Double bookings in the database: {len(overlaps)}" + (f" {overlaps}" if overlaps else ""))
    return int(bool(overlaps or figures["errors"] or made != figures["booked"] or not figures["booked"]))


# --- The run ------------------------------------------------------------------------------------------------


def redis_check() -> None:
    """With REDIS_URL set, Redis must answer before the run: the cache fails open when Redis is down
    (medspa.cache), which would let the run skip what the throttles cost in production."""
    url = os.environ.get("REDIS_URL")
    if not url:
        return
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except (redis.exceptions.RedisError, OSError) as error:
        raise SystemExit(
            f"Redis does not answer at {url} ({error}): start it, or set REDIS_URL empty (LOAD_REDIS_URL= "
            "for make load-book) to run with the database cache."
        ) from None


def redis_broker_clear(prefix: str) -> None:
    """Deletes what the run's tasks left in Redis under its own key prefix (no worker reads them)."""
    url = os.environ.get("REDIS_URL")
    if not url:
        return
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)


def main() -> int:
    args = arguments()
    workdir = Path(tempfile.mkdtemp(prefix="medspa-load-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "scripts.load.settings"
    os.environ["LOAD_BROKER_DIR"] = str(workdir / "broker")
    os.environ["LOAD_BROKER_PREFIX"] = broker_prefix = f"medspa-load-{workdir.name}:"
    os.environ.pop("LOAD_DATABASE_NAME", None)

    redis_check()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from scripts.load import database

    began = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)  # the tests' database may be fresh
    source = connection.settings_dict["NAME"]
    connection.close()
    copy = database.copy_name(source)
    database.database_copy(connection.settings_dict, source, copy)
    connection.settings_dict["NAME"] = os.environ["LOAD_DATABASE_NAME"] = copy
    status = 1
    try:
        status = run(args, workdir, began)
    finally:
        connection.close()
        redis_broker_clear(broker_prefix)
        if args.keep:
            print(f"Kept the database {copy}: drop it when done.")
        else:
            database.database_drop(connection.settings_dict, copy)
        if status:
            print(f"(kept {workdir} for a look)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    verdict, dropped = "FAILED" if status else "OK", "kept" if args.keep else "dropped"
    print(f"{verdict}: stopped the server, {dropped} its database; {time.monotonic() - began:.0f} s in all.")
    return status


def run(args: argparse.Namespace, workdir: Path, began: float) -> int:
    """Seeds the copy, serves it, loads it, reports; 0 when all went well."""
    from django.core.management import call_command
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from scheduling.models import ACTIVE_STATUSES, Appointment
    from scripts.load import checks, mix, seed

    call_command("createcachetable", verbosity=0)
    world, state = seed.seed(random.Random(args.seed), users=max(args.users, 1), book_clients=args.clients)
    print(
        f"Seeded {world['medspa'].slug} in a copy of the tests' database: 10 providers, 5 appointment types, "
        f"300 patients, {world['appointments']:,} appointments over 60 days, open charts, signed-in sessions "
        f"({time.monotonic() - began:.0f} s)."
    )
    calibration = calibrate(world)
    state_path, outcomes_path = workdir / "state.json", workdir / "outcomes.json"
    state_path.write_text(json.dumps(state))

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path, locust_log = workdir / "gunicorn.log", workdir / "locust.log"
    pool = os.environ.get("DATABASE_POOL", "true")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "DATABASE_POOL": pool,
        "DATABASE_POOL_MAX": os.environ.get("DATABASE_POOL_MAX", str(max(4, args.threads + 2))),
        "LOAD_STATE": str(state_path),
        "LOAD_OUTCOMES": str(outcomes_path),
        "RACE_CLIENTS": str(args.clients),
    }
    gunicorn_command = [
        sys.executable, "-m", "gunicorn", "medspa.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers), "--threads", str(args.threads),
        "--worker-class", "sync" if args.threads == 1 else "gthread",
        "--timeout", "60", "--graceful-timeout", "10", "--log-level", "warning",
    ]  # fmt: skip
    users = args.clients if args.race or args.book else args.users
    # LOAD_CLASSES="FrontDesk" runs one kind of user only (to see what it costs alone).
    classes = [name for name in os.environ.get("LOAD_CLASSES", "").split(",") if name.strip()] or [
        "Visitor", "FrontDesk", "Provider",
    ]  # fmt: skip
    seconds = min(args.seconds, 60) if args.race else args.seconds
    locust_command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", url,
        "--users", str(users), "--spawn-rate", str(users if args.race or args.book else max(1, users // 5)),
        "--run-time", f"{seconds}s", "--stop-timeout", "10", "--only-summary",
        "--loglevel", "WARNING", "--exit-code-on-error", "0",
        *(["RaceVisitor", "RaceApiClient"] if args.race else ["BookApiClient"] if args.book else classes),
    ]  # fmt: skip

    status = 0
    server, cpu_seconds, database_seconds, locust_seconds = None, None, None, None
    try:
        with log_path.open("w") as log:
            server = subprocess.Popen(  # noqa: S603 (our own command line)
                gunicorn_command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            wait_healthy(url, server)
            cpu_before, database_before = server_cpu_seconds(server), database_cpu_seconds()
            locust_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            scenario = (
                f"race: {args.clients} clients, {mix.RACE_SLOTS} slots"
                if args.race
                else f"booking: {args.clients} API clients booking free slots for {seconds} s"
                if args.book
                else f"{users} users for {seconds} s (think time {os.environ.get('LOAD_WAIT', '0.5,2')} s)"
            )
            print(f"gunicorn on {url}; locust: {scenario}…", flush=True)
            race_began = timezone.now()
            with locust_log.open("w") as output:
                subprocess.run(  # noqa: S603
                    locust_command, cwd=ROOT, env=env, timeout=seconds + 120, check=False,
                    stdout=output, stderr=subprocess.STDOUT,
                )  # fmt: skip
            cpu_after, database_after = server_cpu_seconds(server), database_cpu_seconds()
            locust_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if cpu_before is not None and cpu_after is not None:
                cpu_seconds = cpu_after - cpu_before
            database_seconds = database_cpu_used(database_before, database_after)
            locust_seconds = sum(
                getattr(locust_after, name) - getattr(locust_before, name)
                for name in ("ru_utime", "ru_stime")
            )
    finally:
        if server is not None:
            stop(server)

    if not outcomes_path.exists():
        print(f"locust wrote no results; its output ({locust_log}):")
        print(locust_log.read_text()[-4000:])
        return 1
    outcomes = json.loads(outcomes_path.read_text())
    requests, failures, server_errors = report(outcomes, list(mix.ENDPOINTS.values()))
    status_lines(outcomes)
    if failures or server_errors or not requests:
        status = 1
    if args.race:
        race = world["race"]
        with scopes_disabled():
            made = Appointment.objects.filter(
                medspa=world["medspa"], start__in=race["starts"], status__in=ACTIVE_STATUSES,
                created_at__gte=race_began,
            )  # fmt: skip
            booked, pinned = made.count(), made.filter(provider_id=race["provider"]).count()
        answers = outcomes["endpoints"].get(mix.ENDPOINTS["race_post"], {}).get("codes", {})
        api_answers = outcomes["endpoints"].get(mix.ENDPOINTS["race_api"], {}).get("codes", {})
        told_booked = answers.get("303", 0) + api_answers.get("201", 0)
        told_taken = answers.get("409", 0) + api_answers.get("409", 0)
        overlaps = checks.double_bookings(world["medspa"].pk)
        print(
            f"\nRace: {args.clients} clients at once on {len(race['starts'])} start times (the first two "
            "overlap); the API's and half the visitors' for one provider, the others' for anyone available: "
            f'{told_booked} told "booked" (303 / 201), {told_taken} told "taken" (409), {server_errors} 5xx; '
            f"{booked} appointments made in the database, {pinned} of them with that provider."
        )
        print(f"Double bookings in the database: {len(overlaps)}" + (f" {overlaps}" if overlaps else ""))
        refused_wrongly = refused_while_open(world, outcomes.get("race", []))
        print(
            f'Told "taken" while the time was still open for them afterwards: {refused_wrongly} '
            "(checked per client against the open slots after the race)."
        )
        if overlaps or booked != told_booked or pinned > race["pinned_most"] or refused_wrongly:
            status = 1
    if args.book:
        status = booking_verdict(world, outcomes, race_began) or status
    if cpu_seconds is not None and requests:
        print(
            f"gunicorn used {cpu_seconds:.1f} CPU-seconds during the run: "
            f"{cpu_seconds * 1000 / requests:.1f} ms of CPU per request on average (PostgreSQL's apart)."
        )
    if database_seconds is not None and locust_seconds is not None and requests:
        per_request = {name: seconds * 1000 / requests for name, seconds in
                       (("database", database_seconds), ("locust", locust_seconds))}  # fmt: skip
        print(
            f"PostgreSQL used {database_seconds:.1f} CPU-seconds ({per_request['database']:.1f} ms per "
            f"request), locust {locust_seconds:.1f} ({per_request['locust']:.1f} ms per request)."
        )
    print(machine_line(args.workers, args.threads, pool))
    print(
        f"Calibration before the run: open slots of one day, in-process, p50 {calibration:.1f} ms "
        f"(`make bench` measured {QUIET_OPEN_SLOTS_MS} ms on a quiet machine: the larger, the busier)."
    )
    if status:
        print(f"\nThe server's log ({log_path}), last lines:")
        print("\n".join(log_path.read_text().splitlines()[-60:]))
    return status


if __name__ == "__main__":
    sys.exit(main())
