"""The storages settings.py gives uploads ("default") and backups ("backups"), from the environment.

Without S3_BUCKET: folders, MEDIA_ROOT for uploads and BACKUP_DIR (.data/backups, readable by its owner
only) for backups. With it, files live in S3-compatible object storage through django-storages' S3 backend
(https://django-storages.readthedocs.io/en/latest/backends/amazon-S3.html): a private bucket (no ACL is
ever set on an object: the bucket's own, private, applies), every object encrypted at rest by the server
(S3_SSE: AES256, or aws:kms with S3_SSE_KMS_KEY_ID), never a public URL: uploads are read through the
permission-checked views, or through URLs signed (SigV4) for S3_SIGNED_URL_SECONDS. Uploads under media/,
backups under backups/ of the same bucket or of BACKUP_S3_BUCKET."""

from pathlib import Path

from medspa.env import env_int, env_secret, env_str

S3_BACKEND = "storages.backends.s3.S3Storage"


def file_storages(data_dir: Path, bucket: str) -> dict:
    if not bucket:
        return {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "backups": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {
                    "location": env_str("BACKUP_DIR", str(data_dir / "backups")),
                    "file_permissions_mode": 0o600,
                },
            },
        }
    encryption = {"ServerSideEncryption": env_str("S3_SSE", "AES256")}
    if env_str("S3_SSE_KMS_KEY_ID"):
        encryption["SSEKMSKeyId"] = env_str("S3_SSE_KMS_KEY_ID")
    options = {
        "bucket_name": bucket,
        "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
        "region_name": env_str("S3_REGION", "us-east-1"),
        "access_key": env_secret("S3_ACCESS_KEY_ID") or None,
        "secret_key": env_secret("S3_SECRET_ACCESS_KEY") or None,
        "default_acl": None,
        "querystring_auth": True,
        "signature_version": "s3v4",
        "querystring_expire": env_int("S3_SIGNED_URL_SECONDS", 60, minimum=1),
        "file_overwrite": False,
        "object_parameters": encryption,
    }
    return {
        "default": {"BACKEND": S3_BACKEND, "OPTIONS": {**options, "location": "media"}},
        "backups": {
            "BACKEND": S3_BACKEND,
            "OPTIONS": {**options, "bucket_name": env_str("BACKUP_S3_BUCKET", bucket), "location": "backups"},
        },
    }
