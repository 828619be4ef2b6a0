"""S3, played by moto's server on loopback (moto.server.ThreadedMotoServer: the S3 REST protocol over HTTP,
the same requests boto3 sends to AWS), with a private bucket that does not encrypt by default: an object
found encrypted was encrypted because the product's request asked for it.

`s3` points the product's storages (medspa/settings.py: STORAGES "default" and "backups") at it for one test
and empties the bucket afterwards; `s3_server` is the server, one per test process."""

from dataclasses import dataclass

import boto3
import pytest
from django.core.files.storage import storages

BUCKET = "medspa-test"
REGION = "us-east-1"
ACCESS_KEY, SECRET_KEY = "testing-access-key", "testing-secret-key"


@dataclass
class S3:
    url: str
    bucket: str
    client: object

    def keys(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def head(self, key: str) -> dict:
        return self.client.head_object(Bucket=self.bucket, Key=key)

    def empty(self) -> None:
        for key in self.keys():
            self.client.delete_object(Bucket=self.bucket, Key=key)


def storage_options(url: str, bucket: str = BUCKET) -> dict:
    return {
        "bucket_name": bucket,
        "endpoint_url": url,
        "region_name": REGION,
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "default_acl": None,
        "querystring_auth": True,
        "signature_version": "s3v4",
        "querystring_expire": 60,
        "file_overwrite": False,
        "object_parameters": {"ServerSideEncryption": "AES256"},
    }


@pytest.fixture(scope="session")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    client.create_bucket(Bucket=BUCKET)
    client.put_public_access_block(
        Bucket=BUCKET,
        PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        ),
    )
    yield S3(url=url, bucket=BUCKET, client=client)
    server.stop()


@pytest.fixture
def s3(settings, s3_server, monkeypatch):
    """The product's files and backups in the local S3 for this test."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    options = storage_options(s3_server.url)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**options, "location": "media"}},
        "backups": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**options, "location": "backups"},
        },
    }
    storages._storages = {}
    yield s3_server
    storages._storages = {}
    s3_server.empty()
