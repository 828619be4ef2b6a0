"""The admin's overview in a real Chromium: an admin signs in and reads Today (appointments by status, who is
late, paperwork missing, GFEs waiting, revenue), checks a late patient in from it and opens a count on the
calendar; on a desktop and on a 390 px phone the page scrolls nowhere sideways, axe-core finds no serious or
critical violation, and the Content Security Policy blocks nothing.

The live server keeps the real clock, so the medspa and its clinic are put in a zone where it is now about
noon: the day's times are then all today's, whenever the test runs."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from gfe.tests.factories import GfeRequestFactory
from medspa.tenancy import medspa_scope
from providers.tests.test_earnings import bulk_sales
from scheduling.models import Appointment, AppointmentStatus
from services_catalog.tests.factories import IntakeFormVersionFactory
from tests import factories
from tests.browser import PHONE, screenshot, serious_violations, sign_in, url_is

pytestmark = pytest.mark.browser


def zone_at_noon() -> str:
    """A zone of a whole number of hours from UTC where it is now between noon and 1 PM."""
    offset = 12 - datetime.now(UTC).hour  # -11 to +12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def appointment(world, provider, start, status, patient_name) -> Appointment:
    first, last = patient_name.split()
    patient = factories.PatientFactory(medspa=world.location.medspa, first_name=first, last_name=last)
    end = start + timedelta(minutes=30)
    with medspa_scope(world.location.medspa):
        return Appointment.objects.create(
            medspa=world.location.medspa, location=world.location, provider=provider, patient=patient,
            appointment_type=world.appointment_type, start=start, end=end, blocked_start=start,
            blocked_end=end, status=status,
        )  # fmt: skip


@pytest.fixture
def day(live_cast, provider, colleague):
    """Medspa A's day, at noon in its zone: Rosa is 25 minutes late, Iris is checked in, Nora comes at 2 PM
    (none has done the intake form and the consent), a no-show this morning; $1,234.50 sold; a GFE
    request waiting."""
    medspa = live_cast.medspa_a
    medspa.time_zone = zone_at_noon()
    medspa.save()
    world = factories.charting_world(medspa, provider, tz=medspa.time_zone)
    with medspa_scope(medspa):
        version = IntakeFormVersionFactory(form__medspa=medspa, form__title="Health history")
        world.appointment_type.intake_forms.add(version.form)
    now = timezone.now().replace(second=0, microsecond=0)
    noon = now.astimezone(medspa.tz).replace(hour=12, minute=0)
    late = appointment(world, provider, now - timedelta(minutes=25), AppointmentStatus.BOOKED, "Rosa Late")
    appointment(world, colleague, now - timedelta(minutes=20), AppointmentStatus.CHECKED_IN, "Iris Here")
    appointment(world, provider, noon + timedelta(hours=2), AppointmentStatus.CONFIRMED, "Nora Later")
    appointment(world, colleague, noon - timedelta(hours=3), AppointmentStatus.NO_SHOW, "Omar Absent")
    bulk_sales(provider, when=now - timedelta(minutes=30), subtotal="1234.50", tax="0.00")
    GfeRequestFactory(medspa=medspa, status="sent")
    return late


def today_region(page: Page):
    return page.get_by_role("region", name=re.compile(r"^Today"))


def test_the_admin_reads_today_and_checks_a_late_patient_in(live_server, page: Page, live_cast, day):
    sign_in(page, live_server, live_cast.admin_a)
    page.goto(f"{live_server.url}/dashboard/")
    today = today_region(page)
    expect(today).to_be_visible()

    appointments = today.get_by_role("region", name="Appointments")
    expect(appointments.get_by_role("link", name="4 appointments today")).to_be_visible()
    counts = appointments.get_by_role("listitem")
    expect(counts).to_have_text(
        ["1 booked", "1 confirmed", "1 checked in", "0 completed", "1 no-show", "0 cancelled"]
    )

    late = today.get_by_role("region", name=re.compile("^Running late"))
    expect(late.get_by_role("listitem")).to_have_count(1)
    expect(late.get_by_role("listitem")).to_contain_text(re.compile(r"Rosa Late.*2[5-6] min late", re.S))
    expect(late).not_to_contain_text("Iris Here")

    paperwork = today.get_by_role("region", name=re.compile("^Paperwork missing"))
    expect(paperwork.get_by_role("listitem")).to_have_count(3)  # Rosa, Iris (under way) and Nora
    expect(paperwork.get_by_role("listitem").filter(has_text="Nora Later")).to_contain_text("2:00 PM")
    expect(paperwork).to_contain_text("Forms 0 of 1 · Consents 0 of 1")

    gfes = today.get_by_role("region", name="GFEs waiting")
    expect(gfes).to_contain_text("1 GFE request waiting for an exam")
    expect(gfes.get_by_role("link", name="Open GFE management")).to_be_visible()

    revenue = today.get_by_role("region", name="Revenue today")
    expect(revenue).to_contain_text("$1,234.50")
    expect(revenue).to_contain_text(re.compile(r"No earlier \w+days yet to compare with\."))

    # The rest of the overview stays: the To-Do and the counts.
    expect(page.get_by_role("heading", name="To-Do", level=2)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^\d+ patients$"))).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "admin_home_today_desktop")

    # A count opens the calendar's day, filtered to that status.
    appointments.get_by_role("link", name="1 no-show").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/scheduling/calendar/"))
    expect(page.get_by_label("Status", exact=True)).to_have_value("no_show")
    expect(page.get_by_role("link", name="Omar Absent")).to_be_visible()  # in the day's list
    expect(page.get_by_text("Rosa Late")).to_have_count(0)

    # Rosa arrives: checked in from the overview, she leaves the late list.
    page.go_back()
    today_region(page).get_by_role("button", name="Check in Rosa Late").click()
    expect(page.get_by_text("The appointment is now checked in.")).to_be_visible()
    page.goto(f"{live_server.url}/dashboard/")
    expect(today_region(page).get_by_text("Nobody is late.")).to_be_visible()


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, PHONE], ids=["desktop", "phone"])
def test_the_overview_fits_the_screen_and_passes_the_accessibility_check(
    live_server, page: Page, live_cast, day, viewport
):
    page.set_viewport_size(viewport)
    sign_in(page, live_server, live_cast.admin_a)
    page.goto(f"{live_server.url}/dashboard/")
    expect(today_region(page)).to_be_visible()
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the overview is {width} px wide: it scrolls sideways"
    assert serious_violations(page) == []
    check_in = today_region(page).get_by_role("button", name="Check in Rosa Late")
    check_in.scroll_into_view_if_needed()
    box = check_in.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
    screenshot(page, f"admin_home_today_{viewport['width']}")
