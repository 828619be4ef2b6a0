"""The admin settles a possible duplicate through a real Chromium: the flag on the patient list, the side by
side comparison, the confirmation step, and the merged record reached from the one kept."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from medspa.models import Patient
from medspa.models.patients import PatientStatus
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment
from scheduling.services import booking
from tests import factories
from tests.browser import screenshot, sign_in, url_is

pytestmark = pytest.mark.browser


def test_an_admin_merges_a_possible_duplicate_after_confirming(live_server, page: Page, live_cast):
    medspa, admin = live_cast.medspa_a, live_cast.admin_a
    with medspa_scope(medspa):
        provider = live_cast.provider_a1.memberships.get()
        _location, appointment_type = factories.scheduling_world(medspa, [provider])
    on_file = factories.PatientFactory(
        medspa=medspa, first_name="Ana", last_name="Lopez", date_of_birth=date(1985, 4, 12),
        email="ana.lopez@mail.example", phone="(619) 555-0123",
    )  # fmt: skip
    booked = factories.PatientFactory(
        medspa=medspa, first_name="Ana", last_name="Lopez", date_of_birth=date(1985, 4, 12),
        email="ana.new@mail.example", phone="", possible_duplicate_of=on_file,
    )  # fmt: skip
    start = datetime.combine(
        date.today() + timedelta(days=3), time(10), tzinfo=ZoneInfo("America/Los_Angeles")
    )
    with medspa_scope(medspa):
        appointment = booking.appointment_import(
            appointment_type=appointment_type, provider=provider, patient=booked,
            start=start, end=start + timedelta(minutes=30), idempotency_key="merge-browser",
        )  # fmt: skip
    sign_in(page, live_server, admin)

    page.goto(f"{live_server.url}/dashboard/patients/")
    page.get_by_role("link", name="Possible duplicate").click()
    expect(page).to_have_url(url_is(live_server, f"/dashboard/patients/{booked.pk}/merge/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Possible duplicate: Ana Lopez")
    expect(page.get_by_text("ana.new@mail.example")).to_be_visible()
    expect(page.get_by_text("ana.lopez@mail.example")).to_be_visible()
    screenshot(page, "patient-merge-compare")
    page.get_by_role("button", name="Merge…").click()

    # The confirmation: nothing has happened yet.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Merge Ana Lopez")
    expect(page.get_by_role("cell", name="Appointments")).to_be_visible()
    with medspa_scope(medspa):
        assert Patient.objects.get(pk=booked.pk).merged_into is None
    screenshot(page, "patient-merge-confirm")
    page.get_by_role("button", name="Merge the records").click()

    expect(page).to_have_url(url_is(live_server, f"/dashboard/patients/{on_file.pk}/"))
    expect(page.get_by_text("The two records were merged into Ana Lopez's.")).to_be_visible()
    page.get_by_role("link", name="Ana Lopez (added").click()
    expect(page).to_have_url(url_is(live_server, f"/dashboard/patients/{booked.pk}/"))
    expect(page.get_by_text("This record was merged into")).to_be_visible()
    with medspa_scope(medspa):
        booked.refresh_from_db()
        assert (booked.merged_into, booked.status) == (on_file, PatientStatus.ARCHIVED)
        assert Appointment.objects.get(pk=appointment.pk).patient == on_file


def test_an_admin_says_two_look_alikes_are_different_people(live_server, page: Page, live_cast):
    medspa = live_cast.medspa_a
    on_file = factories.PatientFactory(medspa=medspa, first_name="Sam", last_name="Lee")
    booked = factories.PatientFactory(
        medspa=medspa, first_name="Sam", last_name="Lee", possible_duplicate_of=on_file
    )
    sign_in(page, live_server, live_cast.admin_a)
    page.goto(f"{live_server.url}/dashboard/patients/{booked.pk}/")
    expect(page.get_by_text("Possible duplicate of")).to_be_visible()
    page.get_by_role("link", name="Compare and merge").click()
    page.get_by_role("button", name="Not the same person").click()
    expect(page).to_have_url(url_is(live_server, f"/dashboard/patients/{booked.pk}/"))
    expect(page.get_by_text("Possible duplicate of")).to_have_count(0)
    with medspa_scope(medspa):
        assert Patient.objects.get(pk=booked.pk).possible_duplicate_of is None
