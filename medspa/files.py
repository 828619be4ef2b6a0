"""Uploaded files handed to the people allowed to see them, from whichever storage holds them: the local
folder (MEDIA_ROOT, the default) or a private S3 bucket (S3_BUCKET, django-storages' S3 backend).

Nothing here checks a permission: the view calls one of these after it has decided who may see the file,
and picks the way per kind of file (each view's docstring says why):

- `file_stream`: the bytes pass through the view. Each fetch is checked and, for a patient's file, lands in
  the access log; the browser sees our own origin only, which the CSP's img-src ('self') requires of every
  <img>. On S3 the object is read in chunks as the response is written (boto3's streaming body), never
  held whole in a worker's memory.
- `file_signed_redirect`: after the check, a redirect to a URL S3 signed for S3_SIGNED_URL_SECONDS (S3's
  presigned GET, SigV4), telling S3 the type, disposition and caching to answer with (the response-*
  overrides of GetObject). The bytes do not cross a web node; whoever holds the URL may fetch the object
  until it expires, so it suits a file the member opens as a page of its own. A folder cannot sign a URL:
  there the file is streamed.

Both answer `Cache-Control: private, no-store`, name the type from the stored name's suffix (uploads are
re-encoded as PNG or JPEG, or kept as a PDF: medspa.images) and say inline for those, attachment for
anything else. A record whose file is gone answers 404. `StoredFilesAdmin` keeps the Django admin from
linking to a file at all."""

from pathlib import PurePosixPath

from django.contrib import admin
from django.db.models import FileField
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage

NOT_STORED = "private, no-store"
# The types an upload is stored as; a browser may show these inline. Anything else is a download.
INLINE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".pdf": "application/pdf"}
DOWNLOAD_TYPE = "application/octet-stream"


def file_content_type(name: str) -> str:
    """The Content-Type a stored file is served with, from its name's suffix."""
    return INLINE_TYPES.get(PurePosixPath(name).suffix.lower(), DOWNLOAD_TYPE)


def _disposition(name: str, filename: str) -> str:
    inline = file_content_type(name) != DOWNLOAD_TYPE
    return content_disposition_header(not inline, filename)


def signs_urls(file: FieldFile) -> bool:
    """Whether the file's storage can hand out a signed, expiring URL (S3 does; a folder does not)."""
    return isinstance(file.storage, S3Storage) and file.storage.querystring_auth


def file_stream(file: FieldFile, *, filename: str) -> FileResponse:
    """The file's bytes as the response, read from its storage as they are sent. `filename` is the name the
    browser offers to save it under (nothing of the patient in it)."""
    if not file:
        raise Http404
    try:
        handle = file.storage.open(file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    length = None
    if isinstance(file.storage, S3Storage):
        # S3File would download the whole object before the first byte; its GetObject body streams instead.
        answer = handle.obj.get()
        handle.close()
        handle, length = answer["Body"], answer["ContentLength"]
    response = FileResponse(handle, content_type=file_content_type(file.name))
    if length is not None:
        response["Content-Length"] = str(length)
    response["Content-Disposition"] = _disposition(file.name, filename)
    response["Cache-Control"] = NOT_STORED
    return response


def file_signed_redirect(file: FieldFile, *, filename: str) -> HttpResponse:
    """A redirect to a short-lived signed URL of the object, which S3 answers with the type, disposition
    and caching given here; from a storage that cannot sign URLs, the file streamed (`file_stream`)."""
    if not signs_urls(file):
        return file_stream(file, filename=filename)
    if not file or not file.storage.exists(file.name):
        raise Http404
    url = file.storage.url(
        file.name,
        parameters={
            "ResponseContentType": file_content_type(file.name),
            "ResponseContentDisposition": _disposition(file.name, filename),
            "ResponseCacheControl": NOT_STORED,
        },
    )
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = NOT_STORED
    # The signed URL is a bearer credential until it expires: it is not passed on to the next page.
    response["Referrer-Policy"] = "no-referrer"
    return response


class StoredFilesAdmin:
    """For the admin of a model with uploaded files: its change page says which files are on file, never
    where. Django's admin links a file to its storage URL, which from S3 is a signed URL to a member's or a
    patient's file, outside the permission-checked views and their access log; nor does the admin take
    uploads, which would skip their re-encoding (medspa.images). Put it before ModelAdmin in the bases."""

    def _stored_files(self) -> list[str]:
        return [field.name for field in self.model._meta.concrete_fields if isinstance(field, FileField)]

    def _without_files(self, names) -> list:
        stored = self._stored_files()
        kept = [name for name in names if name not in stored and name != "files_on_file"]
        return [*kept, "files_on_file"] if stored else kept

    def get_fields(self, request, obj=None):
        return self._without_files(super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return self._without_files(super().get_readonly_fields(request, obj))

    @admin.display(description="files")
    def files_on_file(self, obj):
        fields = [self.model._meta.get_field(name) for name in self._stored_files()]
        return ", ".join(
            f"{field.verbose_name}: {'on file' if getattr(obj, field.name) else '—'}" for field in fields
        )
