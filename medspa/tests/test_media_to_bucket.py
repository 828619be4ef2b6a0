"""`manage.py media_to_bucket` moves the files the database refers to from a local folder into the bucket
(the local S3 server, tests/s3.py), verifies each by reading it back, skips what is already there, reports
what is missing or differs and then exits non-zero, touches nothing on a dry run and deletes a local file
only when asked, once its copy is verified."""

import hashlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management import base, call_command
from django.core.management.base import CommandError
from django_scopes import scopes_disabled

from medspa.management.commands import media_to_bucket
from medspa.models import ProviderProfile
from medspa.selectors.media import media_referenced
from medspa.services.media import Outcome, media_file_move

pytestmark = pytest.mark.django_db

FILES = {
    "headshots/amy.jpg": b"\xff\xd8 a headshot",
    "photo-ids/amy.pdf": b"%PDF-1.7 a scanned licence" + bytes(range(256)) * 40,
    "signatures/signature-2.png": b"\x89PNG a signature",
}


@pytest.fixture
def folder(tmp_path, cast):
    """A media folder holding FILES, named by provider_a1's and provider_b's profiles (two medspas)."""
    for name, data in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    with scopes_disabled():
        ProviderProfile.objects.filter(membership__user=cast.provider_a1).update(
            headshot="headshots/gone.jpg"  # replaced below: only its write-audit event names it now
        )
        ProviderProfile.objects.filter(membership__user=cast.provider_a1).update(
            headshot="headshots/amy.jpg", photo_id="photo-ids/amy.pdf"
        )
        ProviderProfile.objects.filter(membership__user=cast.provider_b).update(
            signature="signatures/signature-2.png"
        )
    return tmp_path


def run(folder, *options) -> str:
    out = StringIO()
    call_command("media_to_bucket", "--source", str(folder), *options, stdout=out)
    return out.getvalue()


def in_bucket(s3) -> dict[str, bytes]:
    return {key: s3.client.get_object(Bucket=s3.bucket, Key=key)["Body"].read() for key in s3.keys("media/")}


def modified(s3) -> dict[str, object]:
    return {key: s3.head(key)["LastModified"] for key in s3.keys("media/")}


def test_the_files_named_by_rows_of_every_medspa_are_found_and_no_audit_events_ones(folder):
    with scopes_disabled():
        assert apps.get_model("medspa", "ProviderProfileEvent").objects.filter(headshot="headshots/gone.jpg")
    assert media_referenced() == {
        "headshots/amy.jpg": "medspa.ProviderProfile.headshot",
        "photo-ids/amy.pdf": "medspa.ProviderProfile.photo_id",
        "signatures/signature-2.png": "medspa.ProviderProfile.signature",
    }


def test_it_copies_each_file_into_the_bucket_encrypted_and_verified_and_keeps_the_local_copy(s3, folder):
    output = run(folder)
    assert in_bucket(s3) == {f"media/{name}": data for name, data in FILES.items()}
    for name in FILES:
        head = s3.head(f"media/{name}")
        assert head["ServerSideEncryption"] == "AES256"
    assert s3.head("media/photo-ids/amy.pdf")["ContentType"] == "application/pdf"
    assert "[1/3] copied headshots/amy.jpg (13 bytes) [medspa.ProviderProfile.headshot]" in output
    assert output.strip().endswith("3 copied (of 3 files).")
    assert all((folder / name).read_bytes() == data for name, data in FILES.items())


def test_a_second_run_copies_nothing_and_succeeds(s3, folder):
    run(folder)
    written = modified(s3)
    output = run(folder)
    assert output.strip().endswith("3 already there (of 3 files).")
    assert modified(s3) == written


def test_a_missing_file_and_one_that_differs_in_the_bucket_are_reported_and_the_run_fails(s3, folder):
    (folder / "headshots/amy.jpg").unlink()
    s3.client.put_object(Bucket=s3.bucket, Key="media/photo-ids/amy.pdf", Body=b"another scan")
    out = StringIO()
    with pytest.raises(CommandError, match=r"1 copied, 1 missing locally, 1 failed \(of 3 files\)"):
        call_command("media_to_bucket", "--source", str(folder), stdout=out)
    output = out.getvalue()
    assert "missing locally headshots/amy.jpg" in output
    assert "failed photo-ids/amy.pdf" in output and "the destination holds other bytes" in output
    bucket = in_bucket(s3)
    assert bucket["media/photo-ids/amy.pdf"] == b"another scan"  # never overwritten
    assert bucket["media/signatures/signature-2.png"] == FILES["signatures/signature-2.png"]


def test_from_the_command_line_a_failure_exits_non_zero(s3, folder, monkeypatch, capsys):
    (folder / "headshots/amy.jpg").unlink()
    # run_from_argv closes the database connections on its way out, which would end the test's transaction.
    monkeypatch.setattr(base.connections, "close_all", lambda: None)
    with pytest.raises(SystemExit) as exit:
        media_to_bucket.Command().run_from_argv(
            ["manage.py", "media_to_bucket", "--source", str(folder), "--skip-checks"]
        )
    assert exit.value.code == 1
    assert "CommandError: 2 copied, 1 missing locally (of 3 files)." in capsys.readouterr().err


def test_a_dry_run_copies_and_deletes_nothing(s3, folder):
    output = run(folder, "--dry-run", "--delete-local")
    assert "[2/3] to copy photo-ids/amy.pdf" in output
    assert output.strip().endswith("Dry run: 3 to copy (of 3 files).")
    assert s3.keys() == []
    assert all((folder / name).exists() for name in FILES)


def test_delete_local_removes_only_verified_copies_and_a_rerun_still_succeeds(s3, folder):
    s3.client.put_object(Bucket=s3.bucket, Key="media/photo-ids/amy.pdf", Body=b"another scan")
    with pytest.raises(CommandError):
        run(folder, "--delete-local")
    assert not (folder / "headshots/amy.jpg").exists()
    assert not (folder / "signatures/signature-2.png").exists()
    assert (folder / "photo-ids/amy.pdf").exists()  # its copy differs: kept
    s3.client.delete_object(Bucket=s3.bucket, Key="media/photo-ids/amy.pdf")
    output = run(folder, "--delete-local")
    assert output.strip().endswith("1 copied, 2 already there (of 3 files).")
    assert "no local copy left" in output
    assert not [path for path in folder.rglob("*") if path.is_file()]


def test_it_refuses_to_move_the_folder_into_itself(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(CommandError, match="set S3_BUCKET"):
        call_command("media_to_bucket", stdout=StringIO())


class Garbling(FileSystemStorage):
    """A destination that stores other bytes than it was given, as a failing disk or a bad proxy would."""

    def _save(self, name, content):
        return super()._save(name, ContentFile(content.read()[::-1]))


def test_a_copy_that_reads_back_different_is_failed_and_removed(tmp_path):
    source = FileSystemStorage(location=tmp_path / "local")
    source.save("photo.jpg", ContentFile(b"\xff\xd8 the photo"))
    destination = Garbling(location=tmp_path / "bucket")
    move = media_file_move(name="photo.jpg", source=source, destination=destination, delete_local=True)
    assert move.outcome == Outcome.FAILED
    local = hashlib.sha256(b"\xff\xd8 the photo").hexdigest()[:12]
    assert (
        move.detail.startswith("read back 12 bytes, SHA-256 ")
        and f"local 12 bytes, SHA-256 {local}" in move.detail
    )
    assert not destination.exists("photo.jpg") and source.exists("photo.jpg")
