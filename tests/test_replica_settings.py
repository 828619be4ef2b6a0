"""DATABASE_REPLICA_URL: the "replica" alias is the primary's settings with the standby's address, or there is
none at all."""

import json
import subprocess

import pytest

from tests.fresh_settings import settings_process

pytestmark = pytest.mark.slow  # loads the settings in fresh interpreters

PRIMARY = "postgres://medspa_app:app-pw@primary.internal:5432/medspa"
DATABASES = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'databases': s.DATABASES, 'routers': s.DATABASE_ROUTERS}, default=str))"
)


def loaded(**variables: str) -> subprocess.CompletedProcess:
    return settings_process(DATABASES, without=("DATABASE_", "REPLICA_"), SECRET_KEY="k" * 60, **variables)


def test_the_replica_has_the_primarys_settings_and_the_standbys_address(tmp_path):
    secret = tmp_path / "replica-url"
    secret.write_text("postgres://medspa_app:app-pw@standby.internal:5433/medspa\n")
    result = loaded(DATABASE_URL=PRIMARY, DATABASE_REPLICA_URL_FILE=str(secret), DATABASE_POOL="true")
    assert result.returncode == 0, result.stderr
    databases = json.loads(result.stdout)["databases"]
    primary, replica = databases["default"], databases["replica"]
    assert (replica["HOST"], replica["PORT"], replica["USER"]) == ("standby.internal", 5433, "medspa_app")
    assert replica["OPTIONS"] == primary["OPTIONS"] and "pool" in replica["OPTIONS"]
    assert replica["CONN_HEALTH_CHECKS"] is primary["CONN_HEALTH_CHECKS"] is True
    assert primary["ATOMIC_REQUESTS"] is True and replica["ATOMIC_REQUESTS"] is False
    assert replica["TEST"]["MIRROR"] == "default"
    assert json.loads(result.stdout)["routers"] == ["medspa.db_router.ReplicaRouter"]


def test_without_a_replica_url_there_is_no_replica():
    result = loaded(DATABASE_URL=PRIMARY)
    assert result.returncode == 0, result.stderr
    assert list(json.loads(result.stdout)["databases"]) == ["default"]


def test_a_replica_read_as_another_role_is_refused():
    result = loaded(
        DATABASE_URL=PRIMARY, DATABASE_REPLICA_URL="postgres://postgres:pw@standby.internal/medspa"
    )
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL must name the app role" in result.stderr
