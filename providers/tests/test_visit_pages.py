"""The service-visit pages of the Provider dashboard, through the test client: starting a visit from a
checked-in appointment or as a walk-in, the chart (services through the GFE gate, consents signed on screen,
products and lots, notes, photos served through a permission check), checkout with a split payment, the
signature that locks the chart and the addenda after it; who may open a chart; the patient's profile
panels; the calendar's Start/Open visit buttons."""

import base64
import re
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from medspa import images
from medspa.messaging import sms
from medspa.models import PatientAccessLog
from medspa.tenancy import medspa_scope
from providers.models import (
    CareMessageLog,
    ChartAddendum,
    Payment,
    SaleStatus,
    Visit,
    VisitConsent,
    VisitPhoto,
    VisitProduct,
    VisitStatus,
)
from providers.selectors import charts, panels
from providers.services import charting
from scheduling.models import AppointmentStatus
from services_catalog.services import catalog, texts
from tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("media_and_sms"),
]


@pytest.fixture
def world(world):
    """The conftest's world, its patient with an allergy and a medication to show."""
    world.patient.allergies = "Lidocaine"
    world.patient.medications = "Warfarin 5 mg"
    world.patient.save()
    return world


def url(name: str, *args) -> str:
    return reverse(f"providers:{name}", args=args)


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def photo_bytes() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (64, 48), (200, 150, 140)).save(buffer, format="PNG")
    return buffer.getvalue()


def product_data(**changes) -> dict:
    today = timezone.now().date()
    return {
        "name": "Botulinum toxin A", "units": "20", "unit_label": "units", "unit_price": "0",
        "lot_number": "LOT-2231", "expires_on": today.replace(year=today.year + 1).isoformat(),
        "visit_service": "", **changes,
    }  # fmt: skip


def accesses(patient, viewed: str) -> int:
    with medspa_scope(patient.medspa_id):
        return PatientAccessLog.objects.filter(patient=patient, viewed=viewed).count()


def test_a_consent_signature_keeps_the_real_client_behind_a_proxy(client_as, appointment, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = client_as("provider_a1")
    client.post(url("visit_start", appointment.pk))
    with medspa_scope(appointment.medspa_id):
        visit = Visit.objects.get(appointment=appointment)
        need = charts.consents_needed(visit)[0]
    response = client.post(
        url("visit_consent_sign", visit.pk, need.version.pk),
        {"data_url": data_url(factories.png_signature())},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.66, 203.0.113.9",
    )
    assert response.status_code == 302
    with medspa_scope(appointment.medspa_id):
        assert VisitConsent.objects.get(visit=visit).signature.ip == "203.0.113.9"


# --- The whole visit --------------------------------------------------------------------------------------


def test_a_provider_charts_a_visit_from_check_in_to_addendum(
    cast, client_as, world, appointment, django_capture_on_commit_callbacks
):
    client = client_as("provider_a1")
    patient = world.patient

    # Start from the checked-in appointment; starting again opens the same visit.
    response = client.post(url("visit_start", appointment.pk))
    with medspa_scope(cast.medspa_a):
        visit = Visit.objects.get(appointment=appointment)
        assert response.status_code == 302 and response["Location"] == url("visit_detail", visit.pk)
    assert client.post(url("visit_start", appointment.pk))["Location"] == url("visit_detail", visit.pk)
    with medspa_scope(cast.medspa_a):
        assert Visit.objects.count() == 1

    page = client.get(url("visit_detail", visit.pk)).content.decode()
    for expected in (patient.full_name, "Lidocaine", "Warfarin 5 mg", "Neurotoxin", "$300.00", "Walk-in"):
        if expected == "Walk-in":
            assert expected not in page  # it has an appointment
        else:
            assert expected in page
    assert "I understand the risks of neurotoxin injections" in page  # the consent's full text
    assert "data-signature-pad" in page and "Patient signs" in page
    assert accesses(patient, "Provider dashboard: visit chart") == 1

    # The GFE gate: a service the patient is not cleared for is refused, with its reason, and nothing added.
    with medspa_scope(cast.medspa_a):
        filler = catalog.service_create(
            medspa=cast.medspa_a,
            data={"group": world.service.group, "name": "Filler", "price": Decimal("650"),
                  "duration_minutes": 45, "is_active": True},
        )  # fmt: skip
    response = client.post(url("visit_service_add", visit.pk), {"service": filler.pk})
    assert response.status_code == 400
    assert "No valid GFE clearance for Filler" in response.content.decode()
    with medspa_scope(cast.medspa_a):
        assert list(visit.services.values_list("service", flat=True)) == [world.service.pk]

    # The consent: a blank pad is refused; the drawn signature is kept with the exact version and the IP.
    with medspa_scope(cast.medspa_a):
        need = charts.consents_needed(visit)[0]
    response = client.post(url("visit_consent_sign", visit.pk, need.version.pk), {"data_url": ""})
    assert (
        response.status_code == 400 and "Draw your signature in the box first." in response.content.decode()
    )
    response = client.post(
        url("visit_consent_sign", visit.pk, need.version.pk),
        {"data_url": data_url(factories.png_signature())},
    )
    assert response.status_code == 302
    with medspa_scope(cast.medspa_a):
        signed = VisitConsent.objects.get(visit=visit)
        assert signed.version == need.version and signed.signed_in_visit
        assert signed.signature.ip == "127.0.0.1" and signed.signature.witnessed_by == cast.provider_a1
    page = client.get(url("visit_detail", visit.pk)).content.decode()
    assert "Covered by the signature of" in page and "(signed in this visit)" in page

    # Products: an expired lot is refused on its expiry field, with what was typed kept.
    response = client.post(url("visit_product_add", visit.pk), product_data(expires_on="2020-01-31"))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_expires_on_error"' in page and "Lot LOT-2231 expired on Jan 31, 2020" in page
    assert 'value="LOT-2231"' in page and 'value="Botulinum toxin A"' in page
    with medspa_scope(cast.medspa_a):
        assert not VisitProduct.objects.exists()
        row = visit.services.get()
    response = client.post(url("visit_product_add", visit.pk), product_data(visit_service=row.pk))
    assert response.status_code == 302
    with medspa_scope(cast.medspa_a):
        product = VisitProduct.objects.get()
        assert (product.units, product.visit_service, product.lot_number) == (Decimal("20"), row, "LOT-2231")

    # Notes.
    response = client.post(url("visit_notes_save", visit.pk), {"notes": "20 units glabella, 5 points."})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.notes == "20 units glabella, 5 points."

    # A photo: uploaded, then served only through the permission check, never cached.
    image = photo_bytes()
    response = client.post(
        url("visit_photo_add", visit.pk),
        {"kind": "before", "caption": "At rest", "image": SimpleUploadedFile("b.png", image, "image/png")},
    )
    assert response.status_code == 302
    with medspa_scope(cast.medspa_a):
        photo = VisitPhoto.objects.get()
        assert str(cast.medspa_a.pk) in photo.image.name and patient.last_name not in photo.image.name
    page = client.get(url("visit_detail", visit.pk)).content.decode()
    assert f'src="{url("visit_photo", visit.pk, photo.pk)}"' in page
    response = client.get(url("visit_photo", visit.pk, photo.pk))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == images.image_normalise(image, rule=images.VISIT_PHOTO)[0]
    assert accesses(patient, "Provider dashboard: visit photo") == 1
    assert client_as("provider_a2").get(url("visit_photo", visit.pk, photo.pk)).status_code == 404
    assert client_as("provider_b").get(url("visit_photo", visit.pk, photo.pk)).status_code == 404
    anonymous = client_as("anonymous").get(url("visit_photo", visit.pk, photo.pk))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("account_login"))

    # Checkout: a short split payment is refused with what was typed kept; then it adds up.
    charge = {"tip": "20", "card_amount": "200", "card_reference": "4242", "cash_amount": "100"}
    response = client.post(url("visit_checkout", visit.pk), charge)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The payments are $20.00 short of the total ($320.00)." in page
    assert 'value="200"' in page and 'value="4242"' in page
    with medspa_scope(cast.medspa_a):
        assert not Payment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("visit_checkout", visit.pk), {**charge, "card_amount": "220"})
    assert response.status_code == 302
    with medspa_scope(cast.medspa_a):
        visit.refresh_from_db()
        assert visit.status == VisitStatus.COMPLETED and visit.sale.status == SaleStatus.PAID
        assert visit.sale.total == Decimal("320.00")
        assert sorted((p.method, p.amount) for p in visit.sale.payments.all()) == [
            ("card", Decimal("220.00")),
            ("cash", Decimal("100.00")),
        ]
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.COMPLETED
        assert {(log.channel, log.status) for log in CareMessageLog.objects.all()} == {
            ("email", "sent"),
            ("sms", "sent"),
        }
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    page = client.get(url("visit_detail", visit.pk)).content.decode()
    assert "Neurotoxin aftercare" in page and "Sent" in page and "$220.00" in page and "Cash" in page
    assert 'action="' + url("visit_checkout", visit.pk) not in page  # no second charge

    # Sign: the chart locks; an addendum is signed and timestamped.
    response = client.post(url("visit_sign", visit.pk))
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.is_signed and visit.chart_signed_by == cast.provider_a1
    response = client.post(url("visit_addendum_add", visit.pk), {"text": "Patient called: no bruising."})
    assert response.status_code == 302
    with medspa_scope(cast.medspa_a):
        assert ChartAddendum.objects.get().text == "Patient called: no bruising."
    page = client.get(url("visit_detail", visit.pk)).content.decode()
    assert "Patient called: no bruising." in page and cast.provider_a1.get_full_name() in page
    for action in ("visit_notes_save", "visit_product_add", "visit_photo_add", "visit_service_add"):
        assert f'action="{url(action, visit.pk)}"' not in page  # read-only

    # A locked chart refuses edits with the reason, never a 500.
    response = client.post(url("visit_notes_save", visit.pk), {"notes": "Changed later"})
    assert response.status_code == 400
    assert "The chart is signed and locked: add an addendum instead." in response.content.decode()
    response = client.post(url("visit_product_add", visit.pk), product_data(lot_number="LOT-9"))
    assert response.status_code == 400 and "The chart is signed and locked" in response.content.decode()
    response = client.post(url("visit_photo_remove", visit.pk, photo.pk), follow=True)
    assert "The chart is signed and locked" in response.content.decode()
    response = client.post(url("visit_service_remove", visit.pk, row.pk), follow=True)
    assert "The chart is signed and locked" in response.content.decode()
    visit.refresh_from_db()
    assert visit.notes == "20 units glabella, 5 points."
    with medspa_scope(cast.medspa_a):
        assert (
            VisitPhoto.objects.count() == 1
            and VisitProduct.objects.count() == 1
            and visit.services.count() == 1
        )


def test_an_overdue_unsigned_chart_is_flagged_and_signing_says_why_it_cannot(client_as, visit):
    factories.visit_backdate(visit, charts.CHART_DUE_WITHIN * 2)
    client = client_as("provider_a1")
    page = client.get(url("visit_detail", visit.pk)).content.decode()
    assert "This chart has waited more than 72 hours" in page
    # The consent is not signed: signing is refused with the reason.
    response = client.post(url("visit_sign", visit.pk), follow=True)
    assert "The patient has not signed: Neurotoxin consent." in response.content.decode()
    visit.refresh_from_db()
    assert not visit.is_signed


def test_a_walk_in_starts_for_one_of_the_providers_patients(cast, client_as, world):
    client = client_as("provider_a1")
    page = client.get(url("visit_walk_in", world.patient.pk)).content.decode()
    assert world.location.name in page
    response = client.post(url("visit_walk_in", world.patient.pk), {"location": ""})
    assert response.status_code == 400
    response = client.post(url("visit_walk_in", world.patient.pk), {"location": world.location.pk})
    with medspa_scope(cast.medspa_a):
        visit = Visit.objects.get()
        assert response["Location"] == url("visit_detail", visit.pk)
    assert (visit.appointment, visit.location, visit.provider.user) == (
        None,
        world.location,
        cast.provider_a1,
    )
    page = client.get(url("visit_detail", visit.pk)).content.decode()
    assert "Walk-in" in page and "No service is recorded yet." in page
    # Another provider's patient, or another medspa's: 404.
    assert client_as("provider_a2").get(url("visit_walk_in", world.patient.pk)).status_code == 404
    assert client_as("provider_b").post(url("visit_walk_in", world.patient.pk)).status_code == 404


def test_a_visit_is_voided_with_a_reason_and_then_shows_no_form(client_as, visit):
    client = client_as("provider_a1")
    response = client.post(url("visit_void", visit.pk), {"reason": ""})
    assert response.status_code == 400
    response = client.post(url("visit_void", visit.pk), {"reason": "Started for the wrong patient"})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.VOIDED
    page = client.get(url("visit_detail", visit.pk)).content.decode()
    assert "This visit was voided: Started for the wrong patient" in page
    for action in (
        "visit_service_add",
        "visit_product_add",
        "visit_notes_save",
        "visit_checkout",
        "visit_sign",
    ):
        assert f'action="{url(action, visit.pk)}"' not in page


# --- Who may open a chart ---------------------------------------------------------------------------------


def test_only_the_visits_own_provider_opens_it(cast, client_as, visit, appointment):
    # provider_a2 (same medspa), admin_a (a provider too, but not this visit's), medspa B: 404 everywhere.
    for name in ("provider_a2", "admin_a", "provider_b"):
        client = client_as(name)
        assert client.get(url("visit_detail", visit.pk)).status_code == 404, name
        assert client.post(url("visit_notes_save", visit.pk), {"notes": "x"}).status_code == 404, name
        assert client.post(url("visit_sign", visit.pk)).status_code == 404, name
        assert client.post(url("visit_start", appointment.pk)).status_code == 404, name
    assert client_as("admin_b").get(url("visit_detail", visit.pk)).status_code == 403  # not a provider
    anonymous = client_as("anonymous").get(url("visit_detail", visit.pk))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("account_login"))
    assert client_as("provider_a1").get(url("visit_detail", visit.pk)).status_code == 200
    # Only the provider's own opening wrote the access log.
    assert accesses(visit.patient, "Provider dashboard: visit chart") == 1


def test_an_appointment_not_checked_in_does_not_start_a_visit(client_as, appointment):
    appointment.status = AppointmentStatus.BOOKED
    appointment.save()
    response = client_as("provider_a1").post(url("visit_start", appointment.pk), follow=True)
    assert "Check the patient in first" in response.content.decode()
    assert not Visit.objects.exists()


# --- The patient's profile --------------------------------------------------------------------------------


def test_the_profile_lists_visits_consents_and_care_messages(
    cast, client_as, world, provider, visit, django_capture_on_commit_callbacks, django_assert_num_queries
):
    factories.consent_sign(visit, cast.provider_a1, ip=None)
    from providers.services import checkout, settlement

    with medspa_scope(cast.medspa_a):
        with django_capture_on_commit_callbacks(execute=True):
            checkout.visit_checkout(
                visit=visit, by=cast.provider_a1, tenders=[settlement.Tender("card", Decimal("300"), "4242")]
            )
        for _ in range(2):  # two walk-ins, further apart than a double-click
            walk_in = charting.visit_start_walk_in(
                patient=world.patient, provider=provider, location=world.location, by=cast.provider_a1
            )
            factories.visit_backdate(walk_in, charting.RESTART_WINDOW * 2)

        # A constant number of queries, however many visits: visits with their services, signatures, messages.
        with django_assert_num_queries(4):
            context = {
                **panels.visits_panel_context(world.patient, "provider"),
                **panels.consents_panel_context(world.patient, "provider"),
            }
            render_to_string(
                "providers/panels/_visits.html", {"patient": world.patient, "area": "provider", **context}
            )
    assert len(context["visits"]) == 3

    page = client_as("provider_a1").get(reverse("providers:patient_detail", args=[world.patient.pk]))
    page = page.content.decode()
    assert f'href="{url("visit_walk_in", world.patient.pk)}"' in page
    assert f'href="{url("visit_detail", visit.pk)}"' in page
    assert "Neurotoxin consent" in page and "Neurotoxin aftercare" in page and "Service visits" in page

    admin_page = client_as("admin_a").get(reverse("dashboard_patient_detail", args=[world.patient.pk]))
    admin_page = admin_page.content.decode()
    assert "Service visits" in admin_page and "Neurotoxin aftercare" in admin_page
    assert url("visit_detail", visit.pk) not in admin_page


# --- The calendar's buttons -------------------------------------------------------------------------------


def test_the_calendar_starts_and_then_opens_the_visit(cast, client_as, world, appointment):
    client = client_as("provider_a1")
    detail = reverse("providers:calendar") + f"?appointment={appointment.pk}"
    page = client.get(detail).content.decode()
    assert f'action="{url("visit_start", appointment.pk)}"' in page
    day = appointment.start.astimezone(world.location.tz).date()
    grid = client.get(reverse("providers:calendar") + f"?view=day&date={day}").content.decode()
    assert f'action="{url("visit_start", appointment.pk)}"' in grid

    client.post(url("visit_start", appointment.pk))
    with medspa_scope(cast.medspa_a):
        visit = Visit.objects.get()
    page = client.get(detail).content.decode()
    assert f'href="{url("visit_detail", visit.pk)}"' in page and "Open visit" in page
    assert url("visit_start", appointment.pk) not in page
    grid = client.get(reverse("providers:calendar") + f"?view=day&date={day}").content.decode()
    assert f'href="{url("visit_detail", visit.pk)}"' in grid

    # The admin's calendar shows the buttons only on the admin's own appointments.
    admin = client_as("admin_a")
    page = admin.get(reverse("scheduling:appointment_detail", args=[appointment.pk])).content.decode()
    assert "Open visit" not in page and url("visit_detail", visit.pk) not in page
    grid = admin.get(reverse("scheduling:calendar") + f"?view=day&date={day}").content.decode()
    assert url("visit_detail", visit.pk) not in grid and "Start visit" not in grid
    earlier = appointment.start - timedelta(hours=2)
    with medspa_scope(cast.medspa_a):
        own = factories.checked_in_appointment(world, cast.admin_a.memberships.get(), start=earlier)
    page = admin.get(reverse("scheduling:appointment_detail", args=[own.pk])).content.decode()
    assert f'action="{url("visit_start", own.pk)}"' in page


def test_another_medspas_consent_version_answers_exactly_like_one_that_does_not_exist(client_as, cast, visit):
    from services_catalog.models import Consent, ConsentVersion

    theirs = texts.text_create(
        model=Consent, medspa=cast.medspa_b, title="Luxe consent", by=None,
        text="I understand the risks of this treatment, including bruising and swelling.",
    )  # fmt: skip
    nonexistent = ConsentVersion.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    data = {"data_url": data_url(factories.png_signature())}
    client = client_as("provider_a1")
    other = client.post(url("visit_consent_sign", visit.pk, theirs.current_version.pk), data)
    missing = client.post(url("visit_consent_sign", visit.pk, nonexistent), data)
    assert other.status_code == missing.status_code == 404
    assert unmasked(other) == unmasked(missing)


def unmasked(response) -> str:
    """The page without its CSRF tokens and script nonces, which are new in every response."""
    pattern = r'(csrfmiddlewaretoken" value="|"X-CSRFToken": "|nonce=")[^"]+'
    return re.sub(pattern, r"\1", response.content.decode())


def test_the_checkout_works_out_its_running_total_as_the_figures_are_typed(cast, client_as, world, visit):
    """What htmx asks for as the provider types: the settlement's figures for what is typed, nothing paid.
    The visit's appointment brought its service ($300)."""
    client = client_as("provider_a1")
    page = client.get(url("visit_detail", visit.pk)).content.decode()
    assert f'hx-post="{url("visit_checkout_total", visit.pk)}"' in page
    assert re.search(r'data-figure="due">\$300\.00<', page)

    typed = {
        "discount": "1000",
        "discount_reason": "",
        "tip": "20.5",
        "card_amount": "200",
        "cash_amount": "x",
    }
    response = client.post(url("visit_checkout_total", visit.pk), {**typed, "discount": "45.5"})
    assert response.status_code == 200
    figures = dict(re.findall(r'data-figure="(\w+)">([^<]+)<', response.content.decode()))
    assert figures == {
        "total": "$275.00",
        "paid": "$200.00",
        "due": "$75.00",
    }  # 300 − 45.50 + 20.50; "x" is 0
    over = client.post(url("visit_checkout_total", visit.pk), {"card_amount": "1250.5"}).content.decode()
    assert "Paid over by" in over and 'data-figure="due">$950.50<' in over
    refused = client.post(url("visit_checkout_total", visit.pk), typed).content.decode()
    assert "The discount ($1,000.00) is more than the subtotal ($300.00)." in refused
    with medspa_scope(cast.medspa_a):
        visit.refresh_from_db()
        assert visit.status == VisitStatus.OPEN and not Payment.objects.exists()
    assert client_as("provider_a2").post(url("visit_checkout_total", visit.pk), typed).status_code == 404
