"""The paperwork before a visit, on a phone (390 × 844), through a real Chromium: a patient books online,
opens the paperwork link from the confirmation email, answers the intake form, signs the two consents the
service needs by drawing with the mouse, and sees "All done". Every page fits the phone's width and axe finds
nothing serious on it. Then, at a desk, the provider reads the answers on the patient's profile, the
calendar shows the paperwork complete, the outside clearer reads the answers in the GFE review, and the
pre-visit care message went once by email and once by text.

Emails go out through Celery, eager in tests, in the live server's thread of this process."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from gfe.services import requests as gfe_requests
from gfe.tests.test_gfe_clearers import own_clearer
from medspa.messaging import sms
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, HistoryChange, IntakeResponse
from scheduling.tests.test_paperwork_page import SECTIONS  # every kind of question
from services_catalog.models import CareMessage, ConsentSignature
from services_catalog.tests.factories import (
    CareMessageFactory,
    CareMessageVersionFactory,
    ConsentFactory,
    ConsentVersionFactory,
    IntakeFormFactory,
    IntakeFormVersionFactory,
)
from tests import factories
from tests.browser import (
    book_up_to_details,
    draw_signature,
    eventually,
    fill_booking_details,
    no_csp_violations_nor_server_errors,
    screenshot,
    serious_violations,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("media_and_sms")]

LA = ZoneInfo("America/Los_Angeles")
PHONE_WIDTH = 390
CARE_TITLE = "Before your neurotoxin"
# A consent as long as real ones: more than its box shows, so that the box scrolls (and must be reachable by
# keyboard, as axe checks).
RISKS = "".join(f"\n\nRisk {number}: a rare effect, explained by your provider." for number in range(1, 25))


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": PHONE_WIDTH, "height": 844}}


@pytest.fixture
def clinic(live_cast):
    """Medspa A's location taking online bookings for Neurotoxin, whose service needs two consents and whose
    type names a medical history form asking every kind of question."""
    medspa = live_cast.medspa_a
    with medspa_scope(medspa):
        provider = live_cast.provider_a1.memberships.get()
        location, appointment_type = factories.scheduling_world(medspa, [provider])
        consents = [
            ConsentVersionFactory(
                consent=ConsentFactory(medspa=medspa, title=title), number=1, text=text + RISKS
            )
            for title, text in (
                ("Neurotoxin treatment consent", "Bruising, swelling and headache may occur."),
                ("Photography consent", "Photos of the treated area are kept in your chart."),
            )
        ]
        appointment_type.service.consents.set([version.consent for version in consents])
        form = IntakeFormFactory(medspa=medspa, title="Medical history")
        IntakeFormVersionFactory(form=form, number=1, sections=SECTIONS)
        appointment_type.intake_forms.set([form])
        care = CareMessageFactory(medspa=medspa, title=CARE_TITLE, timing=CareMessage.Timing.PRE)
        CareMessageVersionFactory(care_message=care, number=1, text="Avoid aspirin for a week before.")
        appointment_type.service.care_messages.set([care])
        own_clearer(medspa)  # the GFE goes to the medspa's outside clearer, by a link
    return location, consents


def fits_and_passes_axe(page: Page) -> None:
    """The page needs no sideways scrolling on the phone, and axe finds nothing serious or critical on it."""
    too_wide = page.evaluate(
        """width => Array.from(document.querySelectorAll("body *"))
            .filter(element => element.getBoundingClientRect().right > width)
            .map(element => element.tagName + "." + element.className)""",
        PHONE_WIDTH,
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH, (page.url, too_wide)
    assert serious_violations(page) == [], page.url


def paperwork_path(email: str) -> str:
    """The paperwork link's path, as the confirmation email carries it."""
    sent = eventually(lambda: [message for message in mail.outbox if email in message.to])
    links = [
        found.group(1)
        for message in sent
        if (found := re.search(r"https?://[^/\s]+(/book/paperwork/[^/\s]+/)", message.body))
    ]
    assert links, [message.body for message in sent]
    return links[0]


def sign_consent(page: Page, title: str, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text(text)).to_be_visible()
    fits_and_passes_axe(page)
    canvas = page.locator("canvas[data-signature-pad]")
    box = canvas.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH
    page.get_by_label("I have read and agree to this consent").check()
    draw_signature(page, canvas)
    screenshot(page, f"paperwork-consent-{title.split()[0].lower()}-phone")
    page.get_by_role("button", name="Sign this consent").click()


def test_a_patient_books_online_then_completes_the_paperwork_on_a_phone(
    live_server, page: Page, browser: Browser, live_cast, clinic
):
    location, consents = clinic
    day = timezone.now().astimezone(LA).date() + timedelta(days=3)
    email = "maya.chen@mail.example"

    details = book_up_to_details(page, live_server, location, day)
    fill_booking_details(details, email)
    details.get_by_label("Text me about my appointments").check()
    details.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("status")).to_contain_text("You’re booked.")
    expect(page.get_by_role("link", name="Complete your forms and consents")).to_be_visible()
    fits_and_passes_axe(page)
    with medspa_scope(location.medspa_id):
        appointment = Appointment.objects.select_related("patient").get(patient__email=email)

    path = paperwork_path(email)  # the patient receives the link in the confirmation
    page.goto(live_server.url + path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Before your visit")
    expect(page.get_by_text("To sign")).to_have_count(2)
    fits_and_passes_axe(page)

    # The intake form: sent with the required choices left out, it comes back with its errors and keeps the
    # answers given, the drawn signature too; then answered in full.
    page.get_by_role("link", name="Start: Medical history").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Medical history")
    fits_and_passes_axe(page)
    page.get_by_label("List any allergies").fill("Latex")
    draw_signature(page, page.locator("canvas[data-signature-pad]"))
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("alert")).to_contain_text("Please check the answers marked below.")
    expect(page.get_by_label("List any allergies")).to_have_value("Latex")
    expect(page.locator("input[name='q-signature']")).to_have_value(re.compile(r"^data:image/png;base64,"))
    fits_and_passes_axe(page)
    screenshot(page, "paperwork-form-with-errors-phone")
    page.get_by_role("group", name=re.compile(r"^Are you pregnant")).get_by_label("No", exact=True).check()
    page.get_by_label("Medications you take").fill("Tretinoin")
    page.get_by_label("Date of your last treatment").fill("2026-01-15")
    page.get_by_role("group", name=re.compile(r"^Main area to treat")).get_by_label("Eyes").check()
    concerns = page.get_by_role("group", name="Concerns")
    concerns.get_by_label("Lines").check()
    concerns.get_by_label("Texture").check()
    page.get_by_role("button", name="Send my answers").click()

    # The two consents, each signed by drawing on the pad.
    sign_consent(page, "Neurotoxin treatment consent", "Bruising, swelling and headache may occur.")
    sign_consent(page, "Photography consent", "Photos of the treated area are kept in your chart.")

    expect(page.get_by_role("heading", name="All done")).to_be_visible()
    expect(page.get_by_text("To do")).to_have_count(0)
    fits_and_passes_axe(page)
    screenshot(page, "paperwork-all-done-phone")

    with medspa_scope(location.medspa_id):
        response = IntakeResponse.objects.get(appointment=appointment)
        signatures = list(ConsentSignature.objects.filter(patient=appointment.patient))
        changes = {
            change.record: change for change in HistoryChange.objects.filter(patient=appointment.patient)
        }
        appointment.patient.refresh_from_db()
    assert response.answers["pregnant"] is False and response.answers["area"] == "Eyes"
    assert response.answers["concerns"] == ["Lines", "Texture"]
    assert response.answers["last_treatment"] == "2026-01-15"
    assert response.answers["signature"].startswith("data:image/png;base64,")
    assert sorted(signature.version_id for signature in signatures) == sorted(v.pk for v in consents)
    assert all(signature.witnessed_by is None and signature.ip for signature in signatures)
    assert {record: (c.proposed, c.status) for record, c in changes.items()} == {
        "allergies": ("Latex", HistoryChange.Status.PENDING),
        "medications": ("Tretinoin", HistoryChange.Status.PENDING),
    }
    assert (appointment.patient.allergies, appointment.patient.medications) == ("", "")

    staff_sees_the_paperwork(live_server, browser, live_cast, appointment, email)


def staff_sees_the_paperwork(live_server, browser: Browser, live_cast, appointment, email) -> None:
    """The rest of the issue's proof, at a desk: the provider reads the answers on the patient's profile and
    the outside clearer in the GFE review, the calendar shows the paperwork complete, and the pre-visit care
    message went once per channel, however often the sweep runs."""
    from scheduling.models import NotificationLog
    from scheduling.services import pre_visit

    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = desk.new_page()
        with no_csp_violations_nor_server_errors(page):
            sign_in(page, live_server, live_cast.provider_a1)
            page.goto(live_server.url + reverse("providers:patient_detail", args=[appointment.patient_id]))
            panel = page.locator("#paperwork")
            expect(panel).to_contain_text("Forms complete · Consents signed")
            expect(panel).to_contain_text("Allergies")
            panel.get_by_role("link", name="Medical history").first.click()
            expect(page.locator("main")).to_contain_text("List any allergies")
            expect(page.locator("main")).to_contain_text("Latex")
            screenshot(page, "paperwork-provider-reads-the-answers")

            day = appointment.start.astimezone(LA).date().isoformat()
            page.goto(f"{live_server.url}{reverse('providers:calendar')}?view=day&date={day}")
            expect(page.get_by_text("Paperwork complete").first).to_be_visible()
            screenshot(page, "paperwork-calendar-complete")

        with medspa_scope(appointment.medspa_id):
            gfe_request = gfe_requests.gfe_request_create(
                patient=appointment.patient,
                services=[appointment.appointment_type.service],
                requested_by=None,
            ) or appointment.patient.gfe_requests.latest("pk")
        review = desk.new_page()
        with no_csp_violations_nor_server_errors(review):
            review.goto(f"{live_server.url}/gfe/review/{gfe_request.review_token}/")
            expect(review.locator("main")).to_contain_text("Medical history")
            expect(review.locator("main")).to_contain_text(re.compile(r"Answered \w{3} \d{1,2}, \d{4} at"))
            expect(review.locator("main")).to_contain_text("Latex")
            screenshot(review, "paperwork-gfe-review-answers")
    finally:
        desk.close()

    pre_visit.pre_visit_care_sweep()
    pre_visit.pre_visit_care_sweep()  # a second run, as beat would: nothing more goes
    with medspa_scope(appointment.medspa_id):
        care = list(
            NotificationLog.objects.filter(appointment=appointment, kind__startswith="care-").values_list(
                "channel", "status"
            )
        )
    assert sorted(care) == [("email", "sent"), ("sms", "sent")]  # one per channel, ever
    care_emails = [m for m in mail.outbox if email in m.to and CARE_TITLE in m.subject]
    assert len(care_emails) == 1 and "Avoid aspirin" in care_emails[0].body
    care_texts = [text for text in sms.outbox if CARE_TITLE in text["body"]]
    assert len(care_texts) == 1 and "Avoid aspirin" in care_texts[0]["body"]
