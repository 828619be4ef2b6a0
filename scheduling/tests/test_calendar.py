"""Calendars: the admin's centralised calendar (book, reschedule, cancel, statuses), the provider's own
calendar (only their appointments), the providers' iCal feeds, and the week view's constant query count."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, AppointmentStatus, CalendarFeed
from scheduling.services import settings as settings_services
from scheduling.views.feeds import ical_fold
from tests import factories
from tests.factories import unscoped

# The week page's queries, however many appointments its day lists (the grid's come from the events
# endpoint, scheduling/tests/test_calendar_grid.py): the request's own (session, user, memberships, MFA
# check, the audit context twice, the session saved in a savepoint: 9), and the page's five: the locations,
# their providers (prefetched), the providers, the rooms the Move dialog offers (with their locations), the
# day's appointments (joined with all they show); the
# paperwork of all the appointments at once, of which this type asks none (its intake forms, and the
# service with its consents: two, then nothing more: no responses or signatures are looked for when no form
# or consent is asked: 3); then the access log: one INSERT for every patient the list shows.
WEEK_VIEW_QUERIES = 18


@unscoped
def member(user):
    return user.memberships.get()


@pytest.fixture
def world(cast):
    """Medspa A's clinic (America/Los_Angeles, 9:00–17:00 daily) where admin_a, provider_a1 and provider_a2
    work; a 30-minute type with 10 minutes' buffer after; two patients."""
    providers = [member(cast.admin_a), member(cast.provider_a1), member(cast.provider_a2)]
    location, appointment_type = factories.scheduling_world(cast.medspa_a, providers)
    return {
        "medspa": cast.medspa_a,
        "location": location,
        "type": appointment_type,
        "a1": providers[1],
        "a2": providers[2],
        "jane": factories.PatientFactory(
            medspa=cast.medspa_a, first_name="Janeway", last_name="Quillfeather"
        ),
        "omar": factories.PatientFactory(medspa=cast.medspa_a, first_name="Omar", last_name="Brightwater"),
    }


def day_after_tomorrow(location):
    return timezone.now().astimezone(location.tz).date() + timedelta(days=2)


def at(location, day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=location.tz)


@unscoped
def book(world, patient, provider, hour, day=None):
    day = day or day_after_tomorrow(world["location"])
    start = at(world["location"], day, hour)
    return Appointment.objects.create(
        medspa=world["location"].medspa, location=world["location"], provider=provider, patient=patient,
        appointment_type=world["type"], start=start, end=start + timedelta(minutes=30),
        blocked_start=start, blocked_end=start + timedelta(minutes=40),
    )  # fmt: skip


def book_data(world, **changes):
    data = {
        "patient": world["jane"].pk,
        "appointment_type": world["type"].pk,
        "provider": world["a1"].pk,
        "date": day_after_tomorrow(world["location"]).isoformat(),
        "time": "10:00",
        "notes": "First visit",
        "idempotency_key": "",
    }
    data.update(changes)
    return data


# --- Booking from the admin calendar --------------------------------------------------------------------


def test_the_admin_books_from_the_calendar(client_as, cast, world):
    client = client_as("admin_a")
    day = day_after_tomorrow(world["location"])
    assert client.get(reverse("scheduling:appointment_new") + f"?date={day}").status_code == 200
    response = client.post(reverse("scheduling:appointment_new"), book_data(world))
    assert response.status_code == 302, response.content.decode()
    with medspa_scope(cast.medspa_a):
        appointment = Appointment.objects.get()
        assert response["Location"] == reverse("scheduling:appointment_detail", args=[appointment.pk])
        # 10:00 on the wall clock in Los Angeles, stored as an aware moment.
        assert appointment.start == at(world["location"], day, 10)
        assert (appointment.provider, appointment.patient, appointment.created_by) == (
            world["a1"], world["jane"], cast.admin_a,
        )  # fmt: skip
    assert appointment.notes == "First visit"

    week = client.get(reverse("scheduling:calendar") + f"?view=week&date={day}").content.decode()
    assert "Janeway Quillfeather" in week and "status-booked" in week and "10:00 AM" in week
    assert 'data-type-color="#7a4e8a"' in week
    assert "style=" not in week
    day_view = client.get(reverse("scheduling:calendar") + f"?view=day&date={day}").content.decode()
    assert "Janeway Quillfeather" in day_view


def test_a_taken_slot_answers_409_with_a_message(client_as, world):
    client = client_as("admin_a")
    book(world, world["omar"], world["a1"], 10)
    response = client.post(reverse("scheduling:appointment_new"), book_data(world))
    assert response.status_code == 409
    assert "no longer available" in response.content.decode()
    with medspa_scope(world["medspa"]):
        assert Appointment.objects.count() == 1


def test_an_invalid_booking_answers_400_with_the_reason(client_as, world):
    client = client_as("admin_a")
    response = client.post(reverse("scheduling:appointment_new"), book_data(world, time="20:00"))
    assert response.status_code == 400
    assert "outside the hours" in response.content.decode()
    response = client.post(reverse("scheduling:appointment_new"), book_data(world, patient="", time=""))
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    with medspa_scope(world["medspa"]):
        assert not Appointment.objects.exists()


def test_the_same_submission_books_once(client_as, world):
    client = client_as("admin_a")
    for _ in range(2):
        response = client.post(
            reverse("scheduling:appointment_new"), book_data(world, idempotency_key="k-123")
        )
        assert response.status_code == 302
    with medspa_scope(world["medspa"]):
        assert Appointment.objects.count() == 1


def test_archived_patients_and_other_medspas_patients_cannot_be_booked(client_as, cast, world):
    archived = factories.PatientFactory(medspa=cast.medspa_a, status="archived")
    elsewhere = factories.PatientFactory(medspa=cast.medspa_b)
    client = client_as("admin_a")
    for patient in (archived, elsewhere):
        response = client.post(reverse("scheduling:appointment_new"), book_data(world, patient=patient.pk))
        assert response.status_code == 400
    with medspa_scope(world["medspa"]):
        assert not Appointment.objects.exists()


# --- Rescheduling, cancelling, statuses -----------------------------------------------------------------


def test_the_admin_reschedules_from_the_appointment_page(client_as, world):
    client = client_as("admin_a")
    appointment = book(world, world["jane"], world["a1"], 10)
    page = client.get(reverse("scheduling:appointment_detail", args=[appointment.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert "America/Los_Angeles" in content and "Reschedule" in content and "Notifications" in content

    day = day_after_tomorrow(world["location"])
    url = reverse("scheduling:appointment_reschedule", args=[appointment.pk])
    response = client.post(url, {"date": day.isoformat(), "time": "14:00", "provider": world["a2"].pk})
    assert response.status_code == 302
    with medspa_scope(world["medspa"]):
        appointment.refresh_from_db()
        assert appointment.start == at(world["location"], day, 14) and appointment.provider == world["a2"]

    # Onto a time that is taken: 409, the appointment stays where it was.
    book(world, world["omar"], world["a1"], 11)
    response = client.post(url, {"date": day.isoformat(), "time": "11:00", "provider": world["a1"].pk})
    assert response.status_code == 409
    assert "no longer available" in response.content.decode()
    with medspa_scope(world["medspa"]):
        appointment.refresh_from_db()
    assert appointment.start == at(world["location"], day, 14)


def test_the_admin_cancels_with_a_reason(client_as, world):
    client = client_as("admin_a")
    appointment = book(world, world["jane"], world["a1"], 10)
    page = client.get(reverse("scheduling:appointment_detail", args=[appointment.pk])).content.decode()
    assert "data-confirm=" in page
    url = reverse("scheduling:appointment_cancel", args=[appointment.pk])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    response = client.post(url, {"reason": "Patient is unwell"})
    assert response.status_code == 302
    with medspa_scope(world["medspa"]):
        appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == ("cancelled", "Patient is unwell")
    # Cancelled appointments leave the calendar unless asked for.
    day = day_after_tomorrow(world["location"])
    week = client.get(reverse("scheduling:calendar") + f"?date={day}").content.decode()
    assert "Janeway Quillfeather" not in week
    week = client.get(reverse("scheduling:calendar") + f"?date={day}&cancelled=1").content.decode()
    assert "Janeway Quillfeather" in week and "status-cancelled" in week
    # Cancelling twice is refused with a message.
    again = client.post(url, {"reason": "Again"})
    assert again.status_code == 400 and "cannot be cancelled" in again.content.decode()
    # So is rescheduling it, and the page says why.
    moved = client.post(
        reverse("scheduling:appointment_reschedule", args=[appointment.pk]),
        {"date": day.isoformat(), "time": "15:00", "provider": world["a1"].pk},
    )
    assert moved.status_code == 400
    assert "Only a booked appointment can be rescheduled." in moved.content.decode()


def test_status_transitions_follow_the_rules(client_as, world):
    client = client_as("admin_a")
    appointment = book(world, world["jane"], world["a1"], 10)
    url = reverse("scheduling:appointment_status", args=[appointment.pk])

    page = client.get(reverse("scheduling:appointment_detail", args=[appointment.pk])).content.decode()
    assert 'value="confirmed"' in page and 'value="completed"' not in page

    assert client.post(url, {"status": "confirmed"}).status_code == 302
    refused = client.post(url, {"status": "completed"})
    assert refused.status_code == 400
    assert "A confirmed appointment cannot become completed." in refused.content.decode()
    assert client.post(url, {"status": "cancelled"}).status_code == 400  # cancelling needs its form
    assert client.post(url, {"status": "nonsense"}).status_code == 400
    with time_machine.travel(appointment.start - timedelta(minutes=10)):  # the patient arrives on the day
        client = client_as("admin_a")  # signed in again: sessions end after an idle quarter of an hour
        assert client.post(url, {"status": "checked_in"}).status_code == 302
        assert client.post(url, {"status": "completed"}).status_code == 302
        with medspa_scope(world["medspa"]):
            appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.COMPLETED
        assert client.post(url, {"status": "no_show"}).status_code == 400


def test_an_appointment_days_ahead_offers_no_check_in_or_no_show_and_refuses_both(
    client_as, world, mailoutbox
):
    client = client_as("admin_a")
    appointment = book(world, world["jane"], world["a1"], 10)  # the day after tomorrow
    detail = reverse("scheduling:appointment_detail", args=[appointment.pk])
    url = reverse("scheduling:appointment_status", args=[appointment.pk])

    page = client.get(detail).content.decode()
    assert 'value="confirmed"' in page
    assert 'value="no_show"' not in page and 'value="checked_in"' not in page
    no_show = client.post(url, {"status": "no_show"})
    assert no_show.status_code == 400
    assert "only once its time has come" in no_show.content.decode()
    check_in = client.post(url, {"status": "checked_in"})
    assert check_in.status_code == 400
    assert "only on the day of the appointment" in check_in.content.decode()
    with medspa_scope(world["medspa"]):
        appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert mailoutbox == []  # no no-show message to the patient

    with time_machine.travel(appointment.start + timedelta(minutes=15)):
        page = client_as("admin_a").get(detail).content.decode()
        assert 'value="no_show"' in page and 'value="checked_in"' in page


def test_filters_by_location_and_provider(client_as, world):
    client = client_as("admin_a")
    book(world, world["jane"], world["a1"], 10)
    book(world, world["omar"], world["a2"], 10)
    day = day_after_tomorrow(world["location"])
    only_a1 = client.get(reverse("scheduling:calendar") + f"?date={day}&provider={world['a1'].pk}")
    content = only_a1.content.decode()
    assert "Janeway Quillfeather" in content and "Omar Brightwater" not in content
    here = client.get(reverse("scheduling:calendar") + f"?date={day}&location={world['location'].pk}")
    assert "Omar Brightwater" in here.content.decode()


def test_medspa_b_finds_none_of_medspa_a_appointments(client_as, world):
    appointment = book(world, world["jane"], world["a1"], 10)
    client = client_as("admin_b")
    assert client.get(reverse("scheduling:appointment_detail", args=[appointment.pk])).status_code == 404
    for name, data in [
        ("scheduling:appointment_status", {"status": "confirmed"}),
        ("scheduling:appointment_cancel", {"reason": "Mine now"}),
        ("scheduling:appointment_reschedule", {"date": "2030-01-01", "time": "10:00"}),
    ]:
        assert client.post(reverse(name, args=[appointment.pk]), data).status_code == 404
    day = day_after_tomorrow(world["location"])
    assert "Janeway" not in client.get(reverse("scheduling:calendar") + f"?date={day}").content.decode()
    with medspa_scope(world["medspa"]):
        appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_providers_cannot_open_the_admin_calendar(client_as, world):
    assert client_as("provider_a1").get(reverse("scheduling:calendar")).status_code == 403


# --- The provider's own calendar ------------------------------------------------------------------------


def test_a_provider_sees_only_their_own_appointments(client_as, world):
    mine = book(world, world["jane"], world["a1"], 10)
    theirs = book(world, world["omar"], world["a2"], 10)
    client = client_as("provider_a1")
    day = day_after_tomorrow(world["location"])
    for view in ("week", "day"):
        content = client.get(reverse("providers:calendar") + f"?view={view}&date={day}").content.decode()
        assert "Janeway Quillfeather" in content
        assert "Omar Brightwater" not in content
        assert 'name="provider"' not in content  # no provider filter
        assert reverse("scheduling:type_list") not in content  # no settings links
    # Even asking for another provider's appointments shows only one's own.
    content = client.get(reverse("providers:calendar") + f"?provider={world['a2'].pk}&date={day}").content
    assert b"Omar Brightwater" not in content

    assert client.get(reverse("providers:calendar") + f"?appointment={mine.pk}").status_code == 200
    assert client.get(reverse("providers:calendar") + f"?appointment={theirs.pk}").status_code == 404
    assert client.get(reverse("providers:calendar") + "?appointment=nope").status_code == 404


def test_a_provider_is_offered_no_check_in_days_ahead_and_is_refused_one(client_as, world):
    mine = book(world, world["jane"], world["a1"], 10)  # the day after tomorrow
    client = client_as("provider_a1")
    grid = client.get(
        reverse("providers:calendar"), {"view": "day", "date": mine.local_start.date().isoformat()}
    ).content.decode()
    detail = client.get(reverse("providers:calendar") + f"?appointment={mine.pk}").content.decode()
    assert 'value="check_in"' not in grid and 'value="check_in"' not in detail
    response = client.post(
        reverse("providers:calendar"), {"action": "check_in", "appointment": mine.pk}, follow=True
    )
    assert "only on the day of the appointment" in response.content.decode()
    with medspa_scope(world["medspa"]):
        mine.refresh_from_db()
    assert mine.status == "booked"
    with time_machine.travel(mine.start - timedelta(hours=1)):
        grid = (
            client_as("provider_a1")
            .get(reverse("providers:calendar"), {"view": "day", "date": mine.local_start.date().isoformat()})
            .content.decode()
        )
        assert 'value="check_in"' in grid


def test_a_provider_checks_their_patient_in_and_cannot_start_a_visit_yet(client_as, world):
    mine = book(world, world["jane"], world["a1"], 10)
    theirs = book(world, world["omar"], world["a2"], 10)
    with time_machine.travel(mine.start - timedelta(minutes=10)):  # on the day, before the time
        client = client_as("provider_a1")
        page = client.get(reverse("providers:calendar") + f"?appointment={mine.pk}").content.decode()
        assert "Check in" in page
        assert (
            reverse("providers:visit_start", args=[mine.pk]) not in page
        )  # not checked in: no visit to start

        response = client.post(
            reverse("providers:calendar"), {"action": "check_in", "appointment": theirs.pk}
        )
        assert response.status_code == 404
        response = client.post(reverse("providers:calendar"), {"action": "check_in", "appointment": mine.pk})
        assert response.status_code == 302
        with medspa_scope(world["medspa"]):
            mine.refresh_from_db()
            theirs.refresh_from_db()
        assert (mine.status, theirs.status) == ("checked_in", "booked")
        # Checking in twice is refused with a message.
        response = client.post(
            reverse("providers:calendar"), {"action": "check_in", "appointment": mine.pk}, follow=True
        )
        assert "cannot become checked in" in response.content.decode()


def test_admin_b_has_no_provider_calendar(client_as, world):
    assert client_as("admin_b").get(reverse("providers:calendar")).status_code == 403


# --- iCal feeds -----------------------------------------------------------------------------------------


def feed_of(provider):
    return CalendarFeed.objects.get(provider=provider, revoked_at__isnull=True)


def test_the_ical_feed_lists_only_that_providers_active_appointments(client_as, world):
    mine = book(world, world["jane"], world["a1"], 10)
    cancelled = book(world, world["omar"], world["a1"], 12)
    with medspa_scope(world["medspa"]):
        Appointment.objects.filter(pk=cancelled.pk).update(status="cancelled", cancel_reason="Ill")
    long_ago = book(
        world, world["omar"], world["a1"], 10, day=day_after_tomorrow(world["location"]) - timedelta(days=60)
    )
    book(world, world["omar"], world["a2"], 10)  # another provider's

    page = client_as("provider_a1").get(reverse("providers:calendar")).content.decode()
    with medspa_scope(world["medspa"]):
        feed = feed_of(world["a1"])
    path = reverse("calendar_feed", kwargs={"token": feed.token})
    assert path == f"/calendar-feed/{feed.token}.ics"
    assert path in page and "Revoke and make a new link" in page

    response = Client().get(path)  # calendar apps do not sign in
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")  # every line ends with CRLF
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert body.count("BEGIN:VEVENT") == 1
    assert f"UID:appointment-{mine.pk}@" in body
    assert f"UID:appointment-{long_ago.pk}@" not in body
    start = mine.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{start}\r\n" in body
    assert "SUMMARY:Neurotoxin – J.\r\n" in body
    assert "STATUS:TENTATIVE" in body and "LOCATION:Clinic" in body
    # Privacy: no patient's name beyond a first initial.
    for name in ("Janeway", "Quillfeather", "Omar", "Brightwater"):
        assert name not in body


def test_a_revoked_feed_is_gone_and_a_new_one_works(client_as, world):
    book(world, world["jane"], world["a1"], 10)
    client = client_as("provider_a1")
    client.get(reverse("providers:calendar"))
    with medspa_scope(world["medspa"]):
        old = feed_of(world["a1"])
    response = client.post(reverse("providers:calendar"), {"action": "feed_revoke"})
    assert response.status_code == 302
    with medspa_scope(world["medspa"]):
        new = feed_of(world["a1"])
    assert new.token != old.token
    assert Client().get(reverse("calendar_feed", kwargs={"token": old.token})).status_code == 404
    assert Client().get(reverse("calendar_feed", kwargs={"token": new.token})).status_code == 200
    assert Client().get(reverse("calendar_feed", kwargs={"token": "not-a-token"})).status_code == 404
    # The page's revoke form asks first.
    page = client.get(reverse("providers:calendar")).content.decode()
    assert 'data-confirm="Revoke this link?' in page and new.token in page


def test_the_feed_services(world):
    with medspa_scope(world["medspa"]):
        feed = settings_services.calendar_feed_get_or_create(provider=world["a1"])
        assert settings_services.calendar_feed_get_or_create(provider=world["a1"]) == feed
        new = settings_services.calendar_feed_revoke(feed=feed)
        feed.refresh_from_db()
        assert feed.revoked_at is not None and new.revoked_at is None and new.provider == world["a1"]
        # Revoking the old one again (a double click) changes nothing more.
        assert settings_services.calendar_feed_revoke(feed=feed) == new


def test_ical_lines_fold_at_75_octets_without_splitting_characters():
    line = "SUMMARY:" + "Crème brûlée – ünïcödé " * 10
    folded = ical_fold(line)
    parts = folded.split("\r\n")
    assert len(parts) > 1
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join([parts[0], *(part[1:] for part in parts[1:])]) == line


# --- The week view's query count ------------------------------------------------------------------------


@unscoped
def fill_week(world, count):
    """`count` appointments spread over this week's days and the three providers (9:00 onwards)."""
    location = world["location"]
    today = timezone.now().astimezone(location.tz).date()
    monday = today - timedelta(days=today.weekday())
    providers = [
        world["a1"],
        world["a2"],
        world["type"].providers.exclude(pk__in=[world["a1"].pk, world["a2"].pk]).get(),
    ]
    patients = [world["jane"], world["omar"]]
    made = 0
    for hour in range(9, 17):
        for offset in range(7):
            for provider in providers:
                if made == count:
                    return monday
                book(world, patients[made % 2], provider, hour, day=monday + timedelta(days=offset))
                made += 1
    return monday


@pytest.mark.parametrize("count", [3, 60])
def test_the_week_view_runs_a_constant_number_of_queries(client_as, world, count, django_assert_num_queries):
    monday = fill_week(world, count)
    client = client_as("admin_a")
    url = reverse("scheduling:calendar") + f"?view=week&date={monday}"
    client.get(url)  # the first request of a session writes it; measure the ones after
    with django_assert_num_queries(WEEK_VIEW_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    # The list is the chosen day's (Monday's): the grid reads the week from the events endpoint.
    mondays = sum(1 for n in range(count) if (n // 3) % 7 == 0)
    assert response.content.decode().count('class="appt-row status-') == mondays
