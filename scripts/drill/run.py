"""`make drill-scale`: the product on two web nodes behind a TLS proxy, on this machine, bounded in time.

    python -m scripts.drill.run [--seconds N] [--users N] [--bookers N] [--keep]

1. Starts (scripts/drill/stack.py) a primary PostgreSQL and a standby streaming from it, PgBouncer in
   transaction mode in front of both, moto's S3 server with a private encrypted bucket and a redis-server
   of its own (cache: database 0, broker: database 1), all on 127.0.0.1, under .data/drill/.
2. Sets the database up as `make setup` does (migrate as the owner role, the cache table, the static files,
   seed_demo) and seeds `make load`'s busy medspa (scripts/load/seed.py); waits until the standby replayed it.
3. Starts two gunicorn nodes (DATABASE_URL through PgBouncer with DATABASE_PGBOUNCER, DATABASE_REPLICA_URL,
   S3_*, REDIS_CACHE_URL / CELERY_BROKER_URL, DEBUG off), two Celery workers and Caddy in front of the nodes.
4. A before photo uploaded through node 1 (straight to its port, as a signed-in provider) is read back
   through node 2: the same bytes, and the object in the bucket is encrypted.
5. Runs locust (scripts/drill/locustfile.py) against the proxy for --seconds: the everyday mix and API
   bookings. At 40 % of the run it kills node 1 and worker 1 with SIGKILL (their whole process groups).
6. Lets the surviving worker drain the broker. A killed worker's unacked tasks come back once the broker's
   visibility timeout has passed (15 minutes in production): the drill moves the time they were handed out
   back by that much instead of waiting, as tests/test_redelivery_drill.py does.
7. Counts: every booking a client was told made (201 / 200) is one row, none is doubled, no two bookings
   overlap, every booking has its confirmation decided by a worker and at most one GFE request; prints the
   figures and stops every process (also on Ctrl-C or a failure). Exits 1 if anything was lost or doubled.

DRILL_SECONDS (60), DRILL_USERS (12), DRILL_BOOKERS (6) set the defaults."""

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time

import requests

from scripts.drill.stack import ROOT, Stack, free_port, wait_for

FOLDER = ROOT / ".data" / "drill"
DATABASE = "medspa"
S3_KEYS = ("drill-access-key", "drill-secret-key")
BUCKET = "medspa-drill"
DRAIN_SECONDS = 120
VISIBILITY_TIMEOUT = 15 * 60


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("DRILL_SECONDS") or 60))
    parser.add_argument("--users", type=int, default=int(os.environ.get("DRILL_USERS") or 12))
    parser.add_argument("--bookers", type=int, default=int(os.environ.get("DRILL_BOOKERS") or 6))
    parser.add_argument("--keep", action="store_true", help="Keep .data/drill/ (logs, data) afterwards.")
    args = parser.parse_args()
    if args.seconds < 10 or args.users < 1 or args.bookers < 1:
        parser.error("--seconds must be at least 10, --users and --bookers positive.")
    return args


def _stopped_by_signal(number, frame):
    raise KeyboardInterrupt(f"signal {number}")


def main() -> int:
    args = arguments()
    signal.signal(signal.SIGTERM, _stopped_by_signal)
    shutil.rmtree(FOLDER, ignore_errors=True)
    FOLDER.mkdir(parents=True)
    stack, began, status = Stack(FOLDER), time.monotonic(), 1
    try:
        status = drill(stack, args)
    except KeyboardInterrupt:
        print("\nInterrupted: stopping everything.")
    finally:
        stack.stop_all()
        if status or args.keep:
            print(f"(kept {FOLDER.relative_to(ROOT)}/ for a look: logs/ has each process's output)")
        else:
            shutil.rmtree(FOLDER, ignore_errors=True)
    print(f"{'FAILED' if status else 'OK'}: every process stopped; {time.monotonic() - began:.0f} s in all.")
    return status


def step(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def environments(stack: Stack, caddy_port: int | None = None) -> tuple[dict, dict]:
    """The environment of the set-up commands (straight to the primary, as the owner migrates) and of the
    nodes and workers (through PgBouncer, the standby for the heavy reads)."""
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "S3_", "CELERY_"))
    }
    redis = f"redis://127.0.0.1:{stack.ports['redis']}"
    common = {
        **inherited,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "medspa.settings",
        "DEBUG": "false",
        "DATA_DIR": str(FOLDER / "data"),
        "SECRET_KEY": stack.secret_key,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "BEHIND_TLS_PROXY": "true",
        # The drill's clients stand in for the visitors' own edge (scripts/drill/stack.py, Caddy): two hops.
        "TRUSTED_PROXY_COUNT": "2",
        "REDIS_URL": f"{redis}/0",
        "REDIS_CACHE_URL": f"{redis}/0",
        "CELERY_BROKER_URL": f"{redis}/1",
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{stack.ports['s3']}",
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": S3_KEYS[0],
        "S3_SECRET_ACCESS_KEY": S3_KEYS[1],
        "LOG_LEVEL": "WARNING",
    }
    if caddy_port:
        common["CSRF_TRUSTED_ORIGINS"] = common["SITE_URL"] = f"https://127.0.0.1:{caddy_port}"
    primary, bouncer = stack.ports["primary"], stack.ports["pgbouncer"]
    setup = {
        **common,
        "DATABASE_URL": f"postgres://medspa_app@127.0.0.1:{primary}/{DATABASE}",
        "DATABASE_OWNER_URL": f"postgres://medspa_owner@127.0.0.1:{primary}/{DATABASE}",
    }
    nodes = {
        **common,
        "DATABASE_URL": f"postgres://medspa_app@127.0.0.1:{bouncer}/{DATABASE}",
        "DATABASE_PGBOUNCER": "true",
        "DATABASE_REPLICA_URL": f"postgres://medspa_app@127.0.0.1:{bouncer}/{DATABASE}_replica",
    }
    return setup, nodes


def databases_start(stack: Stack) -> None:
    import psycopg
    from psycopg import sql

    from medspa.embedded import APP_ROLE, OWNER_ROLE, roles_create

    stack.postgres_primary()
    with psycopg.connect(stack.superuser_url("primary"), autocommit=True) as connection:
        roles_create(connection, owner=OWNER_ROLE, app=APP_ROLE)
        connection.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(DATABASE), sql.Identifier(OWNER_ROLE)
            )
        )
    stack.postgres_replica()  # before the migrations: the standby gets all of them by streaming
    stack.pgbouncer(["medspa_app", "medspa_owner", "postgres"], DATABASE)


def manage(env: dict, *command: str) -> None:
    subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=600)  # noqa: S603


def static_files_current() -> bool:
    """True when the production static files (whitenoise's manifest) were collected after every change to
    static/: compressing them again costs minutes on a busy machine."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return False
    newest = max(path.stat().st_mtime for path in (ROOT / "static").rglob("*") if path.is_file())
    return manifest.stat().st_mtime >= newest


def seed(env: dict, users: int, bookers: int) -> dict:
    """`make load`'s busy medspa and its signed-in sessions, seeded in this process (Django set up with the
    set-up environment); the locustfile's state."""
    import random

    os.environ.update(env)
    import django

    django.setup()
    from scripts.load import seed as load_seed

    world, state = load_seed.seed(random.Random(2026), users=users, book_clients=bookers)
    from django.db import connections

    connections.close_all()
    state["medspa_id"] = world["medspa"].pk
    return state


def health_uri(node_port: int) -> str:
    """/readyz (PostgreSQL, Redis, the broker and storage) where the product has it, else /healthz."""
    answers: list[requests.Response] = []

    def asked() -> bool:
        url = f"http://127.0.0.1:{node_port}/readyz"
        answers.append(requests.get(url, headers={"X-Forwarded-Proto": "https"}, timeout=30))
        return answers[-1].status_code in (200, 404)

    wait_for("the node's /readyz", asked, seconds=120)
    if answers[-1].status_code == 404:
        step("  /readyz answers 404 here: the proxy's health check asks /healthz instead.")
        return "/healthz"
    return "/readyz"


def drill(stack: Stack, args: argparse.Namespace) -> int:
    from scripts.drill import checks

    stack.secret_key = secrets.token_urlsafe(50)
    step("PostgreSQL primary, its streaming standby, PgBouncer (transaction mode)…")
    databases_start(stack)
    stack.redis()
    stack.s3(BUCKET, S3_KEYS)
    setup_env, _ = environments(stack)
    step("migrate (as the owner), createcachetable, collectstatic, seed_demo…")
    seeding = time.monotonic()
    manage(setup_env, "migrate", "--noinput", "-v", "0")
    manage(setup_env, "createcachetable")
    if not static_files_current():
        manage(setup_env, "collectstatic", "--noinput", "-v", "0")
    manage(setup_env, "seed_demo")
    step("seeding make load's busy medspa…")
    state = seed(setup_env, args.users, args.bookers)
    step(f"  set up and seeded in {time.monotonic() - seeding:.0f} s; waiting for the standby to replay…")
    replay_began = time.monotonic()
    wait_for("the standby's replay", stack.replica_caught_up, seconds=120)
    figures = {"standby caught up after seeding (s)": f"{time.monotonic() - replay_began:.1f}"}

    caddy_port = free_port()  # the nodes' CSRF_TRUSTED_ORIGINS and SITE_URL name it
    _, node_env = environments(stack, caddy_port)
    step("two gunicorn nodes, two Celery workers…")
    nodes = [stack.node(f"node{n}", node_env, workers=2, threads=4) for n in (1, 2)]
    for n in (1, 2):
        stack.worker(f"worker{n}", node_env)
    uri = health_uri(nodes[0])
    stack.caddy(nodes, uri, port=caddy_port)
    proxy = f"https://127.0.0.1:{caddy_port}"
    root_cert = FOLDER / "caddy" / "data" / "pki" / "authorities" / "local" / "root.crt"
    wait_for("Caddy's local root certificate", root_cert.exists, seconds=30)
    wait_for(
        "the proxy", lambda: requests.get(f"{proxy}/healthz", verify=root_cert, timeout=5).ok, seconds=30
    )
    step(f"proxy {proxy} → nodes :{nodes[0]} and :{nodes[1]} (health check {uri})")

    photo = checks.photo_across_nodes(state, nodes, stack, BUCKET, S3_KEYS)
    step(f"photo: {photo['verdict']}")
    figures.update(photo["figures"])

    standby_before = stack.standby_transactions(DATABASE)
    load = checks.load_with_kills(stack, args, state, proxy, root_cert, node_env)
    figures.update(load["figures"])
    standby_reads = stack.standby_transactions(DATABASE) - standby_before
    figures["standby: transactions during the load (replica reads)"] = str(standby_reads)
    if standby_reads == 0:  # the earnings pages read there (medspa.db_router): the router was not used
        load["problems"].append("the standby served no read during the load")
    step("draining the broker with the surviving worker…")
    drained = checks.drain(stack, node_env, DRAIN_SECONDS, VISIBILITY_TIMEOUT)
    figures.update(drained)
    counted = checks.count(setup_env, state, load["outcomes"])
    figures.update(counted["figures"])
    checks.table(figures)
    problems = load["problems"] + counted["problems"] + photo["problems"]
    for problem in problems:
        print(f"  ✗ {problem}")
    return int(bool(problems))


if __name__ == "__main__":
    sys.exit(main())
