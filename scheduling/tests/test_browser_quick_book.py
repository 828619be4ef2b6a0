"""The calendar's quick-booking panel in a real Chromium: as a page, the front desk types part of a name,
picks the patient from the list with the keyboard and books the time clicked; then books a new patient
typed inline. Then the panel as the calendar loads it, a fragment swapped by htmx into <aside
id="quick-book">, telling the page what it booked. No CSP violation, no server error, no serious or critical
axe-core violation."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from medspa.models import Patient
from scheduling.models import Appointment
from tests import factories
from tests.browser import serious_violations, sign_in
from tests.factories import unscoped

pytestmark = pytest.mark.browser


@unscoped
def clinic_of(cast):
    """Medspa A's clinic where provider_a1 ("Dana Reyes") offers Neurotoxin; two patients named alike."""
    user = cast.provider_a1
    user.full_name = "Dana Reyes"
    user.save(update_fields=["full_name"])
    a1 = user.memberships.get()
    location, _ = factories.scheduling_world(cast.medspa_a, [a1])
    factories.PatientFactory(
        medspa=cast.medspa_a, first_name="Ada", last_name="Quillam", phone="+16195550111"
    )
    factories.PatientFactory(
        medspa=cast.medspa_a, first_name="Janeway", last_name="Quillfeather", phone="+16195550123"
    )
    return location, a1


@unscoped
def booked(first_name, last_name):
    return list(
        Appointment.objects.filter(
            patient__first_name=first_name, patient__last_name=last_name
        ).select_related("patient", "provider")
    )


def panel_url(live_server, location, a1, day, at: str) -> str:
    return (
        f"{live_server.url}{reverse('scheduling:quick_book')}"
        f"?start={day.isoformat()}T{at}&provider={a1.pk}&location={location.pk}"
    )


def test_the_front_desk_books_a_patient_on_file_then_a_new_one(page: Page, live_server, live_cast):
    location, a1 = clinic_of(live_cast)
    day = timezone.now().astimezone(location.tz).date() + timedelta(days=2)
    sign_in(page, live_server, live_cast.admin_a)

    page.goto(panel_url(live_server, location, a1, day, "10:30"))
    panel = page.get_by_role("region", name="Book an appointment")
    expect(panel.get_by_role("radio", name="10:30 AM", exact=True)).to_be_checked()
    search = panel.get_by_role("combobox", name="Find a patient")
    search.press_sequentially("quill", delay=40)
    options = panel.get_by_role("listbox", name="Matching patients").get_by_role("option")
    expect(options).to_have_count(2)
    expect(options.nth(1)).to_contain_text("Quillfeather, Janeway")
    expect(options.nth(1)).to_contain_text("•••0123")
    expect(search).to_have_attribute("aria-expanded", "true")
    search.press("ArrowDown")
    search.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(search).to_have_attribute("aria-activedescendant", re.compile(r"^qb-patient-option-\d+$"))
    assert serious_violations(page) == []
    search.press("Enter")
    expect(panel.get_by_text("Chosen: Janeway Quillfeather")).to_be_visible()
    expect(search).to_have_value("Janeway Quillfeather")
    expect(panel.get_by_role("listbox", name="Matching patients")).to_be_hidden()
    panel.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_role("heading", name="Booked")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Booked:")).to_have_text(
        f"Booked: Janeway Quillfeather for Neurotoxin on {day:%a %b} {day.day}, 10:30 AM with Dana Reyes"
    )
    (appointment,) = booked("Janeway", "Quillfeather")
    assert appointment.provider_id == a1.pk
    assert appointment.local_start.strftime("%H:%M") == "10:30"
    assert serious_violations(page) == []

    # A second booking, for someone new, typed in the panel.
    page.goto(panel_url(live_server, location, a1, day, "11:30"))
    panel = page.get_by_role("region", name="Book an appointment")
    panel.get_by_text("New patient", exact=True).click()
    panel.get_by_label("First name").fill("Maya")
    panel.get_by_label("Last name").fill("Chen")
    panel.get_by_label("Date of birth").fill("1990-06-15")
    panel.get_by_label("Phone").fill("(619) 555-0142")
    panel.get_by_label("Email", exact=True).fill("maya@mail.example")
    panel.get_by_label("Email them about their appointments").check()
    expect(panel.get_by_role("radio", name="11:30 AM", exact=True)).to_be_checked()
    assert serious_violations(page) == []
    panel.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Booked:")).to_contain_text(
        "Booked: Maya Chen for Neurotoxin"
    )
    (second,) = booked("Maya", "Chen")
    assert (second.patient.phone, second.patient.consent_email) == ("+16195550142", True)
    assert second.local_start.strftime("%H:%M") == "11:30"
    assert patients_named("Maya") == 1

    # As a page, the panel's Close goes back to the calendar.
    page.get_by_role("button", name="Close the booking panel").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("scheduling:calendar")) + "$"))


def test_the_calendar_loads_the_panel_as_a_fragment_and_hears_of_the_booking(
    page: Page, live_server, live_cast
):
    location, a1 = clinic_of(live_cast)
    day = timezone.now().astimezone(location.tz).date() + timedelta(days=3)
    sign_in(page, live_server, live_cast.admin_a)
    page.goto(f"{live_server.url}{reverse('scheduling:calendar')}")
    url = panel_url(live_server, location, a1, day, "14:00")
    page.evaluate(
        """(url) => {
          const aside = document.getElementById("quick-book");  // the calendar's own, hidden until used
          aside.hidden = false;
          document.body.addEventListener("appointment-booked", (event) => {
            window.bookedId = event.detail.id;
          });
          return htmx.ajax("GET", url, {target: "#quick-book", swap: "innerHTML"});
        }""",
        url,
    )
    aside = page.locator("aside#quick-book")
    panel = aside.get_by_role("region", name="Book an appointment")
    expect(panel.get_by_role("radio", name="2:00 PM", exact=True)).to_be_checked()
    search = panel.get_by_role("combobox", name="Find a patient")
    search.press_sequentially("janeway", delay=40)
    expect(panel.get_by_role("listbox", name="Matching patients").get_by_role("option")).to_have_count(1)
    search.press("ArrowDown")
    search.press("Enter")
    # Choosing someone refreshes the warnings: Janeway has no email consent and no SMS consent.
    expect(panel.get_by_text("no confirmation will be sent")).to_be_visible()
    # Someone takes 2:00 PM meanwhile: the panel says so (409), keeps the patient, offers fresh times.
    take(location, a1, day)
    panel.get_by_role("button", name="Book", exact=True).click()
    panel = aside.get_by_role("region", name="Book an appointment")
    expect(panel.get_by_text("That time is no longer available")).to_be_visible()
    expect(panel.get_by_text("Chosen: Janeway Quillfeather")).to_be_visible()
    expect(panel.get_by_role("radio", name="2:00 PM", exact=True)).to_have_count(0)
    assert serious_violations(page) == []
    panel.get_by_text("2:45 PM", exact=True).click()
    panel.get_by_role("button", name="Book", exact=True).click()
    expect(aside.get_by_role("status").filter(has_text="Booked:")).to_contain_text(
        f"Booked: Janeway Quillfeather for Neurotoxin on {day:%a %b} {day.day}, 2:45 PM with Dana Reyes"
    )
    (appointment,) = booked("Janeway", "Quillfeather")
    assert page.evaluate("window.bookedId") == appointment.pk
    assert serious_violations(page) == []


@unscoped
def take(location, a1, day):
    """Ada Quillam booked with provider_a1 at 2:00 PM on `day`, as another desk would."""
    start = datetime.combine(day, time(14), tzinfo=location.tz)
    Appointment.objects.create(
        medspa=location.medspa, location=location, provider=a1,
        appointment_type=location.appointment_types.get(),
        patient=Patient.objects.get(last_name="Quillam"), start=start, end=start + timedelta(minutes=30),
        blocked_start=start, blocked_end=start + timedelta(minutes=40),
    )  # fmt: skip


@unscoped
def patients_named(first_name):
    return Patient.objects.filter(first_name=first_name).count()
