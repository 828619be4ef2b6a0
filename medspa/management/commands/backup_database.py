"""Makes an encrypted backup to the backups storage now (medspa.services.backups), as the daily job does but
whether or not today's is made, then rotates; prints what it wrote."""

from django.core.management.base import BaseCommand, CommandError

from medspa.services import backups


class Command(BaseCommand):
    help = "Makes an encrypted backup of the database to the backups storage now, then rotates."

    def add_arguments(self, parser):
        parser.add_argument("--no-rotate", action="store_true", help="keeps every backup there is")

    def handle(self, *args, no_rotate: bool, **options):
        try:
            manifest = backups.backup_create()
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Backed up database {manifest.database} to {manifest.name}: {manifest.size:,} bytes encrypted, "
            f"in {manifest.duration_seconds:.1f} s (PostgreSQL {manifest.server_version}, SHA-256 "
            f"{manifest.sha256})."
        )
        if not no_rotate:
            deleted = backups.backups_rotate()
            self.stdout.write(f"Rotation: {len(deleted)} old files deleted.")
