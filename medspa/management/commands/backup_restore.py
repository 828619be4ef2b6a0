"""Restores an encrypted backup from the backups storage (medspa.services.backups) into an empty database:
`manage.py backup_restore latest` (or a backup's name), decrypted with the age identity of
BACKUP_AGE_IDENTITY_FILE (or --identity), checked against its manifest, restored in one transaction."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from medspa.services import backups


class Command(BaseCommand):
    help = "Restores an encrypted backup (a name, or latest) from the backups storage into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", default="latest", help="a backup's name, or latest (default)")
        parser.add_argument("--identity", help="the age identity file (default: BACKUP_AGE_IDENTITY_FILE)")
        parser.add_argument(
            "--database-url",
            help="the empty database to restore into, as the role to own its objects (default: the "
            "configured database as its owner role)",
        )
        parser.add_argument("--list", action="store_true", help="lists the complete backups and stops")

    def handle(self, *args, name, identity, database_url, list, **options):
        if list:
            complete, _ = backups.backups_list()
            for backup in complete:
                manifest = backups.manifest_read(backup)
                self.stdout.write(
                    f"{backup}  {manifest.size:>14,} bytes  PostgreSQL {manifest.server_version}"
                )
            return
        identity = identity or settings.BACKUP_AGE_IDENTITY_FILE
        if not identity:
            raise CommandError(
                "Say which age identity decrypts the backups: --identity or BACKUP_AGE_IDENTITY_FILE."
            )
        # The configured database (BACKUP_DATABASE_URL, else as its owner), or the one named.
        conninfo = backups.conninfo_from_url(database_url) if database_url else None
        embedded = False
        if conninfo is None:
            try:
                conninfo = backups.backup_conninfo()
            except backups.BackupError as exc:
                raise CommandError(str(exc)) from None
            embedded = (
                getattr(settings, "EMBEDDED_PGDATA", None) is not None and not settings.BACKUP_DATABASE_URL
            )
        started = time.monotonic()
        try:
            manifest = backups.backup_restore(
                name=name, conninfo=conninfo, identity_file=identity, embedded=embedded
            )
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Restored {manifest.name} ({manifest.size:,} bytes, made {manifest.created}) into database "
            f"{conninfo['dbname']} in {time.monotonic() - started:.1f} s. Run `manage.py migrate` if the "
            "code is newer than the backup."
        )
