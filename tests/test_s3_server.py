"""The local S3 the storage tests use answers as S3 does: a file saved through the product's default storage
lands in the private bucket, encrypted by the server, and its URL is a signed, expiring one."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages


def test_a_file_saved_through_the_default_storage_lands_encrypted_in_the_private_bucket(s3):
    name = default_storage.save("photos/a.jpg", ContentFile(b"\xff\xd8jpeg"))
    assert s3.keys() == [f"media/{name}"]
    assert s3.head(f"media/{name}")["ServerSideEncryption"] == "AES256"
    url = default_storage.url(name)
    assert url.startswith(s3.url) and "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
    assert default_storage.open(name).read() == b"\xff\xd8jpeg"


def test_backups_have_their_own_place_in_the_bucket(s3):
    storages["backups"].save("medspa.dump", ContentFile(b"dump"))
    assert s3.keys("backups/") == ["backups/medspa.dump"]
