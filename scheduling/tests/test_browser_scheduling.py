"""Scheduling through a real Chromium: the admin books, reschedules and cancels an appointment on the
calendar; a patient books through the public link (not signed in) and gets the confirmation by email and
SMS; a provider's own calendar shows only their appointments, and another provider's is a 404.

The browser is signed in by handing it the session of a Django test client that did force_login (as in
test_browser_dashboards.py). Notifications go out through Celery, eager in tests, in the live server's
thread of this process: django.core.mail.outbox and medspa.messaging.sms.outbox are shared with the test."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from medspa.messaging import sms
from medspa.models import Patient
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, AppointmentStatus, NotificationLog
from scheduling.services import booking
from tests import factories
from tests.browser import eventually, fill_booking_details, screenshot, sign_in, url_is
from tests.factories import unscoped

pytestmark = pytest.mark.browser

LA = ZoneInfo("America/Los_Angeles")
NOT_FOUND = "We couldn’t find that page"
SENT = NotificationLog.Status.SENT


# --- Helpers ------------------------------------------------------------------------------------------------


def today_la() -> date:
    return timezone.now().astimezone(LA).date()


def at_la(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LA)


def short_day(day: date) -> str:
    """The calendar's messages: "Thu Mar 5"."""
    return f"{day:%a %b} {day.day}"


def long_day(day: date) -> str:
    """The calendar's day title: "Thursday, March 5, 2026"."""
    return f"{day:%A, %B} {day.day}, {day.year}"


@unscoped
def name_provider(user, full_name: str):
    user.full_name = full_name
    user.save(update_fields=["full_name"])
    return user.memberships.get()


def admin_nav(page: Page):
    return page.get_by_role("navigation", name="Medspa Admin dashboard")


def provider_nav(page: Page):
    return page.get_by_role("navigation", name="Provider dashboard")


def calendar_filters(page: Page):
    return page.get_by_role("form", name="Calendar filters")


def go_to_date(page: Page, day: date) -> None:
    """Types the date into the calendar's filter form and shows it."""
    calendar_filters(page).get_by_label("Date").fill(day.isoformat())
    calendar_filters(page).get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"[?&]date={day.isoformat()}(&|$)"))


def day_list(page: Page):
    """The calendar's list of the chosen day (under the time grid)."""
    return page.get_by_role("region", name=re.compile(r"^List · "))


def day_row(page: Page, at: str, provider_name: str):
    """The day list's rows at `at` ("10:00 AM") with `provider_name`."""
    time_cell = page.get_by_role("cell", name=re.compile(rf"^{re.escape(at)}–"))
    return day_list(page).get_by_role("row").filter(has=time_cell).filter(has_text=provider_name)


def chip(scope, patient):
    """An appointment's link in the day list: the patient's name."""
    return scope.get_by_role("link", name=patient.full_name, exact=True)


def grid_event(page: Page, patient):
    """The appointment drawn on the time grid."""
    return page.locator("#calendar-grid .ec-event").filter(has_text=patient.full_name)


def card(page: Page, title: str):
    """A <section class="card"> of the appointment page, by its h2."""
    return page.locator("section.card").filter(
        has=page.get_by_role("heading", level=2, name=title, exact=True)
    )


def fact(page: Page, term: str):
    """The <dd> after the <dt> `term` of the page's facts."""
    return page.locator("dl.facts dt").filter(has_text=re.compile(rf"^{re.escape(term)}$")).locator("+ dd")


class Watch:
    """Fails the test on a Content Security Policy violation, an uncaught script error or a 5xx answer (a
    500 answered to an htmx request would not show on the page)."""

    def __init__(self):
        self.problems: list[str] = []

    def attach(self, page: Page) -> Page:
        def record_console(message):
            if "Content Security Policy" in message.text:
                self.problems.append(f"CSP: {message.text}")

        def record_response(response):
            if response.status >= 500:
                self.problems.append(f"{response.request.method} {response.url} → {response.status}")

        page.on("console", record_console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("response", record_response)
        return page


@pytest.fixture(autouse=True)
def watch():
    watcher = Watch()
    yield watcher
    assert watcher.problems == []


@pytest.fixture
def page(page: Page, watch: Watch) -> Page:
    """pytest-playwright's page, watched."""
    return watch.attach(page)


@pytest.fixture(autouse=True)
def _outboxes(settings):
    settings.SMS_BACKEND = "medspa.messaging.sms.LocmemSmsBackend"
    sms.outbox.clear()
    mail.outbox.clear()
    yield
    sms.outbox.clear()


# --- 1. The admin books, reschedules and cancels on the calendar --------------------------------------------


def test_an_admin_books_reschedules_and_cancels_an_appointment_on_the_calendar(
    live_server, page: Page, live_cast
):
    medspa, admin = live_cast.medspa_a, live_cast.admin_a
    provider = name_provider(live_cast.provider_a1, "Jordan Rivera")
    location, appointment_type = factories.scheduling_world(medspa, [provider])
    patient = factories.PatientFactory(
        medspa=medspa,
        first_name="Ana",
        last_name="Lopez",
        date_of_birth=date(1985, 4, 12),
        email="ana.lopez@mail.example",
        consent_email=True,
    )
    day = today_la() + timedelta(days=3)
    sign_in(page, live_server, admin)

    # Scheduling tab → Calendar → the day.
    page.goto(f"{live_server.url}/dashboard/")
    admin_nav(page).get_by_role("link", name="Scheduling", exact=True).click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/scheduling/"))
    page.get_by_role("navigation", name="Scheduling").get_by_role("link", name="Calendar").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/scheduling/calendar/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar")
    go_to_date(page, day)
    page.get_by_role("group", name="View").get_by_role("link", name="Day", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]view=day(&|$)"))
    expect(page.get_by_role("heading", level=2, name=long_day(day))).to_be_visible()
    expect(chip(day_list(page), patient)).to_have_count(0)

    # Book through the form.
    page.get_by_role("link", name="Book an appointment").click()
    expect(page).to_have_url(url_is(live_server, "/dashboard/scheduling/appointments/new/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Book an appointment")
    expect(page.get_by_label("Date")).to_have_value(day.isoformat())  # carried over from the calendar
    page.get_by_label("Patient", exact=True).select_option(label="Lopez, Ana (04/12/1985)")
    page.get_by_label("Appointment type").select_option(label=f"Neurotoxin · {location.name} (30 min)")
    page.get_by_label("Provider").select_option(label="Jordan Rivera")
    page.get_by_label("Time").fill("10:00")
    screenshot(page, "scheduling_admin_book_form")
    page.get_by_role("button", name="Book", exact=True).click()

    with medspa_scope(medspa):
        appointment = Appointment.objects.get(patient=patient)
    expect(page).to_have_url(url_is(live_server, f"/dashboard/scheduling/appointments/{appointment.pk}/"))
    expect(page.get_by_role("status")).to_contain_text(
        f"Ana Lopez is booked for Neurotoxin on {short_day(day)}, 10:00 AM."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Neurotoxin · Ana Lopez")
    expect(fact(page, "When")).to_contain_text("10:00 AM – 10:30 AM")
    expect(fact(page, "Provider")).to_have_text("Jordan Rivera")
    expect(fact(page, "Status")).to_have_text("Booked")
    assert appointment.local_start == at_la(day, 10)
    assert appointment.end == at_la(day, 10) + timedelta(minutes=30)
    assert (appointment.provider_id, appointment.appointment_type_id, appointment.location_id) == (
        provider.pk,
        appointment_type.pk,
        location.pk,
    )
    assert (appointment.status, appointment.source, appointment.created_by_id) == (
        AppointmentStatus.BOOKED,
        Appointment.Source.STAFF,
        admin.pk,
    )

    # On the calendar, at 10:00 in Jordan's column.
    page.get_by_role("link", name="Back to the calendar").click()
    expect(page).to_have_url(
        re.compile(rf"/dashboard/scheduling/calendar/\?view=day&date={day.isoformat()}$")
    )
    booked_chip = chip(day_row(page, "10:00 AM", "Jordan Rivera"), patient)
    expect(booked_chip).to_be_visible()
    expect(day_row(page, "10:00 AM", "Jordan Rivera")).to_contain_text("Booked")
    expect(grid_event(page, patient)).to_contain_text("10:00")  # and on the time grid
    expect(grid_event(page, patient)).to_contain_text("Booked")
    screenshot(page, "scheduling_admin_calendar_booked_at_10")

    # Reschedule to 11:00.
    booked_chip.click()
    expect(page).to_have_url(url_is(live_server, f"/dashboard/scheduling/appointments/{appointment.pk}/"))
    reschedule = card(page, "Reschedule")
    expect(reschedule.get_by_label("Date")).to_have_value(day.isoformat())
    expect(reschedule.get_by_label("Time")).to_have_value("10:00")
    expect(reschedule.get_by_label("Provider")).to_have_value(str(provider.pk))
    reschedule.get_by_label("Time").fill("11:00")
    reschedule.get_by_role("button", name="Reschedule", exact=True).click()

    expect(page).to_have_url(url_is(live_server, f"/dashboard/scheduling/appointments/{appointment.pk}/"))
    expect(page.get_by_role("status")).to_contain_text(f"Rescheduled to {short_day(day)}, 11:00 AM.")
    expect(fact(page, "When")).to_contain_text("11:00 AM – 11:30 AM")
    with medspa_scope(medspa):
        appointment.refresh_from_db()
    assert appointment.local_start == at_la(day, 11)
    assert appointment.end == at_la(day, 11) + timedelta(minutes=30)
    assert (appointment.status, appointment.provider_id) == (AppointmentStatus.BOOKED, provider.pk)
    with medspa_scope(medspa):
        assert Appointment.objects.filter(patient=patient).count() == 1

    page.get_by_role("link", name="Back to the calendar").click()
    expect(chip(day_row(page, "11:00 AM", "Jordan Rivera"), patient)).to_be_visible()
    expect(chip(day_list(page), patient)).to_have_count(1)  # gone from 10:00
    expect(chip(day_row(page, "10:00 AM", "Jordan Rivera"), patient)).to_have_count(0)
    expect(grid_event(page, patient)).to_contain_text("11:00")
    screenshot(page, "scheduling_admin_calendar_moved_to_11")

    # Cancel with a reason, accepting the confirmation dialog.
    chip(day_row(page, "11:00 AM", "Jordan Rivera"), patient).click()
    cancel = card(page, "Cancel")
    cancel.get_by_label("Reason").fill("Patient is travelling that week")
    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    cancel.get_by_role("button", name="Cancel the appointment").click()

    expect(page).to_have_url(url_is(live_server, f"/dashboard/scheduling/appointments/{appointment.pk}/"))
    assert questions == ["Cancel Ana Lopez's appointment? Its time becomes free and the patient is told."]
    expect(page.get_by_role("status")).to_contain_text(
        "The appointment was cancelled; its time is free again."
    )
    expect(page.locator(".page-head .badge")).to_have_text("Cancelled")
    expect(fact(page, "Status")).to_have_text("Cancelled: Patient is travelling that week")
    expect(card(page, "Reschedule")).to_have_count(0)
    expect(card(page, "Cancel")).to_have_count(0)
    notifications = page.get_by_role("region", name="Notifications")
    for kind in ("Booking confirmation", "Rescheduled", "Cancellation"):
        email_row = notifications.get_by_role("row").filter(has_text=kind).filter(has_text="Email")
        expect(email_row).to_have_count(1)
        expect(email_row).to_contain_text("Sent")
    screenshot(page, "scheduling_admin_appointment_cancelled")
    with medspa_scope(medspa):
        appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancel_reason == "Patient is travelling that week"
    assert appointment.cancelled_at is not None

    # Off the calendar, unless cancelled appointments are shown.
    page.get_by_role("link", name="Back to the calendar").click()
    expect(chip(day_list(page), patient)).to_have_count(0)
    calendar_filters(page).get_by_label("Show cancelled").check()
    calendar_filters(page).get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"[?&]cancelled=1(&|$)"))
    expect(chip(day_row(page, "11:00 AM", "Jordan Rivera"), patient)).to_be_visible()
    expect(day_row(page, "11:00 AM", "Jordan Rivera")).to_contain_text("Cancelled")
    expect(grid_event(page, patient)).to_contain_text("Cancelled")  # in words, struck through
    expect(grid_event(page, patient)).to_have_class(re.compile(r"\bstatus-cancelled\b"))

    # The patient was told each time (email; no phone, no SMS consent).
    subjects = eventually(lambda: len(mail.outbox) >= 3 and [message.subject for message in mail.outbox])
    assert subjects == [
        f"You're booked: Neurotoxin on {day:%A, %B} {day.day}",
        f"Your appointment has moved to {day:%A, %B} {day.day} at 11:00 AM {at_la(day, 11):%Z}",
        f"Your Neurotoxin on {day:%A, %B} {day.day} is cancelled",
    ]
    assert all(message.to == ["ana.lopez@mail.example"] for message in mail.outbox)


# --- 2. A patient books through the public link -------------------------------------------------------------


def test_a_patient_books_through_the_public_link_and_gets_the_confirmation(
    live_server, browser: Browser, live_cast, watch: Watch
):
    medspa = live_cast.medspa_a
    provider = name_provider(live_cast.provider_a1, "Jordan Rivera")
    location, appointment_type = factories.scheduling_world(medspa, [provider])
    day = today_la() + timedelta(days=1)
    email = "maya.chen@mail.example"
    with medspa_scope(medspa):
        assert not Patient.objects.filter(medspa=medspa).exists()

    context = browser.new_context()  # nobody signed in
    try:
        page = watch.attach(context.new_page())
        booking_path = f"/book/glow-a/{location.slug}/"
        response = page.goto(f"{live_server.url}{booking_path}")
        assert response is not None and response.status == 200
        assert settings.SESSION_COOKIE_NAME not in {cookie["name"] for cookie in context.cookies()}
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Book at {location.name}")
        expect(page.get_by_role("link", name="Sign in")).to_be_visible()
        expect(page.get_by_role("link", name="Scheduling")).to_have_count(0)

        # 1. Service, 2. anyone, 3. the day, 4. 10:00 (each step loaded into the page by htmx).
        page.get_by_role("link", name="Neurotoxin · 30 min").click()
        expect(page.get_by_role("heading", name="2. Choose a provider")).to_be_visible()
        expect(page).to_have_url(re.compile(rf"[?&]type={appointment_type.pk}(&|$)"))
        page.get_by_role("link", name="Anyone available").click()
        expect(page.get_by_role("heading", name="3. Choose a day")).to_be_visible()
        page.get_by_role("link", name=f"{day:%a, %b} {day.day}", exact=True).click()
        expect(
            page.get_by_role("heading", name=f"4. Choose a time on {day:%A, %B} {day.day}, {day.year}")
        ).to_be_visible()
        page.get_by_role("link", name=re.compile(r"^10:00 AM P[SD]T$")).click()
        details = page.get_by_role("region", name="5. Your details")
        expect(details).to_be_visible()
        expect(details).to_contain_text(
            f"Neurotoxin with the first available provider at {location.name}, "
            f"{day:%A, %B} {day.day}, {day.year} at 10:00 AM"
        )

        fill_booking_details(details, email)
        details.get_by_label("Text me about my appointments").check()
        screenshot(page, "scheduling_public_booking_details")
        details.get_by_role("button", name="Confirm booking").click()

        # The manage page: the appointment and its link.
        expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/book/manage/[^/]+/\?booked=1$"))
        token = re.search(r"/book/manage/([^/]+)/", page.url).group(1)
        expect(page.get_by_role("status")).to_contain_text("You’re booked.")
        expect(page.get_by_role("heading", level=1)).to_have_text("Neurotoxin")
        expect(fact(page, "When")).to_contain_text(f"{day:%A, %B} {day.day}, {day.year} at 10:00 AM")
        expect(fact(page, "With")).to_have_text("Jordan Rivera")
        expect(fact(page, "Where")).to_contain_text(location.name)
        expect(fact(page, "Status")).to_have_text("Booked")
        link = page.get_by_role("region", name="Your link to this appointment")
        expect(link.locator("code")).to_have_text(f"{live_server.url}/book/manage/{token}/")
        expect(link.get_by_role("button", name="Copy link")).to_be_visible()
        screenshot(page, "scheduling_public_booking_confirmed")
    finally:
        context.close()

    # The database: one patient of medspa A, one online appointment.
    with medspa_scope(medspa):
        patient = Patient.objects.get(medspa=medspa, email=email)
    assert (patient.first_name, patient.last_name, patient.date_of_birth, patient.phone) == (
        "Maya",
        "Chen",
        date(1990, 6, 15),
        "+16195550142",  # typed "(619) 555-0142", stored in E.164
    )
    assert (patient.consent_email, patient.consent_sms) == (True, True)
    with medspa_scope(live_cast.medspa_b):
        assert not Patient.objects.filter(medspa=live_cast.medspa_b).exists()
    with medspa_scope(medspa):
        appointments = list(Appointment.objects.filter(patient=patient))
    assert len(appointments) == 1
    appointment = appointments[0]
    assert appointment.source == Appointment.Source.ONLINE
    assert appointment.manage_token == token
    assert appointment.local_start == at_la(day, 10)
    assert (appointment.provider_id, appointment.appointment_type_id, appointment.status) == (
        provider.pk,
        appointment_type.pk,
        AppointmentStatus.BOOKED,
    )
    assert appointment.created_by_id is None

    # The confirmation, by email and SMS, logged as sent.
    assert eventually(lambda: len(mail.outbox) >= 1 and len(sms.outbox) >= 1), (mail.outbox, sms.outbox)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [email]
    assert message.subject == f"You're booked: Neurotoxin on {day:%A, %B} {day.day}"
    assert "Hi Maya," in message.body
    assert f"Neurotoxin with Jordan Rivera on {day:%A, %B} {day.day} at 10:00 AM" in message.body
    assert f"/book/manage/{token}/" in message.body
    assert [(text["to"], f"/book/manage/{token}/" in text["body"]) for text in sms.outbox] == [
        ("+16195550142", True)  # in E.164, as Twilio takes it
    ]

    def confirmation_log():
        with medspa_scope(medspa):
            return sorted(appointment.notifications.values_list("kind", "channel", "status"))

    expected = [("confirmation", "email", SENT), ("confirmation", "sms", SENT)]
    assert eventually(lambda: confirmation_log() == expected), confirmation_log()


# --- 3. A provider sees only their own calendar -------------------------------------------------------------


def test_a_provider_sees_only_their_own_calendar(live_server, page: Page, live_cast):
    medspa = live_cast.medspa_a
    mine = name_provider(live_cast.provider_a1, "Jordan Rivera")
    theirs = name_provider(live_cast.provider_a2, "Sam Patel")
    location, appointment_type = factories.scheduling_world(medspa, [mine, theirs])
    day = today_la() + timedelta(days=1)
    my_patient = factories.PatientFactory(medspa=medspa, first_name="Ana", last_name="Lopez")
    their_patient = factories.PatientFactory(medspa=medspa, first_name="Ben", last_name="Okafor")
    with medspa_scope(medspa):
        my_appointment = booking.appointment_book(
            appointment_type=appointment_type,
            start=at_la(day, 10),
            patient=my_patient,
            provider=mine,
            notify=False,
        )
        their_appointment = booking.appointment_book(
            appointment_type=appointment_type,
            start=at_la(day, 10),
            patient=their_patient,
            provider=theirs,
            notify=False,
        )
    sign_in(page, live_server, live_cast.provider_a1)

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(url_is(live_server, "/provider/patients/"))
    provider_nav(page).get_by_role("link", name="Calendar").click()
    expect(page).to_have_url(url_is(live_server, "/provider/calendar/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My calendar")
    go_to_date(page, day)

    # Week view: one row, theirs; only my appointment.
    expect(chip(day_row(page, "10:00 AM", "Jordan Rivera"), my_patient)).to_be_visible()
    expect(grid_event(page, my_patient)).to_be_visible()
    expect(page.locator("#calendar-grid .ec-event")).to_have_count(1)
    expect(page.get_by_text("Okafor")).to_have_count(0)
    expect(page.get_by_text("Sam Patel")).to_have_count(0)
    # No provider filter, nothing of the locations' settings, no admin navigation.
    expect(calendar_filters(page).get_by_label("Provider")).to_have_count(0)
    expect(page.get_by_role("option", name="All providers")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Scheduling")).to_have_count(0)
    expect(page.locator('a[href*="/dashboard/scheduling"]')).to_have_count(0)
    expect(page.get_by_role("link", name="Book an appointment")).to_have_count(0)
    expect(admin_nav(page)).to_have_count(0)
    screenshot(page, "scheduling_provider_own_calendar_week")

    # Day view: one column, theirs; only my appointment.
    page.get_by_role("group", name="View").get_by_role("link", name="Day", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]view=day(&|$)"))
    expect(chip(day_row(page, "10:00 AM", "Jordan Rivera"), my_patient)).to_be_visible()
    expect(grid_event(page, my_patient)).to_be_visible()
    expect(page.locator("#calendar-grid .ec-event")).to_have_count(1)
    expect(page.get_by_text("Okafor")).to_have_count(0)
    expect(page.locator('a[href*="/dashboard/scheduling"]')).to_have_count(0)

    # My appointment opens; the other provider's is a 404.
    grid_event(page, my_patient).click()  # an event on the grid opens the appointment
    expect(page).to_have_url(url_is(live_server, f"/provider/calendar/?appointment={my_appointment.pk}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Neurotoxin · Ana Lopez")
    expect(fact(page, "Provider")).to_have_text("Jordan Rivera")
    # Tomorrow's appointment: check-in opens on the day, so no button yet.
    expect(card(page, "Visit").get_by_role("button", name="Check in")).to_have_count(0)
    expect(card(page, "Visit")).to_contain_text("The visit starts once the patient is checked in.")
    expect(card(page, "Reschedule")).to_have_count(0)
    expect(page.locator('a[href*="/dashboard/"]')).to_have_count(0)

    path = f"/provider/calendar/?appointment={their_appointment.pk}"
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(NOT_FOUND)
    expect(page.get_by_text("Okafor")).to_have_count(0)
    expect(page.get_by_text("Sam Patel")).to_have_count(0)
    screenshot(page, "scheduling_provider_other_appointment_404")
    with medspa_scope(medspa):
        assert Appointment.objects.filter(pk=their_appointment.pk, status=AppointmentStatus.BOOKED).exists()
