import base64
import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from medspa.registry import Registry
from medspa.services import onboarding
from medspa.tenancy import medspa_scope
from scheduling.models import Location


def _png() -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (240, 80), "white")
    ImageDraw.Draw(image).line([(10, 60), (80, 15), (150, 55), (230, 20)], fill="black", width=3)
    image.save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()


def steps(cast):
    with medspa_scope(cast.medspa_a):
        membership = cast.admin_a.memberships.get()
        return {
            step["key"]: step["done"] for step in onboarding.checklist(cast.medspa_a, membership)["steps"]
        }


def test_the_checklist_has_the_eight_steps_in_order_and_starts_mostly_open(cast):
    with medspa_scope(cast.medspa_a):
        membership = cast.admin_a.memberships.get()
        keys = [step["key"] for step in onboarding.checklist(cast.medspa_a, membership)["steps"]]
    assert keys == [
        "profile",
        "business",
        "medical_director",
        "locations",
        "providers",
        "services",
        "gfe_routing",
        "availability",
    ]


def test_each_step_is_done_when_its_data_says_so(client_as, cast):
    medspa = cast.medspa_a
    assert not steps(cast)["business"]
    medspa.shipping_line1, medspa.shipping_city, medspa.shipping_state, medspa.shipping_postal_code = (
        "1 Main St",
        "San Diego",
        "CA",
        "92101",
    )
    medspa.save()
    assert steps(cast)["business"]

    assert not steps(cast)["locations"]
    with medspa_scope(medspa):
        Location.objects.create(
            medspa=medspa,
            name="Hillcrest",
            address_line1="1 Main",
            city="San Diego",
            state="CA",
            postal_code="92101",
            time_zone="America/Los_Angeles",
            is_active=False,
        )
    assert not steps(cast)["locations"]  # an inactive location takes no bookings
    with medspa_scope(medspa):
        Location.objects.filter(medspa=medspa).update(is_active=True)
    assert steps(cast)["locations"]

    assert steps(cast)["providers"]  # the cast's medspa A already has providers
    assert not steps(cast)["medical_director"]
    with medspa_scope(medspa):
        medspa.medical_director = cast.admin_a.memberships.get()
    medspa.save()
    assert steps(cast)["medical_director"]


def test_the_profile_step_needs_every_part_of_the_profile(client_as, cast):
    client = client_as("admin_a")
    assert not steps(cast)["profile"]
    client.post(
        "/profile/",
        {
            "credential": "MD",
            "position": "Medical director",
            "headshot": SimpleUploadedFile("me.png", PNG, content_type="image/png"),
            "photo_id": SimpleUploadedFile("id.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
        },
    )
    assert not steps(cast)["profile"]  # no signature yet
    client.post(
        "/profile/signature/", {"data_url": "data:image/png;base64," + base64.b64encode(PNG).decode()}
    )
    assert steps(cast)["profile"]


def test_the_checklist_shows_progress_links_each_step_and_disappears_when_done(client_as, cast, monkeypatch):
    client = client_as("admin_a")
    page = client.get("/dashboard/").content.decode()
    assert "Get your medspa ready" in page and 'max="8"' in page
    for url in ["/profile/", "/dashboard/settings/", "/dashboard/scheduling/", "/invitations/"]:
        assert f'href="{url}"' in page
    all_done = Registry("onboarding steps, all done", order=lambda step: step.order)
    for step in onboarding.STEPS:
        all_done.register(step.__class__(**{**step.__dict__, "is_done": lambda m, s: True}))
    monkeypatch.setattr(onboarding, "STEPS", all_done)
    assert "Get your medspa ready" not in client.get("/dashboard/").content.decode()
    assert "Every step is done" in client.get("/dashboard/onboarding/").content.decode()  # still reachable


def test_asking_portrait_for_a_medical_director_shows_for_staff(client_as, cast):
    client = client_as("admin_a")
    client.post(
        "/dashboard/settings/medical-director/request/", {"physician_name": "Dr. Lee", "notes": "Soon"}
    )
    assert "waiting for Portrait" in client.get("/dashboard/").content.decode()
    second = client.post(
        "/dashboard/settings/medical-director/request/", {"physician_name": "Dr. Kim"}, follow=True
    )
    assert "already working on your request" in second.content.decode()
    staff_page = client_as("staff").get("/admin/medspa/medicaldirectorrequest/")
    assert "Dr. Lee" in staff_page.content.decode()


def test_a_licence_must_be_current(client_as, cast):
    client = client_as("provider_a1")
    # Yesterday on the clock of the medspa the provider works in (the page's zone), not the server's.
    expired = (timezone.localdate(timezone=cast.medspa_a.tz) - timedelta(days=1)).isoformat()
    response = client.post("/profile/licences/", {"number": "RN1", "state": "CA", "expires_on": expired})
    assert response.status_code == 400 and "has expired" in response.content.decode()
