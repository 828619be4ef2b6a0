"""`make backup` / `make restore` (scripts/backup, scripts/restore): data made through the product (patients
from the admin pages, a charted, paid and signed visit, the audit rows pghistory and the access log write on
their own) is dumped from the test database, restored into a new empty database, and found there whole:
every table with its row count, and patients, charts and audit rows value for value. A database that is not
empty is refused."""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pghistory.models
import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from psycopg import sql

from medspa.models import Patient, PatientAccessLog
from medspa.tenancy import medspa_scope
from providers.models import Visit
from providers.services import charting
from tests import factories

pytestmark = pytest.mark.slow  # runs pg_dump and pg_restore

ROOT = Path(__file__).resolve().parent.parent


def _conninfo(name: str, role: str = "app") -> dict:
    db, credentials = connection.settings_dict, settings.DATABASE_ROLES[role]
    info = {"dbname": name, "user": credentials["USER"], "password": credentials["PASSWORD"],
            "host": db["HOST"], "port": str(db["PORT"] or "")}  # fmt: skip
    return {key: value for key, value in info.items() if value}


def _script_env(name: str) -> dict:
    """The environment that makes the scripts use database `name` of the test server: the embedded
    server's own settings when the tests run on it (the scripts' embedded branch), else a DATABASE_URL."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DATABASE_OWNER_URL", "RESTORE_FORCE", "BACKUP_FILE"}
        and not key.startswith("BACKUP_AGE_")
    }
    pgdata = getattr(settings, "EMBEDDED_PGDATA", None)
    if pgdata is not None:
        return {**env, "EMBEDDED_PGDATA": str(pgdata), "EMBEDDED_DATABASE_NAME": name}
    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")

    def url(role: str) -> str:
        credentials = settings.DATABASE_ROLES[role]
        auth = quote(credentials["USER"], safe="")
        if credentials["PASSWORD"]:
            auth += ":" + quote(credentials["PASSWORD"], safe="")
        return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{name}"

    return {**env, "DATABASE_URL": url("app"), "DATABASE_OWNER_URL": url("owner")}


def _run(script: str, name: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), *args],
        env={**_script_env(name), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _tables(cursor) -> list[str]:
    cursor.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    return [row[0] for row in cursor.fetchall()]


def _counts(cursor, tables) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        counts[table] = cursor.fetchone()[0]
    return counts


def _rows(cursor, table: str, key: str) -> list[tuple]:
    cursor.execute(sql.SQL("SELECT * FROM {} ORDER BY {}").format(sql.Identifier(table), sql.Identifier(key)))
    return cursor.fetchall()


@pytest.fixture
def fresh_database():
    """A new, empty database on the test server, owned by the owner role as the product's is, dropped
    afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    owner = settings.DATABASE_ROLES["owner"]["USER"]
    with psycopg.connect(**_conninfo("postgres", "superuser"), autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(owner))
        )
    yield name
    with psycopg.connect(**_conninfo("postgres", "superuser"), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.mark.usefixtures("media_and_sms")
def test_a_backup_restores_into_an_empty_database_with_every_patient_chart_and_audit_row(
    transactional_db, cast, client_as, world, provider, fresh_database, tmp_path
):
    # Data made the product's way: patients from the admin pages, their profiles read (the access log), a
    # visit charted, paid and signed.
    admin = client_as("admin_a")
    for first_name in ("Ana", "Bea", "Cleo"):
        response = admin.post(
            "/dashboard/patients/new/",
            {"first_name": first_name, "last_name": "Lopez", "date_of_birth": "1990-04-02",
             "email": f"{first_name.lower()}@mail.example", "assigned_providers": [provider.pk]},
        )  # fmt: skip
        assert response.status_code == 302
        assert admin.get(response["Location"]).status_code == 200
    sale = factories.paid_visit(world, provider, cast.provider_a1)
    audit_tables = sorted(
        [m._meta.db_table for m in apps.get_models() if issubclass(m, pghistory.models.Event)]
        + [PatientAccessLog._meta.db_table]
    )
    with medspa_scope(cast.medspa_a):
        charting.visit_notes_save(visit=sale.visit, notes="20 units glabella, no complications.")
        charting.chart_sign(visit=sale.visit, by=cast.provider_a1)
        assert Patient.objects.count() == 4 and Visit.objects.get().is_signed
        assert PatientAccessLog.objects.count() == 3

    backup_file = tmp_path / "medspa.dump"
    source = connection.settings_dict["NAME"]
    made = _run("backup", source, BACKUP_FILE=str(backup_file), BACKUP_ALLOW_UNENCRYPTED="1")
    assert made.returncode == 0, made.stderr
    assert backup_file.stat().st_mode & 0o077 == 0  # patient data: readable by its owner only

    restored = _run("restore", fresh_database, str(backup_file))
    assert restored.returncode == 0, restored.stderr
    assert f"Restored {backup_file} into database {fresh_database}" in restored.stdout

    with (
        psycopg.connect(**_conninfo(source)) as original,
        psycopg.connect(**_conninfo(fresh_database)) as copy,
    ):
        before, after = original.cursor(), copy.cursor()
        tables = _tables(before)
        assert _tables(after) == tables
        counts = _counts(before, tables)
        assert _counts(after, tables) == counts  # every table, every row
        # Value for value: patients, charts (visits and what they hold), and every audit row.
        by_id = [Patient._meta.db_table, Visit._meta.db_table, PatientAccessLog._meta.db_table]
        for table in [*by_id, *audit_tables]:
            key = "id" if table in by_id else "pgh_id"
            assert _rows(after, table, key) == _rows(before, table, key), table
    assert counts[Patient._meta.db_table] == 4 and counts[Visit._meta.db_table] == 1
    assert counts[PatientAccessLog._meta.db_table] == 3
    assert sum(counts[table] for table in audit_tables) > 20
    print(f"backup: {backup_file.stat().st_size:,} bytes, {len(tables)} tables, {sum(counts.values())} rows")

    # The restored database is no longer empty: a second restore is refused, and nothing is touched.
    again = _run("restore", fresh_database, str(backup_file))
    assert again.returncode != 0
    assert f"Refusing to restore: database {fresh_database} is not empty" in again.stderr
    assert "RESTORE_FORCE=1" in again.stderr


def test_restore_says_what_it_needs(tmp_path):
    name = connection.settings_dict["NAME"]
    missing = _run("restore", name)
    assert missing.returncode != 0 and "make restore BACKUP_FILE=" in missing.stderr
    nothing = _run("restore", name, str(tmp_path / "no.dump"))
    assert nothing.returncode != 0 and "No backup file at" in nothing.stderr
