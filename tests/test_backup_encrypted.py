"""The scheduled backup (medspa.tasks.database_backup) against the local S3 (tests/s3.py) with a throwaway age
key pair: the object in the bucket is age ciphertext, encrypted at rest by the server too; `manage.py
backup_restore` checks it against its manifest, decrypts it and restores it into a new empty database,
where patients, appointments and audit rows are found whole. Rotation deletes old backups from the bucket."""

import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory

from medspa.models import Medspa, Patient, PatientAccessLog
from medspa.services import backups, patients
from medspa.tasks import database_backup
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment
from tests import factories, test_backup
from tests.test_backup import _conninfo, _counts, _rows, _tables

fresh_database = test_backup.fresh_database  # a new empty database owned by the owner role, dropped after

pytestmark = pytest.mark.slow  # runs pg_dump, age and pg_restore


@pytest.fixture(scope="session")
def age_keys(tmp_path_factory):
    """A throwaway age key pair: (public key, identity file)."""
    identity = tmp_path_factory.mktemp("age") / "identity.txt"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True, timeout=30)
    public = next(line.split(": ")[1] for line in identity.read_text().splitlines() if "public key" in line)
    return public, identity


def _database_url(name: str) -> str:
    info = _conninfo(name, "owner")
    host = info.get("host", "").replace("/", "%2F")
    return f"postgres://{info['user']}:{info.get('password', '')}@{host}:{info.get('port', 5432)}/{name}"


@pytest.mark.usefixtures("media_and_sms")
def test_the_daily_backup_is_encrypted_in_the_bucket_and_restores_into_an_empty_database(
    transactional_db, cast, world, provider, s3, age_keys, fresh_database, settings
):
    public, identity = age_keys
    settings.BACKUP_AGE_RECIPIENTS = [public]
    with medspa_scope(cast.medspa_a):
        for first_name in ("Ana", "Bea", "Cleo"):
            patient = factories.PatientFactory(medspa=cast.medspa_a, first_name=first_name, last_name="Lopez")
            request = RequestFactory().get("/")
            request.user = cast.admin_a
            patients.patient_access_record(patient=patient, request=request, viewed="profile")  # audit
        factories.paid_visit(world, provider, cast.provider_a1)  # an appointment, a chart, a sale
        assert Appointment.objects.count() == 1 and Patient.objects.count() == 4

    # As under PgBouncer, where pg_dump connects to PostgreSQL itself (BACKUP_DATABASE_URL).
    settings.DATABASE_PGBOUNCER = True
    settings.BACKUP_DATABASE_URL = _database_url(connection.settings_dict["NAME"])
    name = database_backup()
    assert database_backup() == name  # once per UTC day: a second run finds it made
    assert s3.keys("backups/") == [f"backups/{name}", f"backups/{name}.json"]

    # Encrypted by us (age, to the public key only) and at rest by the server: not a pg_dump file.
    body = s3.client.get_object(Bucket=s3.bucket, Key=f"backups/{name}")["Body"].read()
    assert body.startswith(b"age-encryption.org/v1\n") and b"PGDMP" not in body[:4096]
    assert s3.head(f"backups/{name}")["ServerSideEncryption"] == "AES256"
    manifest = json.loads(s3.client.get_object(Bucket=s3.bucket, Key=f"backups/{name}.json")["Body"].read())
    assert manifest["sha256"] == hashlib.sha256(body).hexdigest() and manifest["size"] == len(body)
    assert manifest["server_version"].split(".")[0] == str(connection.pg_version // 10000)

    # A copy changed in the bucket is refused before anything is restored.
    tampered = (datetime.now(UTC) + timedelta(seconds=1)).strftime(backups.NAME_FORMAT)
    s3.client.put_object(Bucket=s3.bucket, Key=f"backups/{tampered}", Body=body[:-1] + b"!")
    s3.client.put_object(
        Bucket=s3.bucket, Key=f"backups/{tampered}.json", Body=json.dumps({**manifest, "name": tampered})
    )
    with pytest.raises(backups.BackupError, match="does not match its manifest"):
        backups.backup_restore(
            name=tampered, conninfo=_conninfo(fresh_database, "owner"), identity_file=identity
        )
    storages["backups"].delete(f"{tampered}.json")
    storages["backups"].delete(tampered)

    url = _database_url(fresh_database)
    call_command("backup_restore", "latest", identity=str(identity), database_url=url)

    source = connection.settings_dict["NAME"]
    with (
        psycopg.connect(**_conninfo(source)) as original,
        psycopg.connect(**_conninfo(fresh_database)) as copy,
    ):
        before, after = original.cursor(), copy.cursor()
        tables = _tables(before)
        assert _tables(after) == tables
        counts = _counts(before, tables)
        assert _counts(after, tables) == counts
        for table in (Patient._meta.db_table, Appointment._meta.db_table, PatientAccessLog._meta.db_table):
            assert _rows(after, table, "id") == _rows(before, table, "id"), table
    assert counts[Patient._meta.db_table] == 4 and counts[Appointment._meta.db_table] == 1
    assert counts[PatientAccessLog._meta.db_table] == 3
    print(f"encrypted backup: {len(body):,} bytes in {manifest['duration_seconds']} s")

    with pytest.raises(backups.BackupError, match="is not empty"):  # restored: no longer empty
        backups.backup_restore(conninfo=_conninfo(fresh_database, "owner"), identity_file=identity)


def test_rotation_in_the_bucket_deletes_only_old_backups(s3):
    storage = storages["backups"]
    start = datetime(2026, 1, 1, 3, 15, tzinfo=UTC)
    for n in range(20):
        name = (start + timedelta(days=n)).strftime(backups.NAME_FORMAT)
        storage.save(name, ContentFile(b"age-encryption.org/v1\n"))
        storage.save(name + ".json", ContentFile(b"{}"))
    storage.save("README.txt", ContentFile(b"the operator's own note"))

    deleted = backups.backups_rotate(daily=3, weekly=3, monthly=1)

    left = sorted(key.removeprefix("backups/") for key in s3.keys("backups/"))
    # 18-20 January (Tuesday 20 January's ISO week and the week before end on the 20th and the 18th), and
    # Sunday 11 January ending the third week.
    assert left == sorted(["README.txt"] + [f"medspa-202601{day}T031500Z.dump.age{suffix}"
                          for day in ("11", "18", "19", "20") for suffix in ("", ".json")])  # fmt: skip
    assert len(deleted) == 2 * 16


def test_without_recipients_nothing_is_stored_unencrypted(tmp_path, settings):
    settings.BACKUP_AGE_RECIPIENTS = []
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    storages._storages = {}
    try:
        settings.EMBEDDED_PGDATA = tmp_path  # the local embedded database: skipped, with a warning
        assert backups.backup_daily() is None
        del settings.EMBEDDED_PGDATA  # a configured database: an error, every day until it is set
        with pytest.raises(backups.BackupNotConfigured, match="BACKUP_AGE_RECIPIENTS is empty"):
            backups.backup_daily()
        with pytest.raises(CommandError, match="BACKUP_AGE_RECIPIENTS is empty"):
            call_command("backup_database")
        assert list(tmp_path.iterdir()) == []
    finally:
        storages._storages = {}


def test_make_backup_encrypts_to_the_recipients_and_make_restore_decrypts_with_the_identity(
    transactional_db, cast, age_keys, fresh_database, tmp_path
):
    public, identity = age_keys
    backup_file = tmp_path / "medspa.dump.age"
    source = connection.settings_dict["NAME"]
    made = test_backup._run("backup", source, str(backup_file), BACKUP_AGE_RECIPIENTS=f"# ops\n{public}\n")
    assert made.returncode == 0, made.stderr
    assert "encrypted to 1 age recipient(s)" in made.stdout
    assert backup_file.read_bytes().startswith(b"age-encryption.org/v1\n")
    assert backup_file.stat().st_mode & 0o077 == 0

    no_key = test_backup._run("restore", fresh_database, str(backup_file))
    assert no_key.returncode != 0 and "BACKUP_AGE_IDENTITY_FILE" in no_key.stderr
    restored = test_backup._run(
        "restore", fresh_database, str(backup_file), BACKUP_AGE_IDENTITY_FILE=str(identity)
    )
    assert restored.returncode == 0, restored.stderr
    with (
        psycopg.connect(**_conninfo(source)) as original,
        psycopg.connect(**_conninfo(fresh_database)) as copy,
    ):
        tables = _tables(original.cursor())
        assert _counts(copy.cursor(), tables) == _counts(original.cursor(), tables)
        assert _counts(copy.cursor(), [Medspa._meta.db_table]) == {Medspa._meta.db_table: 2}


def test_make_backup_of_a_configured_database_refuses_to_write_it_unencrypted(tmp_path):
    url = "postgres://medspa@127.0.0.1:9/medspa"  # never reached: refused before connecting
    env = {"DATABASE_URL": url, "DATABASE_OWNER_URL": url, "BACKUP_FILE": str(tmp_path / "x.dump")}
    refused = subprocess.run(
        [sys.executable, str(test_backup.ROOT / "scripts" / "backup")],
        env={**test_backup._script_env("medspa"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0
    assert "Refusing to write an unencrypted backup of database medspa" in refused.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_failed_backup_is_logged_as_an_error_fails_the_task_and_leaves_nothing_stored(
    transactional_db, tmp_path, settings, caplog
):
    settings.BACKUP_AGE_RECIPIENTS = ["age1notakey"]  # age refuses it: the backup cannot be encrypted
    settings.BACKUP_DATABASE_URL = _database_url(connection.settings_dict["NAME"])  # not through PgBouncer
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    storages._storages = {}
    try:
        with pytest.raises(backups.BackupError, match="age failed"):
            database_backup()
    finally:
        storages._storages = {}
    assert [r.levelname for r in caplog.records if r.getMessage() == "Database backup failed"] == ["ERROR"]
    assert list(tmp_path.iterdir()) == []


def test_under_pgbouncer_the_backup_needs_a_direct_connection(settings):
    settings.DATABASE_PGBOUNCER, settings.BACKUP_DATABASE_URL = True, ""
    with pytest.raises(backups.BackupError, match="set BACKUP_DATABASE_URL to PostgreSQL itself"):
        backups.backup_conninfo()
    settings.BACKUP_DATABASE_URL = "postgres://owner:s%40cret@db.internal:5433/medspa?sslmode=require"
    assert backups.backup_conninfo() == {
        "dbname": "medspa", "user": "owner", "password": "s@cret", "host": "db.internal", "port": "5433",
        "sslmode": "require",
    }  # fmt: skip
