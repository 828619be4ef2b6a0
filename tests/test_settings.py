import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from medspa import env

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
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "medspa.settings"}
    for name, value in overrides.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_configured_deployment_without_a_secret_key_refuses_to_start():
    result = django_setup(SECRET_KEY=None, SECRET_KEY_FILE=None, DATABASE_URL=_database_url())
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_sqlite_is_refused():
    result = django_setup(DATABASE_URL="sqlite:///x.db", SECRET_KEY="k" * 60)
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr
