"""Every form that someone without a staff session posts, through a real Chromium: a patient books online,
then cancels or reschedules from the link in the confirmation email; the medspa's outside clearer starts
a review and signs a decision through the emailed GFE link; the provider confirms the OpenPhone release
through the emailed confirmation link.

The link's pages keep their secret out of other sites' Referer headers with `Referrer-Policy:
same-origin`. With `no-referrer` Chromium posted their forms with `Origin: null`, and Django's CSRF check
answered 403: so each test also checks the Origin header that the browser sent with the POST.

Emails go out through Celery, eager in tests, in the live server's thread of this process:
django.core.mail.outbox is shared with the test."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from gfe.models import ClearanceStatus, GfeExam, GfeRequest, RequestStatus, Routing
from gfe.services import requests as gfe_requests
from gfe.tests.test_gfe_clearers import CLEARER_EMAIL, own_clearer
from medspa import clock
from medspa.models import PatientProvider
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import booking
from services_catalog.services import catalog
from tests import factories
from tests.browser import (
    book_up_to_details,
    draw_signature,
    eventually,
    fill_booking_details,
    no_csp_violations_nor_server_errors,
    sign_in,
)
from transition.models import ReleaseConfirmation
from transition.models.records import ConfirmationParty
from transition.services import approval as transition_approval
from transition.services import confirmations as transition_confirmations

pytestmark = pytest.mark.browser

LA = ZoneInfo("America/Los_Angeles")


# --- Helpers ------------------------------------------------------------------------------------------------


def today_la() -> date:
    return timezone.now().astimezone(LA).date()


def at_la(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LA)


def emailed_path(pattern: str, to: str) -> str:
    """The path of the link in the email sent to `to`, as the person would open it."""
    sent = eventually(lambda: [message for message in mail.outbox if to in message.to])
    assert sent, [(message.to, message.subject) for message in mail.outbox]
    found = re.search(rf"https?://[^/\s]+({pattern})", sent[-1].body)
    assert found, sent[-1].body
    return found.group(1)


def submit(page: Page, live_server, button) -> None:
    """Clicks a form's submit button and checks that the browser named our own site as the POST's origin
    (`Origin: null`, which Chromium sends from a page with `Referrer-Policy: no-referrer`, is refused by
    Django's CSRF check)."""
    with page.expect_request(lambda request: request.method == "POST") as posted:
        button.click()
    assert posted.value.header_value("origin") == live_server.url


def open_link(page: Page, live_server, path: str) -> None:
    response = page.goto(live_server.url + path)
    assert response is not None and response.status == 200
    assert response.header_value("referrer-policy") == "same-origin"


@pytest.fixture
def public_booking(live_cast):
    """Medspa A's location taking online bookings with provider_a1, who works 9:00–17:00 every day."""
    with medspa_scope(live_cast.medspa_a):
        provider = live_cast.provider_a1.memberships.get()
        location, appointment_type = factories.scheduling_world(live_cast.medspa_a, [provider])
        return provider, location, appointment_type


# --- The patient: book, then cancel or reschedule from the emailed link -------------------------------------


def test_a_patient_books_online_and_cancels_from_the_emailed_link(
    live_server, page: Page, new_context, public_booking
):
    provider, location, appointment_type = public_booking
    day = today_la() + timedelta(days=3)
    email = "maya.chen@mail.example"

    # Booking: the public form, posted by a visitor with no session.
    details = book_up_to_details(page, live_server, location, day)
    fill_booking_details(details, email)
    submit(page, live_server, details.get_by_role("button", name="Confirm booking"))
    expect(page.get_by_role("status")).to_contain_text("You’re booked.")
    with medspa_scope(location.medspa_id):
        appointment = Appointment.objects.get(patient__email=email)
    assert appointment.local_start == at_la(day, 10)

    # Days later, from the email, in a browser that never saw the booking: cancel.
    link = emailed_path(r"/book/manage/[^/\s]+/", email)
    assert link == f"/book/manage/{appointment.manage_token}/"
    patient = new_context().new_page()
    with no_csp_violations_nor_server_errors(patient):
        open_link(patient, live_server, link)
        cancel = patient.get_by_role("region", name="Cancel")
        cancel.get_by_label("Reason for cancelling").fill("Out of town that week")
        patient.once("dialog", lambda dialog: dialog.accept())
        submit(patient, live_server, cancel.get_by_role("button", name="Cancel my appointment"))
        expect(patient.get_by_role("status")).to_have_text("Your appointment was cancelled.")
        expect(patient.get_by_role("button", name="Cancel my appointment")).to_have_count(0)

    with medspa_scope(location.medspa_id):
        appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == (
        AppointmentStatus.CANCELLED,
        "Out of town that week",
    )


def test_a_patient_reschedules_from_the_emailed_link_to_another_time(
    live_server, page: Page, live_cast, public_booking
):
    provider, location, appointment_type = public_booking
    first_day, new_day = today_la() + timedelta(days=3), today_la() + timedelta(days=4)
    patient = factories.PatientFactory(
        medspa=live_cast.medspa_a, email="ana.lopez@mail.example", consent_email=True
    )
    with medspa_scope(live_cast.medspa_a):
        appointment = booking.appointment_book(
            appointment_type=appointment_type,
            start=at_la(first_day, 10),
            patient=patient,
            provider=provider,
            source=Appointment.Source.ONLINE,
        )

    open_link(page, live_server, emailed_path(r"/book/manage/[^/\s]+/", patient.email))
    reschedule = page.get_by_role("region", name="Reschedule")
    reschedule.get_by_role("link", name=f"{new_day:%a, %b} {new_day.day}", exact=True).click()
    reschedule.get_by_role("radio", name=re.compile(r"^2:00 PM P[SD]T$")).check()
    submit(page, live_server, reschedule.get_by_role("button", name="Move my appointment"))
    expect(page.get_by_role("status")).to_have_text("Your appointment was moved to the new time below.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Neurotoxin")

    with medspa_scope(live_cast.medspa_a):
        appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.local_start == at_la(new_day, 14)


# --- The outside clearer: Start review, then the signed decision --------------------------------------------


@pytest.fixture
def sent_to_the_clearer(live_cast) -> GfeRequest:
    """A GFE request of medspa A for one service, routed to the medspa's own outside clearer (emailed)."""
    with medspa_scope(live_cast.medspa_a):
        medspa = live_cast.medspa_a
        own_clearer(medspa)
        service = catalog.service_import(
            medspa=medspa, library_service=factories.library_service(name="Neurotoxin: glabellar lines")
        )
        service = catalog.service_set_active(service=service, active=True)
        patient = factories.PatientFactory(medspa=medspa, first_name="Adaline", allergies="Penicillin")
        PatientProvider.objects.create(patient=patient, membership=live_cast.provider_a1.memberships.get())
        gfe_request = gfe_requests.gfe_request_create(
            patient=patient, services=[service], requested_by=live_cast.admin_a
        )
        assert gfe_request.route == Routing.OWN_CLEARER and gfe_request.status == RequestStatus.SENT
        return gfe_request


@pytest.mark.usefixtures("media_and_sms")
def test_the_outside_clearer_starts_the_review_and_signs_the_decision_through_the_emailed_link(
    live_server, page: Page, sent_to_the_clearer
):
    gfe_request = sent_to_the_clearer
    link = emailed_path(r"/gfe/review/[^/\s]+/", CLEARER_EMAIL)
    assert link == f"/gfe/review/{gfe_request.review_token}/"

    open_link(page, live_server, link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Good Faith Exam")
    submit(page, live_server, page.get_by_role("button", name="Start review"))
    expect(page.get_by_role("button", name="Start review")).to_have_count(0)
    with medspa_scope(gfe_request.medspa_id):
        gfe_request.refresh_from_db()
    assert gfe_request.status == RequestStatus.IN_REVIEW

    decisions = page.get_by_role("region", name="Decision for each service")
    decisions.get_by_role("group", name="Neurotoxin: glabellar lines").get_by_role(
        "radio", name="Cleared", exact=True
    ).check()
    exam = page.get_by_role("region", name="Exam")
    for reviewed in exam.locator("input[type=checkbox]").all():
        reviewed.check()
    exam.get_by_label("Diagnoses").fill("Dynamic rhytids")
    sign = page.get_by_role("region", name="Sign")
    sign.get_by_label("Licence").fill("CA A12345")
    draw_signature(page, sign.locator("canvas[data-signature-pad]"))
    submit(page, live_server, sign.get_by_role("button", name="Sign the exam"))
    expect(page.get_by_text("Thank you")).to_be_visible()

    with medspa_scope(gfe_request.medspa_id):
        gfe_request.refresh_from_db()
        assert gfe_request.status == RequestStatus.APPROVED
        assert list(gfe_request.clearances.values_list("status", flat=True)) == [ClearanceStatus.CLEARED]
        signed = GfeExam.objects.get(request=gfe_request)
    assert (signed.clearer_name, signed.clearer_licence) == ("Dr. Outside Clearer", "CA A12345")
    assert signed.signature.read().startswith(b"\x89PNG")


# --- The provider: the OpenPhone release's confirmation link ------------------------------------------------


def test_the_provider_confirms_the_openphone_release_through_the_emailed_link(
    live_server, page: Page, live_cast
):
    medspa, admin = live_cast.medspa_a, live_cast.admin_a
    medspa.business_model, medspa.keeps_coordinator = "legacy", True
    medspa.save()
    with medspa_scope(medspa):
        transition = transition_approval.transition_schedule(
            medspa=medspa,
            by=live_cast.staff,
            terms=transition_approval.TransitionTerms(
                "launch", clock.today(medspa) + timedelta(days=7), False, None
            ),
        )
        transition_confirmations.openphone_account_set(
            transition=transition, by=admin, email="owner@glow.example"
        )
        transition_confirmations.openphone_acknowledge(transition=transition, by=admin)

    sign_in(page, live_server, admin)
    open_link(page, live_server, emailed_path(r"/transition/confirm/[^/\s]+/", admin.email))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the release of the OpenPhone number")
    submit(page, live_server, page.get_by_role("button", name="Confirm", exact=True))
    expect(page.locator(".messages")).to_have_text("Thank you: your written confirmation was recorded.")

    with medspa_scope(medspa):
        row = ReleaseConfirmation.objects.get(transition=transition)
    assert (row.party, row.user, row.target_email) == (
        ConfirmationParty.PROVIDER,
        admin,
        "owner@glow.example",
    )
