"""docker-compose.yml, the Dockerfile and deploy/, checked on paper: the compose file against the Compose
specification's JSON schema (deploy/compose-spec.json, kept in the repository; deploy/README.md says from
where) once its variables are interpolated as Compose does, then the shape production relies on: gunicorn
reached only through Caddy, a health check on every long-running service, a worker that outlasts its
longest task, PgBouncer in transaction mode in front of the primary and the standby, migrations straight
against PostgreSQL, a cache and a broker that evict differently; the Dockerfile's stages, user, lock and
PostgreSQL client."""

import configparser
import copy
import json
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from tests.compose import MissingVariable, interpolate

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
SCHEMA = ROOT / "deploy" / "compose-spec.json"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
PGBOUNCER_INI = ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini"
DOCKERFILE = ROOT / "Dockerfile"
APP_SERVICES = ("web", "worker", "beat")
# What an operator must set: the file refuses to start without each (${NAME:?error}).
REQUIRED = {
    "SECRET_KEY": "sample-secret-key",
    "POSTGRES_PASSWORD": "sample-superuser-password",
    "MEDSPA_OWNER_PASSWORD": "sample-owner-password",
    "MEDSPA_APP_PASSWORD": "sample-app-password",
    "MEDSPA_REPLICATION_PASSWORD": "sample-replication-password",
    "BACKUP_AGE_RECIPIENTS": "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq",
}


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def compose(raw):
    return interpolate(raw, REQUIRED)


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def seconds(duration: str) -> float:
    """A Compose duration ("660s", "11m", "1m30s", "1h") in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, f"not a duration: {duration!r}"
    return sum(float(number) * units[unit] for number, unit in parts)


def published(service: dict) -> set[int]:
    """The host ports a service publishes, from the short ("80:80", "443:443/udp") or the long syntax."""
    ports = set()
    for port in service.get("ports", []):
        if isinstance(port, dict):
            ports.add(int(port["published"]))
        else:
            host = str(port).split("/")[0].split(":")
            if len(host) > 1:
                ports.add(int(host[-2]))
    return ports


def pgbouncer_ini() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(comment_prefixes=(";", "#"), interpolation=None)
    parser.read_string(PGBOUNCER_INI.read_text())
    return parser


def test_the_compose_file_follows_the_compose_specification(compose, validator):
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


@pytest.mark.parametrize(
    "mistake",
    [
        lambda c: c["services"]["web"].update(helthcheck={"test": ["CMD", "true"]}),
        lambda c: c["services"]["worker"].update(stop_grace_period=660),
        lambda c: c["services"]["web"]["depends_on"]["migrate"].update(condition="service_finished"),
    ],
    ids=["unknown key", "number for a duration", "unknown condition"],
)
def test_the_schema_check_catches_a_mistake(compose, validator, mistake):
    broken = copy.deepcopy(compose)
    mistake(broken)
    assert list(validator.iter_errors(broken))


def test_the_schema_kept_is_the_compose_specification_and_says_where_it_came_from():
    schema = json.loads(SCHEMA.read_text())
    assert schema["$id"] == "compose_spec.json" and schema["title"] == "Compose Specification"
    note = (ROOT / "deploy" / "README.md").read_text()
    assert "compose-spec/compose-spec" in note and re.search(r"\b[0-9a-f]{40}\b", note)


def test_the_file_refuses_to_start_without_each_secret(raw):
    required = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):\?", COMPOSE.read_text()))
    assert required == set(REQUIRED)
    for name in REQUIRED:
        with pytest.raises(MissingVariable, match=name):
            interpolate(raw, {k: v for k, v in REQUIRED.items() if k != name})


def test_gunicorn_is_reached_only_through_caddy_which_publishes_https(services):
    assert "ports" not in services["web"], "web must not be published: clients go through caddy"
    assert {80, 443} <= published(services["caddy"])
    assert services["caddy"]["image"].split(":")[0] == "caddy"
    others = {name for name, service in services.items() if published(service)}
    assert others == {"caddy"}


def test_every_long_running_service_has_a_health_check(services):
    long_running = {name for name, service in services.items() if service.get("restart") != "no"}
    assert {"caddy", "web", "worker", "beat", "pgbouncer", "postgres", "postgres-replica"} <= long_running
    missing = {
        name
        for name in long_running
        if not services[name].get("healthcheck", {}).get("test")
        or services[name]["healthcheck"].get("disable")
    }
    assert missing == set()
    assert "/livez" in " ".join(services["web"]["healthcheck"]["test"])


def test_worker_and_beat_are_checked_by_celery_health(services):
    assert services["worker"]["healthcheck"]["test"] == [
        "CMD",
        "python",
        "manage.py",
        "celery_health",
        "worker",
    ]
    assert services["beat"]["healthcheck"]["test"] == ["CMD", "python", "manage.py", "celery_health", "beat"]


def test_a_stopping_worker_outlasts_the_longest_task(services):
    # The hard time limit settings give a task (600 s by default); the compose file does not change it.
    limit = settings.CELERY_TASK_TIME_LIMIT
    assert "CELERY_TASK_TIME_LIMIT" not in services["worker"]["environment"]
    assert seconds(services["worker"]["stop_grace_period"]) > limit
    assert settings.CELERY_TASK_ACKS_LATE


def test_beat_runs_exactly_once(services):
    beat = services["beat"]
    assert beat.get("deploy", {}).get("replicas", 1) == 1 and beat.get("scale", 1) == 1
    assert "beat" in beat["command"]
    assert not any("beat" in services[name].get("command", []) for name in services if name != "beat")


def test_the_app_reaches_postgres_through_pgbouncer_in_transaction_mode(services):
    ini = pgbouncer_ini()
    assert ini["pgbouncer"]["pool_mode"] == "transaction"
    databases = {name: dict(re.findall(r"(\w+)=(\S+)", entry)) for name, entry in ini["databases"].items()}
    assert (
        "./deploy/pgbouncer/pgbouncer.ini:/etc/pgbouncer/pgbouncer.ini:ro" in services["pgbouncer"]["volumes"]
    )
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        primary, replica = (
            urlsplit(environment["DATABASE_URL"]),
            urlsplit(environment["DATABASE_REPLICA_URL"]),
        )
        assert (primary.hostname, replica.hostname) == ("pgbouncer", "pgbouncer"), name
        assert environment["DATABASE_PGBOUNCER"] == "true", name
        assert "DATABASE_OWNER_URL" not in environment, f"{name} holds the owner's credentials"
        assert databases[primary.path.lstrip("/")]["host"] == "postgres"
        assert databases[replica.path.lstrip("/")]["host"] == "postgres-replica"
        assert databases[replica.path.lstrip("/")]["dbname"] == "medspa"
        assert services[name]["depends_on"]["pgbouncer"]["condition"] == "service_healthy"
        # The scheduled backup's pg_dump sets session state: PostgreSQL itself, as the app role.
        backup = urlsplit(environment["BACKUP_DATABASE_URL"])
        assert (backup.hostname, backup.port, backup.username) == ("postgres", 5432, "medspa_app"), name


def test_migrations_run_once_as_the_owner_straight_against_postgres_before_the_app(services):
    migrate = services["migrate"]
    assert migrate["restart"] == "no" and "migrate" in " ".join(migrate["command"])
    owner, app = (
        urlsplit(migrate["environment"]["DATABASE_OWNER_URL"]),
        urlsplit(migrate["environment"]["DATABASE_URL"]),
    )
    assert (
        owner.hostname == app.hostname == "postgres" and owner.path == app.path
    )  # settings require one database
    assert owner.username == "medspa_owner" and migrate["environment"]["DATABASE_PGBOUNCER"] == "false"
    for name in APP_SERVICES:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_cache_may_forget_and_the_broker_may_not(services):
    environment = services["web"]["environment"]
    cache, broker = urlsplit(environment["REDIS_CACHE_URL"]), urlsplit(environment["CELERY_BROKER_URL"])
    assert (cache.path, broker.path) == ("/0", "/1")
    assert cache.hostname != broker.hostname, "one Redis has one eviction policy for all its databases"
    cache_command, broker_command = services[cache.hostname]["command"], services[broker.hostname]["command"]
    assert cache_command[cache_command.index("--maxmemory-policy") + 1] == "allkeys-lru"
    assert broker_command[broker_command.index("--maxmemory-policy") + 1] == "noeviction"
    assert broker_command[broker_command.index("--appendonly") + 1] == "yes"


def test_the_standby_streams_from_the_primary_on_the_slot_the_primary_made(services):
    script = (ROOT / "deploy" / "postgres-replica.sh").read_text()
    init = (ROOT / "scripts" / "postgres-init.sh").read_text()
    primary, replica = services["postgres"], services["postgres-replica"]
    assert primary["image"] == replica["image"]
    assert "wal_level=replica" in primary["command"] and "hot_standby=on" in replica["command"]
    assert "pg_basebackup" in script and "--write-recovery-conf" in script
    slot = re.search(r"REPLICATION_SLOT:-(\w+)", script)[1]
    assert f"pg_create_physical_replication_slot('{slot}')" in init
    user = re.search(r"REPLICATION_USER:-(\w+)", script)[1]
    assert f"CREATE ROLE {user} LOGIN REPLICATION" in init and f"replication {user}" in init


def test_every_file_the_compose_file_mounts_is_in_the_repository(services):
    mounted = [
        volume.split(":")[0]
        for service in services.values()
        for volume in service.get("volumes", [])
        if volume.startswith("./")
    ]
    assert mounted and [path for path in mounted if not (ROOT / path).is_file()] == []


def test_caddy_and_the_app_agree_on_the_proxies_to_trust(services):
    caddyfile = "\n".join(
        line for line in CADDYFILE.read_text().splitlines() if not line.lstrip().startswith("#")
    )
    # Caddy trusting no proxy overwrites X-Forwarded-For with the client's address: one entry to believe;
    # trusting a load balancer, it appends to the balancer's: two.
    expected = 2 if "trusted_proxies" in caddyfile else 1
    assert int(services["web"]["environment"]["TRUSTED_PROXY_COUNT"]) == expected
    assert re.search(r"reverse_proxy \{\$WEB_UPSTREAMS:web:8000\}", caddyfile)
    assert services["caddy"]["environment"]["WEB_UPSTREAMS"] == "web:8000"
    assert re.search(r"^\s*health_uri /readyz$", caddyfile, re.MULTILINE)
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in services["caddy"]["volumes"]


def test_caddy_reads_the_caddyfile_as_a_tls_site_in_front_of_every_web_node(tmp_path):
    # Caddy's own parser (Debian's caddy, scripts/ensure-caddy): the JSON config the Caddyfile becomes.
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "SITE_URL": "https://portal.example.com",
        "WEB_UPSTREAMS": "10.0.0.11:8000 10.0.0.12:8000",
    }
    result = subprocess.run(
        ["caddy", "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    (server,) = json.loads(result.stdout)["apps"]["http"]["servers"].values()
    assert server["listen"] == [":443"]
    (site,) = server["routes"]
    assert site["match"] == [{"host": ["portal.example.com"]}]
    readyz, proxy = site["handle"][0]["routes"]
    assert readyz["match"] == [{"path": ["/readyz"]}] and readyz["handle"][0]["status_code"] == 404
    (handler,) = proxy["handle"]
    assert [upstream["dial"] for upstream in handler["upstreams"]] == ["10.0.0.11:8000", "10.0.0.12:8000"]
    assert handler["health_checks"]["active"]["uri"] == "/readyz"
    assert handler["health_checks"]["active"]["headers"] == {"Host": ["localhost"]}
    assert "trusted_proxies" not in json.dumps(server), (
        "see test_caddy_and_the_app_agree_on_the_proxies_to_trust"
    )


def dockerfile_stages() -> list[dict]:
    """The Dockerfile's stages: each {"name", "from", "args", "instructions": [(INSTRUCTION, arguments)]}."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    global_args: dict[str, str] = {}
    stages: list[dict] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        instruction, arguments = instruction.upper(), arguments.strip()
        if instruction == "FROM":
            image, _, name = re.sub(r"\$\{(\w+)\}", lambda m: global_args[m[1]], arguments).partition(" AS ")
            stages.append({"name": name.strip(), "from": image.strip(), "args": {}, "instructions": []})
        elif instruction == "ARG" and not stages:
            key, _, default = arguments.partition("=")
            global_args[key] = default
        else:
            if instruction == "ARG":
                key, _, default = arguments.partition("=")
                stages[-1]["args"][key] = default
            stages[-1]["instructions"].append((instruction, arguments))
    return stages


def test_the_image_is_built_in_two_stages_and_runs_as_a_user_of_its_own():
    stages = dockerfile_stages()
    assert [stage["name"] for stage in stages] == ["builder", "runtime"]
    runtime = stages[-1]
    users = [arguments for instruction, arguments in runtime["instructions"] if instruction == "USER"]
    assert users, "the final stage must not run as root"
    user = re.sub(r"\$\{(\w+)\}", lambda m: runtime["args"][m[1]], users[-1])
    assert user.split(":")[0] not in {"root", "0"} and user.split(":")[0].isdigit(), user
    volumes = [arguments for instruction, arguments in runtime["instructions"] if instruction == "VOLUME"]
    assert volumes == ['["/app/.data"]']
    runs = " ".join(arguments for instruction, arguments in runtime["instructions"] if instruction == "RUN")
    assert "chown -R medspa:medspa /app/.data" in runs and "collectstatic" in runs
    healthchecks = [
        arguments for instruction, arguments in runtime["instructions"] if instruction == "HEALTHCHECK"
    ]
    assert len(healthchecks) == 1 and "/livez" in healthchecks[0]


def test_the_image_installs_the_production_lock_alone_checking_every_hash():
    stages = dockerfile_stages()
    builder, runtime = stages
    for stage in (builder, runtime):
        runs = [arguments for instruction, arguments in stage["instructions"] if instruction == "RUN"]
        installs = [run for run in runs if re.search(r"\bpip (install|wheel)\b", run)]
        assert installs and all("--require-hashes" in run and "prod.lock" in run for run in installs), (
            installs
        )
    assert ("COPY", "requirements/prod.lock /build/prod.lock") in builder["instructions"]
    assert "dev.lock" not in DOCKERFILE.read_text()
    assert any("--mount=type=bind,from=builder" in arguments for _, arguments in runtime["instructions"])


def test_the_image_has_the_postgresql_client_of_the_servers_major_version_and_age(services):
    runs = " ".join(
        arguments
        for instruction, arguments in dockerfile_stages()[-1]["instructions"]
        if instruction == "RUN"
    )
    (client,) = re.findall(r"postgresql-client-(\d+)", runs)
    for name in ("postgres", "postgres-replica"):
        server = re.fullmatch(r"postgres:(\d+)(?:[.-].*)?", services[name]["image"])
        assert server and server[1] == client, (
            f"{name} runs {services[name]['image']}, the image has client {client}"
        )
    assert re.search(r"apt-get install .*\bage\b", runs)


def test_the_static_files_collect_as_the_image_build_collects_them(tmp_path):
    # The Dockerfile runs collectstatic with DEBUG off: whitenoise's CompressedManifestStaticFilesStorage,
    # whose manifest (Django's, below, without the compressing that takes minutes here) rewrites every
    # reference between files (a script's source map, a stylesheet's fonts) and fails on a missing one.
    manifest_storage = {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}
    with override_settings(
        STATIC_ROOT=tmp_path, STORAGES={**settings.STORAGES, "staticfiles": manifest_storage}
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    assert "vendor/event-calendar/event-calendar.min.js.map" in manifest
    assert (tmp_path / manifest["vendor/event-calendar/event-calendar.min.js"]).is_file()
