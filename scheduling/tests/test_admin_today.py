"""The admin's Today about appointments (scheduling.selectors.today): today's appointments by status, each
count a link to the calendar's day view of that status; who is late (not who was checked in); the paperwork
missing for the appointments still to come; today at each location, across the day the clocks go back; one
medspa's day never shows another's; a fixed number of queries."""

import re
import zoneinfo
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse

from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, AppointmentStatus
from scheduling.selectors import today as today_selectors
from scheduling.tests.factories import IntakeResponseFactory
from services_catalog.tests.factories import IntakeFormVersionFactory
from tests import factories

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
NOON = datetime(2026, 12, 8, 12, 0, tzinfo=LA)  # a Tuesday


@pytest.fixture
def forms(cast, world):
    """The world's type asks for one intake form; its service needs the world's consent."""
    with medspa_scope(cast.medspa_a):
        version = IntakeFormVersionFactory(form__medspa=cast.medspa_a, form__title="Health history")
        world.appointment_type.intake_forms.add(version.form)
    return [version]


def booked(world, provider, start, *, patient=None, status=AppointmentStatus.BOOKED, minutes=30):
    """An appointment of the world's type written directly (the booking rules would refuse times outside the
    day's hours or in the past, whenever the tests run)."""
    end = start + timedelta(minutes=minutes)
    with medspa_scope(world.location.medspa):
        return Appointment.objects.create(
            medspa=world.location.medspa, location=world.location, provider=provider,
            patient=patient or factories.PatientFactory(medspa=world.location.medspa),
            appointment_type=world.appointment_type, start=start, end=end, blocked_start=start,
            blocked_end=end, status=status,
        )  # fmt: skip


def today_of(cast) -> today_selectors.Today:
    with medspa_scope(cast.medspa_a):
        return today_selectors.today_of(Appointment.objects.all(), medspa=cast.medspa_a)


def counts(today) -> dict[str, int]:
    return {item.status: item.count for item in today.counts}


class TestCounts:
    def test_each_status_is_counted_cancelled_and_no_shows_included(self, cast, world, provider, colleague):
        with time_machine.travel(NOON, tick=False):
            for hour, status in [(9, "completed"), (10, "no_show"), (11, "checked_in"), (14, "confirmed"),
                                 (15, "booked"), (16, "booked")]:  # fmt: skip
                booked(world, provider, NOON.replace(hour=hour), status=status)
            booked(world, colleague, NOON.replace(hour=15), status="cancelled")
            booked(world, provider, NOON + timedelta(days=1), status="booked")  # tomorrow
            booked(world, provider, NOON - timedelta(days=1), status="completed")  # yesterday
            today = today_of(cast)
        assert counts(today) == {
            "booked": 2, "confirmed": 1, "checked_in": 1, "completed": 1, "no_show": 1, "cancelled": 1,
        }  # fmt: skip
        assert (
            len(today.appointments) == 7 and today.total == 6
        )  # the calendar's day leaves out the cancelled
        assert [item.label for item in today.counts] == [
            "Booked", "Confirmed", "Checked in", "Completed", "No-show", "Cancelled",
        ]  # fmt: skip

    def test_each_count_opens_the_calendars_day_of_that_status(self, cast, client_as, world, provider):
        with time_machine.travel(NOON, tick=False):
            no_show = booked(world, provider, NOON.replace(hour=9), status="no_show")
            completed = booked(world, provider, NOON.replace(hour=10), status="completed")
            cancelled = booked(world, provider, NOON.replace(hour=11), status="cancelled")
            today = today_of(cast)
            urls = {item.status: item.url for item in today.counts}
            assert (
                urls["no_show"] == reverse("scheduling:calendar") + "?view=day&date=2026-12-08&status=no_show"
            )
            admin = client_as("admin_a")
            page = admin.get(urls["no_show"]).content.decode()
            assert no_show.patient.full_name in page
            assert completed.patient.full_name not in page and cancelled.patient.full_name not in page
            assert '<option value="no_show" selected>No-show</option>' in page
            page = admin.get(urls["cancelled"]).content.decode()
            assert cancelled.patient.full_name in page and no_show.patient.full_name not in page
            page = admin.get(today.calendar_url).content.decode()  # every status but the cancelled
            assert no_show.patient.full_name in page and completed.patient.full_name in page
            assert cancelled.patient.full_name not in page

    def test_an_unknown_status_in_the_calendars_address_filters_nothing(
        self, cast, client_as, world, provider
    ):
        with time_machine.travel(NOON, tick=False):
            appointment = booked(world, provider, NOON.replace(hour=9), status="completed")
            page = client_as("admin_a").get(
                reverse("scheduling:calendar"), {"view": "day", "date": "2026-12-08", "status": "nonsense"}
            )
        assert page.status_code == 200 and appointment.patient.full_name in page.content.decode()


class TestLate:
    def test_booked_or_confirmed_past_ten_minutes_are_late_and_the_checked_in_are_not(
        self, cast, world, provider, colleague
    ):
        with time_machine.travel(NOON, tick=False):
            late = booked(world, provider, NOON - timedelta(minutes=42), status="confirmed")
            later = booked(world, colleague, NOON - timedelta(hours=1, minutes=5))
            arrived = booked(world, provider, NOON - timedelta(minutes=90), status="checked_in", minutes=45)
            booked(world, colleague, NOON - timedelta(minutes=9))  # not yet 10 minutes
            booked(world, provider, NOON - timedelta(hours=3), status="no_show")
            booked(world, colleague, NOON - timedelta(hours=3), status="cancelled")
            booked(world, provider, NOON + timedelta(minutes=30))  # to come
            today = today_of(cast)
        assert [(item.appointment, item.minutes, item.words) for item in today.late] == [
            (later, 65, "1 h 5 min late"),
            (late, 42, "42 min late"),
        ]
        assert arrived not in [item.appointment for item in today.late]

    def test_the_page_names_them_with_their_provider_and_the_buttons_to_check_in_or_mark_a_no_show(
        self, cast, client_as, world, provider
    ):
        with time_machine.travel(NOON, tick=False):
            late = booked(world, provider, NOON - timedelta(minutes=25))
            page = client_as("admin_a").get(reverse("dashboard_home")).content.decode()
        section = re.search(r'<section[^>]*id="today-late".*?</section>', page, re.S).group(0)
        assert "11:35 AM" in section and late.patient.full_name in section and "25 min late" in section
        assert provider.user.get_full_name() in section
        assert reverse("scheduling:appointment_detail", args=[late.pk]) in section
        status_url = reverse("scheduling:appointment_status", args=[late.pk])
        assert section.count(f'action="{status_url}"') == 2
        assert 'value="checked_in"' in section and 'value="no_show"' in section

    def test_the_check_in_button_checks_the_patient_in(self, cast, client_as, world, provider):
        with time_machine.travel(NOON, tick=False):
            late = booked(world, provider, NOON - timedelta(minutes=25))
            admin = client_as("admin_a")
            response = admin.post(
                reverse("scheduling:appointment_status", args=[late.pk]), {"status": "checked_in"}
            )
            assert response.status_code == 302
            assert today_of(cast).late == []
        late.refresh_from_db()
        assert late.status == AppointmentStatus.CHECKED_IN


class TestPaperwork:
    def test_the_appointments_to_come_with_paperwork_not_complete(
        self, cast, world, provider, colleague, forms
    ):
        with time_machine.travel(NOON, tick=False):
            done = booked(world, provider, NOON + timedelta(hours=1))
            due = booked(world, colleague, NOON + timedelta(hours=2), status="confirmed")
            waiting_room = booked(world, provider, NOON - timedelta(minutes=5), status="checked_in")
            booked(world, colleague, NOON - timedelta(hours=2), status="completed")  # over
            booked(world, provider, NOON + timedelta(hours=3), status="cancelled")
            booked(world, provider, NOON + timedelta(days=1))  # tomorrow: the To-Do's
            with medspa_scope(cast.medspa_a):
                IntakeResponseFactory(medspa=cast.medspa_a, appointment=done, version=forms[0])
            today = today_of(cast)
        assert [(item.appointment, item.missing) for item in today.paperwork_missing] == [
            (waiting_room, "Forms 0 of 1 · Consents 0 of 1"),
            (done, "Forms complete · Consents 0 of 1"),
            (due, "Forms 0 of 1 · Consents 0 of 1"),
        ]

    def test_the_page_links_each_to_the_patients_paperwork(self, cast, client_as, world, provider, forms):
        with time_machine.travel(NOON, tick=False):
            due = booked(world, provider, NOON + timedelta(hours=2))
            page = client_as("admin_a").get(reverse("dashboard_home")).content.decode()
        section = re.search(r'<section[^>]*id="today-paperwork".*?</section>', page, re.S).group(0)
        assert "2:00 PM" in section and "Forms 0 of 1 · Consents 0 of 1" in section
        assert reverse("dashboard_patient_detail", args=[due.patient_id]) + "#paperwork" in section


class TestTheDay:
    # Nov 1, 2026: Los Angeles leaves daylight saving time at 2:00, back to 1:00: a day of 25 hours.
    def test_today_is_the_calendar_day_at_the_location_across_the_change_of_time(self, cast, world, provider):
        with time_machine.travel(datetime(2026, 11, 1, 12, 0, tzinfo=LA), tick=False):
            booked(world, provider, datetime(2026, 10, 31, 23, 30, tzinfo=LA), status="completed")
            first = booked(world, provider, datetime(2026, 11, 1, 0, 15, tzinfo=LA), status="completed")
            repeated = booked(
                world, provider, datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=LA), status="no_show"
            )
            last = booked(world, provider, datetime(2026, 11, 1, 23, 30, tzinfo=LA))
            booked(world, provider, datetime(2026, 11, 2, 0, 0, tzinfo=LA))
            today = today_of(cast)
        assert today.appointments == [first, repeated, last]
        assert today.day.isoformat() == "2026-11-01"
        assert counts(today)["completed"] == 1 and counts(today)["no_show"] == 1

    def test_minutes_late_count_the_hour_the_clocks_repeat(self, cast, world, provider):
        # 1:20 AM PDT, then the clocks go back: at 1:40 AM PST the patient is 80 minutes late, not 20.
        start = datetime(2026, 11, 1, 1, 20, tzinfo=LA)
        with time_machine.travel(datetime(2026, 11, 1, 1, 40, fold=1, tzinfo=LA), tick=False):
            appointment = booked(world, provider, start, minutes=120)
            [late] = today_of(cast).late
        assert (late.appointment, late.minutes, late.words) == (appointment, 80, "1 h 20 min late")

    def test_a_location_in_another_zone_counts_its_own_day(self, cast, world, provider):
        # Medspa A keeps New York's time; its clinic is in Los Angeles. At 1:00 AM in New York it is still
        # the evening before in Los Angeles: the clinic's evening appointments are today's.
        evening = datetime(2026, 12, 7, 21, 0, tzinfo=LA)
        with time_machine.travel(evening + timedelta(minutes=60), tick=False):
            appointment = booked(world, provider, evening, status="completed")
            booked(world, provider, datetime(2026, 12, 8, 9, 0, tzinfo=LA))  # the clinic's tomorrow
            today = today_of(cast)
        assert today.appointments == [appointment]
        assert today.day.isoformat() == "2026-12-07"  # the calendar opens the clinic's day


class TestPage:
    def test_empty_sections_say_what_will_appear(self, cast, client_as, world):
        page = client_as("admin_a").get(reverse("dashboard_home")).content.decode()
        assert "No appointments today." in page and "Open today's calendar" in page
        assert "Nobody is late." in page and "No paperwork missing." in page

    def test_one_medspa_never_sees_anothers_day(self, cast, client_as, world, provider, forms):
        with time_machine.travel(NOON, tick=False):
            late = booked(world, provider, NOON - timedelta(minutes=30))
            due = booked(world, provider, NOON + timedelta(hours=1))
            mine = client_as("admin_a").get(reverse("dashboard_home")).content.decode()
            other = client_as("admin_b").get(reverse("dashboard_home")).content.decode()
        assert late.patient.full_name in mine and due.patient.full_name in mine
        assert "2 appointments today" in mine
        assert late.patient.full_name not in other and due.patient.full_name not in other
        assert "No appointments today." in other and "Nobody is late." in other

    @pytest.mark.parametrize("count", [3, 40])
    def test_the_section_takes_a_fixed_number_of_queries(
        self, cast, world, provider, forms, count, django_assert_num_queries
    ):
        with time_machine.travel(NOON, tick=False):
            statuses = ["booked", "confirmed", "checked_in", "completed", "no_show", "cancelled"]
            step = timedelta(minutes=660 // count)  # spread from 7:00 to 18:00: some late, some to come
            for number in range(count):
                start = NOON.replace(hour=7) + step * number
                booked(world, provider, start, status=statuses[number % 6], minutes=10)
            request = RequestFactory().get("/dashboard/")
            request.medspa = cast.medspa_a
            # today's appointments (with patient, provider and user, location, type); the paperwork of those
            # to come: the types' forms, the responses, the services, their consents, the consents'
            # versions, merged-away records, the signatures
            with medspa_scope(cast.medspa_a), django_assert_num_queries(8):
                context = today_selectors.admin_today_context(request)
        today = context["today"]
        assert len(today.appointments) == count and today.late and today.paperwork_missing
        assert context["patients"] == today.patients
