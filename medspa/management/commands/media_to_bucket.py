"""Copies the uploaded files the database refers to (visit photos, signatures, headshots, photo IDs) from the
local folder into the configured default storage, the S3 bucket once S3_BUCKET is set, and verifies each by
reading it back (size and SHA-256). Idempotent: a file already there with the same bytes is skipped. The
local copy is deleted only with --delete-local, after its copy is verified. Exits non-zero when a file is
missing or failed. docs/operations.md: moving files to a bucket."""

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.management.base import BaseCommand, CommandError

from medspa.selectors.media import media_referenced
from medspa.services.media import Outcome, media_file_move

SUMMARY_ORDER = (Outcome.COPIED, Outcome.TO_COPY, Outcome.ALREADY_THERE, Outcome.MISSING, Outcome.FAILED)


class Command(BaseCommand):
    help = "Copies the uploaded files from the local folder into the configured bucket and verifies each."

    def add_arguments(self, parser):
        parser.add_argument(
            "--source", help="The folder the files are in (default: MEDIA_ROOT).", default=None
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report; copy and delete nothing."
        )
        parser.add_argument(
            "--delete-local",
            action="store_true",
            help="Delete each local file once its copy in the bucket is verified.",
        )

    def handle(self, *args, source=None, dry_run=False, delete_local=False, verbosity=1, **options):
        folder = Path(source or settings.MEDIA_ROOT)
        if not folder.is_dir():
            raise CommandError(f"There is no folder {folder}.")
        destination = storages["default"]
        if (
            isinstance(destination, FileSystemStorage)
            and Path(destination.location).resolve() == folder.resolve()
        ):
            raise CommandError(
                "The default storage is this folder itself: set S3_BUCKET (and the S3_* settings) first."
            )
        local = FileSystemStorage(location=folder)
        names = media_referenced()
        total = len(names)
        counts = dict.fromkeys(SUMMARY_ORDER, 0)
        if verbosity:
            self.stdout.write(f"{total} files referenced; from {folder} to {_where(destination)}.")
        for position, (name, used_by) in enumerate(names.items(), start=1):
            move = media_file_move(
                name=name, source=local, destination=destination, dry_run=dry_run, delete_local=delete_local
            )
            counts[move.outcome] += 1
            if verbosity:
                size = f" ({move.size:,} bytes)" if move.size is not None else ""
                detail = f": {move.detail}" if move.detail else ""
                line = f"[{position}/{total}] {move.outcome} {name}{size} [{used_by}]{detail}"
                failed = move.outcome in (Outcome.MISSING, Outcome.FAILED)
                self.stdout.write(self.style.ERROR(line) if failed else line)
        summary = ", ".join(f"{counts[outcome]} {outcome}" for outcome in SUMMARY_ORDER if counts[outcome])
        summary = f"{'Dry run: ' if dry_run else ''}{summary or 'nothing to move'} (of {total} files)."
        if counts[Outcome.MISSING] or counts[Outcome.FAILED]:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))


def _where(storage) -> str:
    bucket = getattr(storage, "bucket_name", None)
    if bucket:
        return f"s3://{bucket}/{storage.location}".rstrip("/")
    return getattr(storage, "location", type(storage).__name__)
