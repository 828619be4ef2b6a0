import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from medspa import env
from tests.fresh_settings import settings_process

pytestmark = pytest.mark.slow  # starts Django in subprocesses

ROOT = Path(__file__).resolve().parent.parent


def test_production_mode_passes_the_deploy_check():
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment |= {
        "DJANGO_SETTINGS_MODULE": "medspa.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "DEBUG": "false",
        "SECRET_KEY": "x9$Vq2!mZ7#pL4@rT8^wK1&nB6*cJ3(hF5)dG0_sY-uE=aQ+iO",
        "ALLOWED_HOSTS": "portal.example.com",
        "DATABASE_URL": _database_url(),
        # The cache and the broker in Redis databases of their own (one is warned of: medspa.W001).
        "REDIS_CACHE_URL": "redis://127.0.0.1:6379/0",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _database_url() -> str:
    db = settings.DATABASES["default"]
    host = db["HOST"]
    if host.startswith("/"):  # the embedded server listens on a socket folder
        return f"postgres://{db['USER']}@/{db['NAME']}?host={host}&port={db['PORT']}"
    return f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{host}:{db['PORT']}/{db['NAME']}"


def test_the_policy_forbids_inline_scripts_and_styles():
    assert "'unsafe-inline'" not in str(settings.SECURE_CSP)
    # Scripts from the product only; the pages with Stripe's card field add Stripe.js (medspa.payments.csp).
    assert settings.SECURE_CSP["script-src"] == ["'self'"]
    assert "django.middleware.csp.ContentSecurityPolicyMiddleware" in settings.MIDDLEWARE


def test_pages_carry_the_security_headers(client, db):
    response = client.get("/accounts/login/")
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert len(response["X-Request-ID"]) >= 8


@pytest.mark.parametrize("raw", ["maybe", "2", "yes please"])
def test_a_bad_boolean_fails_loudly(monkeypatch, raw):
    monkeypatch.setenv("SOME_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env.env_bool("SOME_FLAG")


def test_a_bad_number_fails_loudly(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "fifteen")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env.env_int("SOME_NUMBER", 1)
    monkeypatch.setenv("SOME_NUMBER", "3")
    with pytest.raises(ImproperlyConfigured, match="below the minimum"):
        env.env_int("SOME_NUMBER", 10, minimum=60)


def test_a_secret_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t\n")
    monkeypatch.setenv("SOME_SECRET_FILE", str(secret))
    assert env.env_secret("SOME_SECRET") == "s3cr3t"
    monkeypatch.setenv("SOME_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env.env_secret("SOME_SECRET")


def django_setup(**overrides: str | None) -> subprocess.CompletedProcess:
    """Loads the product's settings in a fresh interpreter with the environment changed as given
    (None removes a variable)."""
    return settings_process("import django; django.setup()", timeout=60, **overrides)


def test_a_configured_deployment_without_a_secret_key_refuses_to_start():
    result = django_setup(SECRET_KEY=None, SECRET_KEY_FILE=None, DATABASE_URL=_database_url())
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_sqlite_is_refused():
    result = django_setup(DATABASE_URL="sqlite:///x.db", SECRET_KEY="k" * 60)
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr


STRIPE_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "from medspa.payments.client import configured; from medspa.payments.csp import stripe_policy; "
    "print(json.dumps({'configured': configured(), 'key': s.STRIPE_SECRET_KEY, 'api': s.STRIPE_API_URL, "
    "'local': s.STRIPE_LOCAL_URL, 'js': s.STRIPE_JS_URL, 'script_src': stripe_policy()['script-src'], "
    "'form_action': stripe_policy()['form-action'], 'site_script_src': s.SECURE_CSP['script-src']}))"
)


def stripe_settings(**overrides: str) -> dict:
    """The product's Stripe settings loaded in a fresh interpreter, from an environment with no STRIPE_
    variable but `overrides`."""
    import json

    result = settings_process(
        STRIPE_SETTINGS, without=("STRIPE_",), timeout=60, DATABASE_URL=_database_url(), **overrides
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_without_a_stripe_key_leaves_stripe_unconfigured():
    found = stripe_settings(DEBUG="false")
    assert (found["configured"], found["key"], found["local"]) == (False, "", "")
    assert found["api"] == "https://api.stripe.com"


def test_a_development_run_without_a_key_uses_the_local_stripe_server():
    found = stripe_settings(DEBUG="true")
    assert found["configured"] and found["key"] == "sk_test_local"
    assert found["local"] == found["api"] == "http://127.0.0.1:8420"
    assert found["js"] == "http://127.0.0.1:8420/js.stripe.com/v3/"
    assert "http://127.0.0.1:8420" in found["script_src"] and "http://127.0.0.1:8420" in found["form_action"]
    assert found["site_script_src"] == ["'self'"]  # only the pages with Stripe's card field name it


def test_a_real_key_is_used_and_the_local_server_is_off_even_if_named():
    found = stripe_settings(
        DEBUG="true", STRIPE_SECRET_KEY="sk_test_real", STRIPE_LOCAL_URL="http://127.0.0.1:8420"
    )
    assert (found["configured"], found["key"], found["local"]) == (True, "sk_test_real", "")
    assert found["api"] == "https://api.stripe.com" and "https://js.stripe.com" in found["script_src"]
    assert "https://connect.stripe.com" in found["form_action"]  # Connect's hosted onboarding


def test_the_local_stripe_server_is_refused_outside_a_development_run():
    result = django_setup(
        DEBUG="false", STRIPE_LOCAL_URL="http://127.0.0.1:8420", DATABASE_URL=_database_url()
    )
    assert result.returncode != 0
    assert "STRIPE_LOCAL_URL" in result.stderr


def test_the_redis_visibility_timeout_outlasts_every_wait_a_task_is_held_for():
    """Celery's Redis caveat: a task held by a worker past the visibility timeout (a countdown, a retry's
    backoff) is handed to another worker and runs again. Every wait the project's tasks use stays five
    minutes below it, the time left for the run itself."""
    from celery.utils.time import get_exponential_backoff_interval

    from medspa.celery import app
    from scheduling.services import hooks

    app.loader.import_default_modules()
    waits = {"scheduling.tasks.appointment_notify (reschedule notice)": hooks.RESCHEDULE_NOTICE_DELAY}
    for name, task in app.tasks.items():
        if name.startswith("celery.") or not getattr(task, "autoretry_for", ()):
            continue
        if task.retry_backoff:
            factor = 1 if task.retry_backoff is True else task.retry_backoff
            waits[name] = get_exponential_backoff_interval(
                factor, task.max_retries - 1, getattr(task, "retry_backoff_max", 600), full_jitter=False
            )  # celery.app.autoretry's own default cap: 600 s
        else:
            waits[name] = task.default_retry_delay
    assert len(waits) > 5  # the retrying tasks were found
    longest = max(waits.values())
    assert longest == 600  # medspa.tasks' Stripe retries: the backoff's cap
    assert longest + 5 * 60 <= settings.REDIS_BROKER_OPTIONS["visibility_timeout"], waits
    # A task run at once is killed at the hard time limit before its message could be handed out again.
    assert settings.REDIS_BROKER_OPTIONS["visibility_timeout"] >= settings.CELERY_TASK_TIME_LIMIT + 5 * 60


def _database_settings(monkeypatch, **environment) -> dict:
    """The product's database settings for this environment (settings.py run afresh; nothing connects)."""
    import runpy

    for name in ("DATABASE_OWNER_URL", "DATABASE_PGBOUNCER", "DATABASE_POOL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {"SECRET_KEY": "k" * 60, **environment}.items():
        monkeypatch.setenv(name, value)
    namespace = runpy.run_path(str(Path(settings.BASE_DIR) / "medspa" / "settings.py"))
    return {"DATABASES": namespace["DATABASES"], "DATABASE_ROLES": namespace["DATABASE_ROLES"]}


BOUNCER = "postgres://medspa_app:a@pgbouncer:6432/medspa"
DIRECT = "postgres://medspa_owner:o@postgres:5432/medspa"


def test_behind_pgbouncer_the_owner_may_reach_postgresql_itself(monkeypatch):
    found = _database_settings(
        monkeypatch,
        DATABASE_URL=BOUNCER,
        DATABASE_OWNER_URL=DIRECT,
        DATABASE_PGBOUNCER="true",
        DATABASE_POOL="1",
    )
    default = found["DATABASES"]["default"]
    assert (default["HOST"], default["PORT"], default["USER"]) == ("pgbouncer", 6432, "medspa_app")
    assert default["OPTIONS"]["prepare_threshold"] is None  # no server-side prepared statements
    assert default["OPTIONS"]["pool"]["max_size"] == 10  # a small pool of connections to PgBouncer
    owner = found["DATABASE_ROLES"]["owner"]
    assert (owner["USER"], owner["HOST"], owner["PORT"]) == ("medspa_owner", "postgres", 5432)


def test_without_pgbouncer_the_owner_names_the_same_server_and_nothing_else_changes(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_OWNER_URL must name the same database"):
        _database_settings(monkeypatch, DATABASE_URL=BOUNCER, DATABASE_OWNER_URL=DIRECT)
    with pytest.raises(ImproperlyConfigured, match="DATABASE_OWNER_URL must name the same database"):
        _database_settings(
            monkeypatch, DATABASE_URL=BOUNCER, DATABASE_PGBOUNCER="true",
            DATABASE_OWNER_URL="postgres://medspa_owner:o@postgres:5432/another",
        )  # fmt: skip
    same = BOUNCER.replace("medspa_app:a", "medspa_owner:o")
    found = _database_settings(monkeypatch, DATABASE_URL=BOUNCER, DATABASE_OWNER_URL=same)
    assert "prepare_threshold" not in found["DATABASES"]["default"]["OPTIONS"]
    assert "HOST" not in found["DATABASE_ROLES"]["owner"]  # the owner's connection is the app role's
