"""Uploads on S3, end to end against the local S3 server (tests/s3.py): what the pages upload (a visit
photo, a patient's drawn consent signature, a member's headshot, photo ID and signature, a GFE exam's
signature) lands in the private bucket under media/, encrypted by the server and with no public grant, and
nothing on the local disk; the permission-checked views hand it back to those allowed (streamed, or for a
photo ID a short-lived signed URL) and to nobody else: 404 or 403, with no URL to the bucket."""

import base64
import urllib.request
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gfe.models import GfeExam
from medspa import images
from medspa.models import ProviderProfile
from medspa.tenancy import medspa_scope
from providers.models import Visit, VisitConsent, VisitPhoto
from providers.selectors import charts
from services_catalog.services import catalog
from services_catalog.tests import factories as catalog_factories
from tests import factories
from tests.s3 import S3

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_and_sms")]

PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


def stored(s3: S3, name: str) -> bytes:
    """The object's bytes, checked private and encrypted by the server on the way."""
    key = f"media/{name}"
    assert s3.head(key)["ServerSideEncryption"] == "AES256"
    grants = s3.client.get_object_acl(Bucket=s3.bucket, Key=key)["Grants"]
    assert not [grant for grant in grants if grant["Grantee"].get("URI") in PUBLIC_GRANTEES]
    return s3.client.get_object(Bucket=s3.bucket, Key=key)["Body"].read()


def nothing_on_disk(settings) -> None:
    assert not [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def no_bucket_url(response, s3: S3) -> None:
    assert s3.url not in response.get("Location", "")
    assert b"X-Amz-" not in b"".join(response.streaming_content if response.streaming else [response.content])


def fetch(url: str) -> tuple[bytes, dict]:
    """A GET the way a browser follows the redirect: straight to S3, with nothing of ours but the URL."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as answer:
        return answer.read(), {name.lower(): value for name, value in answer.headers.items()}


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def visit_url(name: str, *args) -> str:
    return reverse(f"providers:{name}", args=args)


def test_a_visit_photo_and_a_consent_signature_land_in_the_bucket_and_only_the_provider_gets_the_photo(
    s3, settings, cast, client_as, appointment
):
    client = client_as("provider_a1")
    client.post(visit_url("visit_start", appointment.pk))
    with medspa_scope(cast.medspa_a):
        visit = Visit.objects.get(appointment=appointment)
        need = charts.consents_needed(visit)[0]
    drawn = factories.png_signature()
    response = client.post(
        visit_url("visit_consent_sign", visit.pk, need.version.pk),
        {"data_url": data_url(drawn)},
    )
    assert response.status_code == 302
    photo = factories.png_signature()
    response = client.post(
        visit_url("visit_photo_add", visit.pk),
        {"kind": "before", "caption": "At rest", "image": SimpleUploadedFile("b.png", photo, "image/png")},
    )
    assert response.status_code == 302
    with medspa_scope(cast.medspa_a):
        photo_row = VisitPhoto.objects.get()
        signature = VisitConsent.objects.get(visit=visit).signature.signature
    assert sorted(s3.keys()) == sorted([f"media/{photo_row.image.name}", f"media/{signature.name}"])
    assert photo_row.image.name.startswith(f"visit-photos/{cast.medspa_a.pk}/")
    assert stored(s3, signature.name) == images.signature_normalise(drawn)
    in_bucket = stored(s3, photo_row.image.name)
    assert in_bucket == images.image_normalise(photo, rule=images.VISIT_PHOTO)[0]
    nothing_on_disk(settings)

    photo_url = visit_url("visit_photo", visit.pk, photo_row.pk)
    response = client.get(photo_url)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "image/png"
    assert response["Content-Length"] == str(len(in_bucket))
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == f'inline; filename="visit-{visit.pk}-before-{photo_row.pk}.png"'
    assert b"".join(response.streaming_content) == in_bucket
    for stranger in ("provider_a2", "provider_b", "admin_b"):  # a colleague, another medspa's
        refused = client_as(stranger).get(photo_url)
        assert refused.status_code in (403, 404), stranger
        no_bucket_url(refused, s3)
    anonymous = client_as("anonymous").get(photo_url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("account_login"))


def profile_upload(client) -> None:
    response = client.post(
        "/profile/",
        {
            "credential": "NP",
            "position": "Injector",
            "headshot": SimpleUploadedFile("me.jpg", factories.png_signature(), "image/jpeg"),
            "photo_id": SimpleUploadedFile("licence.png", factories.png_signature(), "image/png"),
        },
    )
    assert response.status_code == 302
    drawn = data_url(factories.png_signature())
    assert client.post("/profile/signature/", {"data_url": drawn}).status_code == 302


def test_a_members_files_land_in_the_bucket_and_colleagues_get_only_headshot_and_signature(
    s3, settings, cast, client_as
):
    profile_upload(client_as("provider_a1"))
    with medspa_scope(cast.medspa_a):
        profile = ProviderProfile.objects.get(membership__user=cast.provider_a1)
    names = {"headshot": profile.headshot.name, "signature": profile.signature.name}
    assert names["headshot"].startswith("headshots/") and names["signature"].startswith("signatures/")
    assert profile.photo_id.name.startswith("photo-ids/")
    assert sorted(s3.keys()) == sorted(f"media/{name}" for name in [*names.values(), profile.photo_id.name])
    nothing_on_disk(settings)

    for kind, name in names.items():
        url = f"/profile/files/{profile.membership_id}/{kind}/"
        for reader in ("provider_a1", "provider_a2", "admin_a"):
            response = client_as(reader).get(url)
            assert response.status_code == 200 and response.streaming, (kind, reader)
            assert response["Cache-Control"] == "private, no-store"
            assert response["Content-Type"] == ("image/png" if name.endswith(".png") else "image/jpeg")
            assert b"".join(response.streaming_content) == stored(s3, name)
        for stranger in ("provider_b", "admin_b"):
            refused = client_as(stranger).get(url)
            assert refused.status_code == 404, (kind, stranger)
            no_bucket_url(refused, s3)


def test_a_photo_id_is_a_short_lived_signed_url_for_its_owner_and_the_admins_only(s3, cast, client_as):
    profile_upload(client_as("provider_a1"))
    with medspa_scope(cast.medspa_a):
        profile = ProviderProfile.objects.get(membership__user=cast.provider_a1)
    url = f"/profile/files/{profile.membership_id}/photo_id/"
    for reader in ("provider_a1", "admin_a"):
        response = client_as(reader).get(url)
        assert response.status_code == 302, reader
        assert response["Cache-Control"] == "private, no-store"
        assert response["Referrer-Policy"] == "no-referrer"
        signed = response["Location"]
        assert signed.startswith(f"{s3.url}/{s3.bucket}/media/photo-ids/")
        assert "X-Amz-Signature=" in signed and "X-Amz-Expires=60&" in signed
        body, headers = fetch(signed)
        assert body == stored(s3, profile.photo_id.name)
        assert headers["content-type"] == "image/png"
        assert headers["content-disposition"] == f'inline; filename="photo-id-{profile.membership_id}.png"'
        assert headers["cache-control"] == "private, no-store"
    refused = client_as("provider_a2").get(url)  # a colleague: not theirs to see
    assert refused.status_code == 403 and "Location" not in refused
    no_bucket_url(refused, s3)
    for stranger in ("provider_b", "admin_b"):
        refused = client_as(stranger).get(url)
        assert refused.status_code == 404 and "Location" not in refused, stranger
    anonymous = client_as("anonymous").get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("account_login"))


def test_a_gfe_exam_is_signed_with_the_signature_on_file_in_the_bucket_and_prints_it(s3, cast, client_as):
    with medspa_scope(cast.medspa_a):
        service = catalog.service_import(
            medspa=cast.medspa_a, library_service=factories.library_service(name="Toxin")
        )
        service = catalog.service_set_active(service=service, active=True)
        patient = factories.PatientFactory(medspa=cast.medspa_a)
        membership = cast.provider_a1.memberships.get()
        patient.assigned_providers.add(membership)
    client = client_as("provider_a1")
    drawn = data_url(factories.png_signature())
    assert client.post("/profile/signature/", {"data_url": drawn}).status_code == 302
    response = client.post(
        reverse("gfe_provider:self_clear", args=[patient.pk]),
        {
            "history_reviewed": "on",
            "medications_reviewed": "on",
            "allergies_reviewed": "on",
            "services": [service.pk],
            "diagnoses": "Dynamic rhytids",
            "data_url": "",  # signed with the signature on file, read back from the bucket
        },
    )
    assert response.status_code == 302
    with medspa_scope(cast.medspa_a):
        exam = GfeExam.objects.get()
    assert stored(s3, exam.signature.name) == images.signature_normalise(factories.png_signature())
    pdf = client.get(reverse("gfe_provider:exam_pdf", args=[exam.pk]))
    assert pdf.content.startswith(b"%PDF") and b"/Subtype /Image" in pdf.content
    assert client_as("provider_b").get(reverse("gfe_provider:exam_pdf", args=[exam.pk])).status_code == 404


def test_the_django_admin_says_which_files_are_on_file_and_links_to_none(s3, cast, client_as):
    profile_upload(client_as("provider_a1"))
    with medspa_scope(cast.medspa_a):
        profile = ProviderProfile.objects.get(membership__user=cast.provider_a1)
        event = apps.get_model("medspa", "ProviderProfileEvent").objects.filter(pgh_obj=profile).last()
        signature = catalog_factories.ConsentSignatureFactory(medspa=cast.medspa_a)
    staff = client_as("staff")
    for page in (
        f"/admin/medspa/providerprofile/{profile.pk}/change/",
        f"/admin/medspa/providerprofileevent/{event.pk}/change/",
        f"/admin/services_catalog/consentsignature/{signature.pk}/change/",
    ):
        response = staff.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert "on file" in html and s3.url not in html and "X-Amz-" not in html, page
        assert 'type="file"' not in html, page
    html = staff.get(f"/admin/medspa/providerprofile/{profile.pk}/change/").content.decode()
    assert "signature: on file, headshot: on file, photo ID: on file" in html
