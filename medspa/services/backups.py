"""Encrypted backups of the database in the backups storage (STORAGES["backups"]: a folder by default, the
bucket under S3), made daily by Celery beat (medspa.tasks.database_backup), rotated grandfather-father-son,
and restored by `manage.py backup_restore`.

A backup is `pg_dump --format=custom` of the configured database as its owner role, piped through `age`
(https://age-encryption.org, the file format https://c2sp.org/age) to the public keys of
BACKUP_AGE_RECIPIENTS, so that the servers that write backups hold no key that can read them: only the
holder of an identity (BACKUP_AGE_IDENTITY_FILE, kept off the servers) can. The plain dump never touches a
disk: pg_dump writes into age, and only the ciphertext is spooled to a private temporary file on its way to
the storage. Beside each `medspa-<UTC time>.dump.age` goes `medspa-<UTC time>.dump.age.json`, its manifest
(size and SHA-256 of the ciphertext, PostgreSQL and pg_dump versions, duration), written last: a backup
without one is incomplete and never restored or counted as kept."""

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import dj_database_url
import psycopg
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import connections

from medspa.env import env_bool
from medspa.pgtools import tool_choose, tool_major

logger = logging.getLogger(__name__)

NAME_FORMAT = "medspa-%Y%m%dT%H%M%SZ.dump.age"
MANIFEST_SUFFIX = ".json"
# Rotation and "latest" look at these names only: nothing else in the storage is ever deleted.
_BACKUP_NAME = re.compile(r"^medspa-(?P<stamp>\d{8}T\d{6}Z)\.dump\.age(?P<manifest>\.json)?$")
_CHUNK = 1024 * 1024
# libpq's environment variables (https://www.postgresql.org/docs/current/libpq-envars.html): the password
# never on a command line.
_LIBPQ_ENV = {"dbname": "PGDATABASE", "user": "PGUSER", "password": "PGPASSWORD", "host": "PGHOST",
              "port": "PGPORT", "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT",
              "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY"}  # fmt: skip


class BackupError(Exception):
    """A backup or a restore that could not be made; the message says what to do."""


class BackupNotConfigured(BackupError):
    """BACKUP_AGE_RECIPIENTS is empty: no backup is written unencrypted to the storage."""


@dataclass(frozen=True)
class Manifest:
    """What is known of one backup: written beside it, checked before it is restored."""

    name: str
    created: str
    size: int
    sha256: str
    server_version: str
    pg_dump_major: int
    duration_seconds: float
    database: str
    recipients: list[str]

    @property
    def server_major(self) -> int:
        return int(self.server_version.split(".")[0])


def backup_stamp(name: str) -> datetime | None:
    """The UTC time in a backup's (or its manifest's) name; None for any other name."""
    found = _BACKUP_NAME.match(name)
    if not found:
        return None
    return datetime.strptime(found["stamp"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def backups_to_keep(stamps: Iterable[datetime], *, daily: int, weekly: int, monthly: int) -> set[datetime]:
    """Grandfather-father-son: the newest backup of each of the `daily` latest UTC days that have one, of
    each of the `weekly` latest ISO weeks, and of each of the `monthly` latest months (the rule of borg's
    and restic's `--keep-daily/--keep-weekly/--keep-monthly`: a period without a backup does not use up a
    place). The newest backup is always kept."""
    newest_first = sorted(set(stamps), reverse=True)
    keep = set(newest_first[:1])
    for count, period in (
        (daily, lambda stamp: stamp.date()),
        (weekly, lambda stamp: stamp.isocalendar()[:2]),
        (monthly, lambda stamp: (stamp.year, stamp.month)),
    ):
        seen = []
        for stamp in newest_first:
            if len(seen) >= count:
                break
            if period(stamp) not in seen:
                seen.append(period(stamp))
                keep.add(stamp)
    return keep


def _storage(storage: Storage | None) -> Storage:
    return storage or storages["backups"]


def backups_list(*, storage: Storage | None = None) -> tuple[list[str], list[str]]:
    """The backups' names in the storage, oldest first: (complete ones, those without a manifest)."""
    storage = _storage(storage)
    try:
        _, files = storage.listdir("")
    except FileNotFoundError:  # a backups folder not made yet: no backup
        return [], []
    names = {name for name in files if backup_stamp(name)}
    dumps = sorted((name for name in names if not name.endswith(MANIFEST_SUFFIX)), key=backup_stamp)
    complete = [name for name in dumps if name + MANIFEST_SUFFIX in names]
    return complete, [name for name in dumps if name not in complete]


def manifest_read(name: str, *, storage: Storage | None = None) -> Manifest:
    with _storage(storage).open(name + MANIFEST_SUFFIX, "rb") as handle:
        return Manifest(**json.loads(handle.read()))


def _is_embedded() -> bool:
    return getattr(settings, "EMBEDDED_PGDATA", None) is not None


def conninfo_from_url(url: str) -> dict[str, str]:
    """libpq's connection parameters from a postgres:// URL."""
    db = dj_database_url.parse(url)
    parts = {"dbname": "NAME", "user": "USER", "password": "PASSWORD", "host": "HOST", "port": "PORT"}
    info = {key: str(db[part]) for key, part in parts.items() if db.get(part)}
    return info | {key: str(value) for key, value in db.get("OPTIONS", {}).items() if key in _LIBPQ_ENV}


def backup_conninfo() -> dict[str, str]:
    """Where pg_dump and pg_restore connect: BACKUP_DATABASE_URL, else the product's database as its owner.
    Never through PgBouncer in transaction mode: pg_dump's session settings (`SET search_path = ''`) would
    stay on a pooled server connection and break other clients' queries
    (https://github.com/pgbouncer/pgbouncer/issues/452)."""
    if settings.BACKUP_DATABASE_URL:
        return conninfo_from_url(settings.BACKUP_DATABASE_URL)
    pgbouncer = getattr(settings, "DATABASE_PGBOUNCER", None)
    if env_bool("DATABASE_PGBOUNCER", False) if pgbouncer is None else pgbouncer:
        raise BackupError(
            "DATABASE_URL goes through PgBouncer, which pg_dump must not use: set BACKUP_DATABASE_URL to "
            "PostgreSQL itself (the app role may dump: it reads every table)."
        )
    return database_conninfo("owner")


def database_conninfo(role: str = "owner") -> dict[str, str]:
    """libpq's connection parameters for the product's database as `role` (DATABASE_ROLES)."""
    db, credentials = connections["default"].settings_dict, settings.DATABASE_ROLES[role]
    info = {"dbname": db["NAME"], "user": credentials["USER"], "password": credentials.get("PASSWORD") or "",
            "host": db.get("HOST") or "", "port": str(db.get("PORT") or "")}  # fmt: skip
    info |= {key: str(value) for key, value in (db.get("OPTIONS") or {}).items() if key in _LIBPQ_ENV}
    return {key: value for key, value in info.items() if value}


def _libpq_env(conninfo: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    return env | {_LIBPQ_ENV[key]: value for key, value in conninfo.items() if key in _LIBPQ_ENV}


def _server_version(conninfo: dict[str, str]) -> str:
    with psycopg.connect(**conninfo, autocommit=True, connect_timeout=10) as conn:
        return conn.execute("SHOW server_version").fetchone()[0].split()[0]


def age_binary() -> str:
    found = shutil.which("age")
    if not found:
        raise BackupError("The `age` command is not installed: run scripts/ensure-age (Debian's `age`).")
    return found


def _check(process: subprocess.Popen, stderr, what: str) -> None:
    if process.returncode:
        stderr.seek(0)
        message = stderr.read().decode(errors="replace").strip()
        raise BackupError(f"{what} failed (exit status {process.returncode}): {message}")


def backup_create(*, now: datetime | None = None, storage: Storage | None = None) -> Manifest:
    """Dumps the database, encrypts it to BACKUP_AGE_RECIPIENTS on the way, and saves it and its manifest
    to the backups storage. Raises BackupNotConfigured without recipients, BackupError when a tool fails
    (nothing is left in the storage then)."""
    recipients = list(settings.BACKUP_AGE_RECIPIENTS)
    if not recipients:
        raise BackupNotConfigured(
            "BACKUP_AGE_RECIPIENTS is empty: set it to the age public key(s) that may read backups "
            "(age-keygen makes a pair); backups are never stored unencrypted."
        )
    storage = _storage(storage)
    started, monotonic = now or datetime.now(UTC), time.monotonic()
    name = started.strftime(NAME_FORMAT)
    conninfo = backup_conninfo()
    server_version = _server_version(conninfo)
    embedded = _is_embedded() and not settings.BACKUP_DATABASE_URL
    pg_dump = tool_choose("pg_dump", server_major=int(server_version.split(".")[0]), embedded=embedded)
    encrypt = [age_binary(), "--encrypt", *(arg for key in recipients for arg in ("--recipient", key))]
    digest, size = hashlib.sha256(), 0
    with tempfile.TemporaryDirectory(prefix="medspa-backup-") as folder:
        spool = Path(folder) / name  # the directory is the caller's only (0700); the file holds ciphertext
        with (
            spool.open("w+b") as out,
            tempfile.TemporaryFile() as dump_errors,
            tempfile.TemporaryFile() as age_errors,
        ):
            dump = subprocess.Popen(  # noqa: S603 (our own command line)
                [pg_dump, "--format=custom", "--no-password", conninfo["dbname"]],
                stdout=subprocess.PIPE, stderr=dump_errors, env=_libpq_env(conninfo),
            )  # fmt: skip
            age = subprocess.Popen(  # noqa: S603
                encrypt, stdin=dump.stdout, stdout=subprocess.PIPE, stderr=age_errors
            )
            dump.stdout.close()  # age holds the pipe now: pg_dump sees it close if age dies
            try:
                while chunk := age.stdout.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                age.wait()
                dump.wait()
            finally:  # a soft time limit or any error: no process outlives the task
                for process in (age, dump):
                    if process.poll() is None:
                        process.kill()
                        process.wait()
            _check(age, age_errors, "age")  # first: when age dies, pg_dump dies of the closed pipe
            _check(dump, dump_errors, "pg_dump")
            out.seek(0)
            saved = storage.save(name, File(out, name=name))
    manifest = Manifest(
        name=saved,
        created=started.isoformat(),
        size=size,
        sha256=digest.hexdigest(),
        server_version=server_version,
        pg_dump_major=tool_major(pg_dump),
        duration_seconds=round(time.monotonic() - monotonic, 3),
        database=conninfo["dbname"],
        recipients=recipients,
    )
    storage.save(saved + MANIFEST_SUFFIX, ContentFile(json.dumps(asdict(manifest), indent=2).encode()))
    logger.info(
        "Database backup %s written: %s bytes in %.1f s", saved, f"{size:,}", manifest.duration_seconds
    )
    return manifest


def backups_rotate(*, storage: Storage | None = None, daily=None, weekly=None, monthly=None) -> list[str]:
    """Deletes the backups (and manifests) that backups_to_keep does not keep, by BACKUP_KEEP_DAILY,
    _WEEKLY and _MONTHLY, and the incomplete ones older than the newest complete backup. Only names of the
    backup pattern are ever deleted. Returns the deleted names."""
    storage = _storage(storage)
    complete, incomplete = backups_list(storage=storage)
    keep = backups_to_keep(
        [backup_stamp(name) for name in complete],
        daily=settings.BACKUP_KEEP_DAILY if daily is None else daily,
        weekly=settings.BACKUP_KEEP_WEEKLY if weekly is None else weekly,
        monthly=settings.BACKUP_KEEP_MONTHLY if monthly is None else monthly,
    )
    newest = backup_stamp(complete[-1]) if complete else None
    doomed = [name for name in complete if backup_stamp(name) not in keep]
    doomed += [name for name in incomplete if newest and backup_stamp(name) < newest]
    deleted = []
    for name in doomed:
        for path in (name + MANIFEST_SUFFIX, name):  # the manifest first: a half-deleted one is incomplete
            if storage.exists(path):
                storage.delete(path)
                deleted.append(path)
    if deleted:
        logger.info("Database backups rotated: %d files deleted", len(deleted))
    return deleted


def backup_daily(*, now: datetime | None = None, storage: Storage | None = None) -> Manifest | None:
    """The scheduled job: one backup per UTC day (a retry or a second beat on the same day finds it made
    and only rotates), then the rotation. Without recipients, the local embedded database is skipped
    (development: `make backup` makes plain local dumps); any other raises BackupNotConfigured."""
    storage = _storage(storage)
    now = now or datetime.now(UTC)
    if not settings.BACKUP_AGE_RECIPIENTS and _is_embedded():
        logger.warning("Database backup skipped: BACKUP_AGE_RECIPIENTS is empty (local embedded database)")
        return None
    complete, _ = backups_list(storage=storage)
    today = [name for name in complete if backup_stamp(name).date() == now.date()]
    manifest = manifest_read(today[-1], storage=storage) if today else backup_create(now=now, storage=storage)
    backups_rotate(storage=storage)
    return manifest


def _fetch(manifest: Manifest, storage: Storage, path: Path) -> None:
    """Copies the backup to `path`, checking its size and SHA-256 against its manifest."""
    digest, size = hashlib.sha256(), 0
    with storage.open(manifest.name, "rb") as source, path.open("wb") as out:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if size != manifest.size or digest.hexdigest() != manifest.sha256:
        raise BackupError(
            f"{manifest.name} does not match its manifest (size {size:,} for {manifest.size:,}, SHA-256 "
            f"{digest.hexdigest()} for {manifest.sha256}): it was changed or cut; restore another backup."
        )


def _relations(conninfo: dict[str, str]) -> int:
    with psycopg.connect(**conninfo, autocommit=True, connect_timeout=10) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname <> 'information_schema' "
            "AND n.nspname NOT LIKE 'pg\\_%'"
        ).fetchone()[0]


def backup_restore(
    *,
    name: str = "latest",
    conninfo: dict[str, str],
    identity_file: str | Path,
    storage: Storage | None = None,
    embedded: bool = False,
) -> Manifest:
    """Restores backup `name` ("latest": the newest complete one) from the storage into the empty database
    `conninfo` (libpq parameters, as the role that is to own the objects): checks it against its manifest,
    decrypts it with the age identity, and runs pg_restore in one transaction (all or nothing)."""
    storage = _storage(storage)
    complete, _ = backups_list(storage=storage)
    if name == "latest":
        if not complete:
            raise BackupError("There is no complete backup in the backups storage.")
        name = complete[-1]
    if name not in complete:
        raise BackupError(
            f"No complete backup named {name!r} (one with its manifest) in the backups storage."
        )
    identity = Path(identity_file)
    if not identity.is_file():
        raise BackupError(f"No age identity file at {identity}: set BACKUP_AGE_IDENTITY_FILE or --identity.")
    manifest = manifest_read(name, storage=storage)
    found = _relations(conninfo)
    if found:
        raise BackupError(
            f"Refusing to restore: database {conninfo['dbname']} is not empty ({found} tables, views or "
            "sequences). Restore into an empty database."
        )
    target = _server_version(conninfo)
    if manifest.server_major > int(target.split(".")[0]):
        raise BackupError(
            f"{name} was dumped from PostgreSQL {manifest.server_version}: restore it into that major "
            f"version or newer (database {conninfo['dbname']} runs {target})."
        )
    pg_restore = tool_choose(
        "pg_restore",
        server_major=int(target.split(".")[0]),
        at_least=manifest.pg_dump_major,
        embedded=embedded,
    )
    with tempfile.TemporaryDirectory(prefix="medspa-restore-") as folder:
        encrypted, plain = Path(folder) / name, Path(folder) / "medspa.dump"
        _fetch(manifest, storage, encrypted)
        _run([age_binary(), "--decrypt", "--identity", str(identity), "--output", str(plain), str(encrypted)])
        encrypted.unlink()
        _run(
            [pg_restore, "--no-owner", "--no-password", "--exit-on-error", "--single-transaction",
             f"--dbname={conninfo['dbname']}", str(plain)],
            env=_libpq_env(conninfo),
        )  # fmt: skip
    logger.info("Database backup %s restored into %s", name, conninfo["dbname"])
    return manifest


def _run(command: list[str], env: dict | None = None) -> None:
    result = subprocess.run(command, env=env, capture_output=True)  # noqa: S603 (our own command line)
    if result.returncode:
        message = result.stderr.decode(errors="replace").strip()
        raise BackupError(f"{Path(command[0]).name} failed (exit status {result.returncode}): {message}")
