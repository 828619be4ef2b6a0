"""The patient's paperwork page (no sign-in): the overview of the steps, each intake form and each consent,
the answers kept and the record changes proposed (never the record itself), consents signed alone, the links
that no longer open, and the rate limit."""

import base64
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from medspa.models.payments import SavedCard
from medspa.payments import cards
from medspa.tenancy import medspa_scope
from scheduling.models import AppointmentStatus, HistoryChange, IntakeResponse
from scheduling.selectors import paperwork as paperwork_rules
from scheduling.services import paperwork as paperwork_services
from scheduling.tests.factories import AppointmentFactory
from services_catalog.models import ConsentSignature
from services_catalog.tests.factories import (
    ConsentFactory,
    ConsentVersionFactory,
    IntakeFormFactory,
    IntakeFormVersionFactory,
)
from tests import factories

pytestmark = pytest.mark.usefixtures("media_and_sms")
IP = "203.0.113.7"


def question(key, label, kind, *, required=False, choices=(), record=""):
    return {
        "key": key,
        "label": label,
        "kind": kind,
        "required": required,
        "choices": list(choices),
        "help": "",
        "record": record,
    }


SECTIONS = [
    {
        "title": "Your health",
        "fields": [
            question("pregnant", "Are you pregnant or breastfeeding?", "yes_no", required=True),
            question("allergies", "List any allergies", "long_text", record="allergies"),
            question("medications", "Medications you take", "text", record="medications"),
            question("last_treatment", "Date of your last treatment", "date"),
        ],
    },
    {
        "title": "Your goals",
        "fields": [
            question("area", "Main area to treat", "choice", required=True, choices=["Forehead", "Eyes"]),
            question("concerns", "Concerns", "multi_choice", choices=["Lines", "Volume", "Texture"]),
            question("signature", "Your signature", "signature", required=True),
        ],
    },
]


def drawn() -> str:
    return "data:image/png;base64," + base64.b64encode(factories.png_signature()).decode()


@pytest.fixture
def world(cast, provider):
    """Medspa A's clinic with a phone, a type whose service needs two consents and which names one intake
    form, and Maya's appointment two days ahead (her record says she is allergic to penicillin)."""
    medspa = cast.medspa_a
    with medspa_scope(medspa):
        location, appointment_type = factories.scheduling_world(medspa, [provider])
        location.phone = "+16195550100"
        location.save()
        consents = [
            ConsentVersionFactory(consent=ConsentFactory(medspa=medspa, title=title), number=1, text=text)
            for title, text in (("Neurotoxin consent", "Bruising may occur."), ("Photo consent", "Photos."))
        ]
        appointment_type.service.consents.set([version.consent for version in consents])
        form = IntakeFormFactory(medspa=medspa, title="Medical history")
        version = IntakeFormVersionFactory(form=form, number=1, sections=SECTIONS)
        appointment_type.intake_forms.set([form])
        patient = factories.PatientFactory(
            medspa=medspa, first_name="Maya", last_name="Chen", allergies="Penicillin", medications="None"
        )
        start = (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
        appointment = AppointmentFactory(
            medspa=medspa, appointment_type=appointment_type, provider=provider, patient=patient, start=start
        )
    url = reverse("booking_paperwork", args=[paperwork_rules.paperwork_token(appointment)])
    return {
        "medspa": medspa,
        "appointment": appointment,
        "patient": patient,
        "version": version,
        "consents": consents,
        "url": url,
        "type": appointment_type,
    }


def answers(**changes) -> dict:
    data = {
        "step": "",
        "q-pregnant": "no",
        "q-allergies": "Latex",
        "q-medications": "None",
        "q-last_treatment": "2026-01-15",
        "q-area": "Eyes",
        "q-concerns": ["Lines", "Texture"],
        "q-signature": drawn(),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def form_step(world) -> str:
    return f"form-{world['version'].form_id}"


def text(response) -> str:
    return response.content.decode()


# --- The pages ----------------------------------------------------------------------------------------------


def test_the_overview_lists_each_form_and_consent_still_to_do(client, world):
    response = client.get(world["url"])
    page = text(response)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "same-origin"
    assert "Medical history" in page and "To do" in page
    assert page.count("To sign") == 2 and "Neurotoxin consent" in page and "Photo consent" in page
    assert f"?step={form_step(world)}" in page
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "Maya" not in title and "Chen" not in title
    assert "Save a card" not in page  # the type takes neither a deposit nor fees


def test_the_form_step_asks_each_kind_of_question_in_its_section(client, world):
    page = text(client.get(world["url"], {"step": form_step(world)}))
    assert "<legend>Your health</legend>" in page and "<legend>Your goals</legend>" in page
    assert re.search(r'<textarea name="q-allergies"[^>]*id="id_q-allergies"', page)
    assert '<label for="id_q-allergies">' in page and '<label for="id_q-medications">' in page
    assert 'type="radio" name="q-pregnant" value="yes"' in page
    assert 'type="checkbox" name="q-concerns" value="Volume"' in page
    assert re.search(r'type="date" name="q-last_treatment"[^>]*min="1900-01-01"[^>]*max="\d{4}-', page)
    assert 'data-signature-input="q-signature"' in page and 'type="hidden" name="q-signature"' in page
    assert 'Are you pregnant or breastfeeding? <span class="paperwork-required">(required)</span>' in page


def test_sending_the_form_keeps_the_answers_and_proposes_changes_without_touching_the_record(world):
    client = Client(REMOTE_ADDR=IP)
    response = client.post(world["url"], answers(step=form_step(world)))
    assert response.status_code == 303
    assert response["Location"] == f"{world['url']}?step=consent-{world['consents'][0].pk}"
    with medspa_scope(world["medspa"]):
        kept = IntakeResponse.objects.get()
        changes = list(HistoryChange.objects.all())
        world["patient"].refresh_from_db()
    assert kept.version == world["version"] and kept.appointment == world["appointment"] and kept.ip == IP
    assert kept.answers["pregnant"] is False and kept.answers["area"] == "Eyes"
    assert kept.answers["concerns"] == ["Lines", "Texture"] and kept.answers["last_treatment"] == "2026-01-15"
    assert kept.answers["signature"].startswith("data:image/png;base64,")
    # Medications say what the record says: only the allergies are proposed.
    assert [(c.record, c.before, c.proposed, c.status) for c in changes] == [
        ("allergies", "Penicillin", "Latex", HistoryChange.Status.PENDING)
    ]
    assert (world["patient"].allergies, world["patient"].medications) == ("Penicillin", "None")


def test_a_form_with_errors_comes_back_with_every_answer_and_its_errors_announced(client, world):
    response = client.post(
        world["url"], answers(step=form_step(world), **{"q-pregnant": None, "q-signature": ""})
    )
    page = text(response)
    assert response.status_code == 400
    assert 'role="alert"' in page and "Please check the answers marked below." in page
    assert 'aria-describedby="id_q-pregnant_error"' in page and 'id="id_q-pregnant_error"' in page
    assert "Please answer this question." in page and "Draw your signature in the box first." in page
    assert "Latex</textarea>" in page and 'value="2026-01-15"' in page
    assert re.search(r'value="Eyes"[^>]*checked', page) and re.search(r'value="Texture"[^>]*checked', page)
    with medspa_scope(world["medspa"]):
        assert IntakeResponse.objects.count() == 0


def test_a_date_out_of_sane_bounds_is_refused(client, world):
    response = client.post(world["url"], answers(step=form_step(world), **{"q-last_treatment": "1850-01-01"}))
    assert response.status_code == 400 and "out of range" in text(response)


def test_sending_the_form_again_adds_a_newer_response_and_proposes_once(client, world):
    client.post(world["url"], answers(step=form_step(world)))
    page = text(client.get(world["url"], {"step": form_step(world)}))
    assert "You sent this form on" in page and "Latex</textarea>" in page  # starts from the last answers
    client.post(world["url"], answers(step=form_step(world), **{"q-area": "Forehead"}))
    with medspa_scope(world["medspa"]):
        first, newer = IntakeResponse.objects.order_by("submitted_at")
        assert HistoryChange.objects.count() == 1  # the same change already waits for review
    assert (first.answers["area"], newer.answers["area"]) == ("Eyes", "Forehead")
    assert "Done " in text(client.get(world["url"]))


def test_signing_a_consent_keeps_the_drawing_and_the_ip_with_no_witness(world):
    client = Client(REMOTE_ADDR=IP)
    version = world["consents"][0]
    page = text(client.get(world["url"], {"step": f"consent-{version.pk}"}))
    assert "Bruising may occur." in page and "I have read and agree to this consent" in page
    assert "data-signature-pad" in page
    response = client.post(
        world["url"], {"step": f"consent-{version.pk}", "agree": "on", "data_url": drawn()}
    )
    assert response.status_code == 303
    with medspa_scope(world["medspa"]):
        signature = ConsentSignature.objects.get()
    assert signature.version == version and signature.patient == world["patient"]
    assert signature.witnessed_by is None and signature.ip == IP
    assert signature.signature.read().startswith(b"\x89PNG")


def test_a_consent_needs_the_box_ticked_and_a_drawing(client, world):
    version = world["consents"][1]
    response = client.post(world["url"], {"step": f"consent-{version.pk}", "data_url": ""})
    page = text(response)
    assert response.status_code == 400
    assert "Please confirm that you have read and agree" in page and "Draw your signature" in page
    assert 'aria-describedby="id_agree_error"' in page
    with medspa_scope(world["medspa"]):
        assert ConsentSignature.objects.count() == 0


def test_after_the_last_step_the_page_says_all_done(client, world):
    client.post(world["url"], answers(step=form_step(world)))
    for version in world["consents"]:
        response = client.post(
            world["url"], {"step": f"consent-{version.pk}", "agree": "on", "data_url": drawn()}
        )
    assert response["Location"] == world["url"]
    page = text(client.get(world["url"]))
    assert "All done" in page and "To do" not in page and "To sign" not in page
    page = text(client.get(world["url"], {"step": f"consent-{version.pk}"}))
    assert "You signed this consent on" in page and "data-signature-pad" not in page
    # A signed consent posted again changes nothing.
    client.post(world["url"], {"step": f"consent-{version.pk}", "agree": "on", "data_url": drawn()})
    with medspa_scope(world["medspa"]):
        assert ConsentSignature.objects.count() == 2


def test_a_booking_policy_adds_a_step_to_save_a_card_where_the_medspa_takes_cards(
    client, world, stripe_local, stripe_connected
):
    world["type"].late_cancel_fee = Decimal("50")
    with medspa_scope(world["medspa"]):
        world["type"].save()
    page = text(client.get(world["url"]))
    manage = reverse("booking_manage", args=[world["appointment"].manage_token])
    assert "Save a card" in page and f'href="{manage}#card"' in page


def test_without_the_medspas_stripe_account_no_card_step_is_offered(client, world):
    world["type"].late_cancel_fee = Decimal("50")
    with medspa_scope(world["medspa"]):
        world["type"].save()
    assert "Save a card" not in text(client.get(world["url"]))  # its page could not take one


def test_a_deposit_the_booking_did_not_take_is_a_step_once_a_card_is_on_file(
    client, world, stripe_local, stripe_connected
):
    from tests.fixtures import stripe_js_confirm

    world["type"].deposit_amount = Decimal("1250")
    with medspa_scope(world["medspa"]):
        world["type"].price = Decimal("2500")
        world["type"].save()
        customer = cards.customer_for(medspa=world["medspa"], patient=world["appointment"].patient)
        setup = cards.card_setup_start(customer=customer)
        stripe_js_confirm(stripe_local, setup)
        cards.card_save(customer=customer, setup_intent_id=setup.setup_intent_id, via=SavedCard.Via.MANAGE)
    page = text(client.get(world["url"]))
    manage = reverse("booking_manage", args=[world["appointment"].manage_token])
    assert "Pay the $1,250.00 deposit" in page and f'href="{manage}#deposit-title"' in page
    assert "Save a card" not in page


# --- Links that do not open, and steps that are not the appointment's ---------------------------------------


def closed(response, *, phone: bool) -> None:
    page = text(response)
    assert response.status_code == 404
    assert "This link has expired or is not valid" in page
    assert ("(619) 555-0100" in page) is phone
    assert "Medical history" not in page and "Maya" not in page


def test_a_tampered_or_foreign_link_gets_the_same_closed_page(client, world):
    token = paperwork_rules.paperwork_token(world["appointment"])
    closed(client.get(reverse("booking_paperwork", args=[token[:-2] + "xx"])), phone=False)
    closed(client.get(reverse("booking_paperwork", args=["not-a-link"])), phone=False)
    with medspa_scope(world["medspa"]):
        other = AppointmentFactory(medspa=world["medspa"], appointment_type=world["type"])
    # Another appointment's number with this one's proof: signed by us, yet it opens nothing.
    forged = signing.dumps(
        {"a": other.pk, "p": world["appointment"].manage_token[:16]}, salt=paperwork_rules.PAPERWORK_SALT
    )
    closed(client.get(reverse("booking_paperwork", args=[forged])), phone=False)


def test_the_link_ends_when_the_appointment_is_cancelled_or_over(client, world):
    appointment = world["appointment"]
    appointment.status = AppointmentStatus.CANCELLED
    with medspa_scope(world["medspa"]):
        appointment.save()
    closed(client.get(world["url"]), phone=True)
    closed(client.post(world["url"], answers(step=form_step(world))), phone=True)
    appointment.status = AppointmentStatus.BOOKED
    appointment.start -= timedelta(days=3)
    appointment.end -= timedelta(days=3)
    appointment.blocked_start, appointment.blocked_end = appointment.start, appointment.end
    with medspa_scope(world["medspa"]):
        appointment.save()
    closed(client.get(world["url"]), phone=True)
    with medspa_scope(world["medspa"]):
        assert IntakeResponse.objects.count() == 0


def test_a_step_of_another_appointment_is_not_offered(client, world):
    with medspa_scope(world["medspa"]):
        stranger = ConsentVersionFactory(consent=ConsentFactory(medspa=world["medspa"]))
        other_form = IntakeFormVersionFactory(form=IntakeFormFactory(medspa=world["medspa"]))
    for step in (f"consent-{stranger.pk}", f"form-{other_form.form_id}"):
        response = client.post(world["url"], {"agree": "on", "data_url": drawn(), **answers(step=step)})
        assert response.status_code == 404 and "no longer part of your visit" in text(response)
    with medspa_scope(world["medspa"]):
        assert ConsentSignature.objects.count() == 0 and IntakeResponse.objects.count() == 0


def test_posts_are_rate_limited_per_ip(monkeypatch, world):
    monkeypatch.setattr("scheduling.services.ratelimit._now", lambda: 1_800_000_000)
    monkeypatch.setattr("scheduling.views.public_paperwork.PAPERWORK_POSTS", ("paperwork-post", 2))
    monkeypatch.setattr("scheduling.views.public_paperwork.PAPERWORK_VIEWS", ("paperwork-view", 3))
    client = Client(REMOTE_ADDR=IP)
    for _ in range(2):
        assert client.post(world["url"], {"step": form_step(world)}).status_code == 400
    response = client.post(world["url"], answers(step=form_step(world)))
    assert (
        response.status_code == 429 and "Please wait" in text(response) and int(response["Retry-After"]) > 0
    )
    with medspa_scope(world["medspa"]):
        assert IntakeResponse.objects.count() == 0
    for _ in range(3):
        assert client.get(world["url"]).status_code == 200
    assert client.get(world["url"]).status_code == 429
    assert client.get(reverse("booking_paperwork", args=["not-a-link"])).status_code == 429
    assert Client(REMOTE_ADDR="203.0.113.8").get(world["url"]).status_code == 200


# --- The manage page ----------------------------------------------------------------------------------------


def test_the_manage_page_shows_the_paperwork_and_links_to_it_while_something_is_left(client, world):
    manage = reverse("booking_manage", args=[world["appointment"].manage_token])
    page = text(client.get(manage))
    assert "Before your visit: forms and consents" in page and "Medical history: to do" in page
    assert "Neurotoxin consent: to sign" in page
    # The link the page hands out (signed when the page was made, so not the fixture's string) opens this
    # appointment's paperwork.
    [token] = re.findall(r'href="/book/paperwork/([^/"]+)/"', page)
    assert paperwork_rules.paperwork_open(token).pk == world["appointment"].pk
    client.post(world["url"], answers(step=form_step(world)))
    for version in world["consents"]:
        client.post(world["url"], {"step": f"consent-{version.pk}", "agree": "on", "data_url": drawn()})
    page = text(client.get(manage))
    assert "Forms complete · Consents signed" in page and "Medical history: done" in page
    assert "/book/paperwork/" not in page


# --- The services' refusals ---------------------------------------------------------------------------------


def test_the_services_refuse_what_the_appointment_does_not_need(world):
    appointment, version = world["appointment"], world["version"]
    ok = {"pregnant": True, "area": "Eyes", "signature": drawn()}
    with medspa_scope(world["medspa"]):
        newer = IntakeFormVersionFactory(form=version.form, number=2, sections=SECTIONS)
        with pytest.raises(paperwork_services.PaperworkRefused, match="has changed"):
            paperwork_services.intake_response_submit(
                appointment=appointment, version=version, answers=ok, ip=None
            )
        with pytest.raises(paperwork_services.PaperworkRefused, match="Please answer"):
            paperwork_services.intake_response_submit(
                appointment=appointment, version=newer, answers={}, ip=None
            )
        unnamed = IntakeFormVersionFactory(form=IntakeFormFactory(medspa=world["medspa"]), sections=SECTIONS)
        with pytest.raises(paperwork_services.PaperworkRefused, match="has changed"):
            paperwork_services.intake_response_submit(
                appointment=appointment, version=unnamed, answers=ok, ip=None
            )
        stranger = ConsentVersionFactory(consent=ConsentFactory(medspa=world["medspa"]))
        png = factories.png_signature()
        with pytest.raises(paperwork_services.PaperworkRefused, match="not one your visit needs"):
            paperwork_services.consent_sign_online(
                appointment=appointment, version=stranger, signature_png=png, ip=None
            )
        consent = world["consents"][0]
        paperwork_services.consent_sign_online(
            appointment=appointment, version=consent, signature_png=png, ip=None
        )
        with pytest.raises(paperwork_services.PaperworkRefused, match="already signed"):
            paperwork_services.consent_sign_online(
                appointment=appointment, version=consent, signature_png=png, ip=None
            )
        appointment.status = AppointmentStatus.NO_SHOW
        appointment.save()
        with pytest.raises(paperwork_services.PaperworkRefused, match="no longer open"):
            paperwork_services.intake_response_submit(
                appointment=appointment, version=newer, answers=ok, ip=None
            )
        assert IntakeResponse.objects.count() == 0 and ConsentSignature.objects.count() == 1


def test_a_drawing_that_is_not_a_png_is_refused(client, world):
    forged = "data:image/png;base64," + base64.b64encode(b"<svg onload=alert(1)>" * 10).decode()
    response = client.post(world["url"], answers(step=form_step(world), **{"q-signature": forged}))
    assert response.status_code == 400 and "could not be read" in text(response)
    version = world["consents"][0]
    response = client.post(world["url"], {"step": f"consent-{version.pk}", "agree": "on", "data_url": forged})
    assert response.status_code == 400 and "could not be read" in text(response)
    with medspa_scope(world["medspa"]):
        assert IntakeResponse.objects.count() == 0 and ConsentSignature.objects.count() == 0


def test_times_are_those_of_the_location(client, cast, provider):
    with medspa_scope(cast.medspa_a):
        location, appointment_type = factories.scheduling_world(
            cast.medspa_a, [provider], tz="America/New_York"
        )
        start = (timezone.now() + timedelta(days=2)).replace(hour=15, minute=0, second=0, microsecond=0)
        appointment = AppointmentFactory(
            medspa=cast.medspa_a, appointment_type=appointment_type, provider=provider, start=start
        )
    page = text(client.get(reverse("booking_paperwork", args=[paperwork_rules.paperwork_token(appointment)])))
    local = appointment.start.astimezone(location.tz)
    assert f"{local:%I:%M %p}".lstrip("0") + f" {local.tzname()}" in page and local.tzname() in ("EST", "EDT")
    assert "There are no forms or consents to complete before this visit." in page
