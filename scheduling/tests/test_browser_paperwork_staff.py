"""The admin reviews a patient's intake answers through a real Chromium: the To-Do leads to the profile's
Paperwork panel, the answers open on their own page, and an answer that would change the allergies is
accepted with the admin's own wording after seeing the record beside it; another is declined after
confirming."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, HistoryChange
from scheduling.tests.factories import HistoryChangeFactory, IntakeResponseFactory
from services_catalog.tests.factories import IntakeFormVersionFactory
from tests import factories
from tests.browser import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_an_admin_accepts_one_answer_in_their_own_words_and_declines_another(
    live_server, page: Page, live_cast
):
    medspa = live_cast.medspa_a
    with medspa_scope(medspa):
        provider = live_cast.provider_a1.memberships.get()
        location, appointment_type = factories.scheduling_world(medspa, [provider])
        version = IntakeFormVersionFactory(form__medspa=medspa, form__title="Health history")
        appointment_type.intake_forms.add(version.form, IntakeFormVersionFactory(form__medspa=medspa).form)
        patient = factories.PatientFactory(
            medspa=medspa, first_name="Ana", last_name="Lopez", allergies="Latex"
        )
        start = timezone.now().astimezone(location.tz).replace(hour=10, minute=0, second=0, microsecond=0)
        start += timedelta(days=1)
        appointment = Appointment.objects.create(
            medspa=medspa, location=location, provider=provider, patient=patient,
            appointment_type=appointment_type, start=start, end=start + timedelta(minutes=30),
            blocked_start=start, blocked_end=start + timedelta(minutes=30),
        )  # fmt: skip
        response = IntakeResponseFactory(
            medspa=medspa, appointment=appointment, version=version,
            answers={"pregnant": False, "allergies": "Penicillin"},
        )  # fmt: skip
        allergies = HistoryChangeFactory(
            medspa=medspa, response=response, record="allergies", before="Latex", proposed="Penicillin"
        )
        medications = HistoryChangeFactory(
            medspa=medspa, response=response, record="medications", proposed="Isotretinoin"
        )
    sign_in(page, live_server, live_cast.admin_a)

    page.goto(f"{live_server.url}/dashboard/")
    todo = page.locator("#todo-paperwork")
    expect(todo).to_contain_text("Ana Lopez")
    expect(todo).to_contain_text("Forms 1 of 2")
    expect(page.locator("#todo-answers")).to_contain_text("2 answers to review")
    todo.get_by_role("link", name="Ana Lopez").click()
    expect(page).to_have_url(f"{live_server.url}/dashboard/patients/{patient.pk}/#paperwork")
    panel = page.locator("#paperwork")
    expect(panel).to_contain_text("Form “Health history”: complete")
    screenshot(page, "paperwork_panel")

    panel.get_by_role("link", name="Health history").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Health history")
    expect(page.locator("dl.facts").last).to_contain_text("Penicillin")
    page.go_back()

    page.locator("#paperwork li", has_text="Allergies").get_by_role("link", name="Review and accept").click()
    expect(page.locator("#current-title")).to_have_text("Allergies on the record now")
    expect(page.get_by_label("What the record will say")).to_have_value("Penicillin")
    page.get_by_label("What the record will say").fill("Latex, penicillin")
    page.get_by_role("button", name="Accept and update the record").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana Lopez")
    expect(page.get_by_text("Allergies of Ana Lopez updated.")).to_be_visible()

    page.locator("#paperwork li", has_text="Medications").get_by_role("link", name="Decline").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Decline this answer?")
    page.get_by_role("button", name="Decline the answer").click()
    expect(page.locator("#paperwork")).to_contain_text("No answer waiting.")
    screenshot(page, "paperwork_answers_decided")

    with medspa_scope(medspa):
        patient.refresh_from_db()
        allergies.refresh_from_db()
        medications.refresh_from_db()
    assert patient.allergies == "Latex, penicillin" and patient.medications == ""
    assert allergies.status == HistoryChange.Status.ACCEPTED and allergies.decided_by == live_cast.admin_a
    assert medications.status == HistoryChange.Status.DECLINED
