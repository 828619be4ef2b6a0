"""Moving uploaded files from one storage to another (the local folder into the S3 bucket: media_to_bucket),
one file at a time, each verified by reading it back: its size and SHA-256 as the destination returns them
must be the local file's."""

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from django.core.files.storage import Storage

CHUNK = 1024 * 1024


class Outcome(StrEnum):
    COPIED = "copied"
    ALREADY_THERE = "already there"
    MISSING = "missing locally"
    FAILED = "failed"
    TO_COPY = "to copy"  # a dry run's: what a real run would copy


@dataclass(frozen=True)
class Fingerprint:
    """A file's length and SHA-256, as read from one storage."""

    size: int
    sha256: str


@dataclass(frozen=True)
class MediaMove:
    """What happened to one file: its outcome, its size, and why it failed."""

    name: str
    outcome: Outcome
    size: int | None = None
    detail: str = ""


def media_fingerprint(storage: Storage, name: str) -> Fingerprint:
    """The file's length and SHA-256 from its bytes as `storage` reads them back; the length must also be
    the one the storage reports for it (S3: the object's Content-Length)."""
    digest, length = hashlib.sha256(), 0
    with storage.open(name, "rb") as handle:
        for chunk in handle.chunks(CHUNK):
            digest.update(chunk)
            length += len(chunk)
    reported = storage.size(name)
    if reported != length:
        return Fingerprint(size=-1, sha256=f"{length} bytes read, {reported} reported")
    return Fingerprint(size=length, sha256=digest.hexdigest())


def media_file_move(
    *, name: str, source: Storage, destination: Storage, dry_run: bool = False, delete_local: bool = False
) -> MediaMove:
    """Copies one file from `source` to `destination` under the same name and verifies the copy. A file the
    destination holds already with the same bytes is not copied again; one it holds with other bytes is
    left alone and reported (never overwritten: it may be a newer upload). The local file is deleted only
    with `delete_local`, and only once the destination's copy is verified. Errors of either storage are
    the file's failure, not the run's."""
    try:
        return _move(name, source, destination, dry_run=dry_run, delete_local=delete_local)
    except Exception as error:  # boto3, the network and the disk raise many kinds: each is this file's
        return MediaMove(name, Outcome.FAILED, detail=f"{type(error).__name__}: {error}")


def _move(
    name: str, source: Storage, destination: Storage, *, dry_run: bool, delete_local: bool
) -> MediaMove:
    in_bucket = destination.exists(name)
    if not source.exists(name):
        if in_bucket:
            return MediaMove(name, Outcome.ALREADY_THERE, detail="no local copy left")
        return MediaMove(name, Outcome.MISSING, detail="neither in the folder nor in the destination")
    local = media_fingerprint(source, name)
    if in_bucket:
        there = media_fingerprint(destination, name)
        if there != local:
            return MediaMove(
                name,
                Outcome.FAILED,
                local.size,
                f"the destination holds other bytes under this name ({_describe(there)}, local "
                f"{_describe(local)}); left as they are",
            )
        outcome = Outcome.ALREADY_THERE
    elif dry_run:
        return MediaMove(name, Outcome.TO_COPY, local.size)
    else:
        with source.open(name, "rb") as handle:
            saved = destination.save(name, handle)
        if saved != name:
            destination.delete(saved)
            return MediaMove(name, Outcome.FAILED, local.size, f"the destination stored it as {saved}")
        there = media_fingerprint(destination, name)
        if there != local:
            destination.delete(name)  # the copy just made, unverified: the next run copies it again
            return MediaMove(
                name, Outcome.FAILED, local.size, f"read back {_describe(there)}, local {_describe(local)}"
            )
        outcome = Outcome.COPIED
    if delete_local and not dry_run:
        source.delete(name)
    return MediaMove(name, outcome, local.size)


def _describe(fingerprint: Fingerprint) -> str:
    if fingerprint.size < 0:
        return fingerprint.sha256
    return f"{fingerprint.size} bytes, SHA-256 {fingerprint.sha256[:12]}…"
