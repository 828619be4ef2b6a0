"""Patient appointment notifications: each (appointment, kind, channel) goes out at most once, retries and
racing workers included; opt-outs are logged, not sent; reminders come from the sweep; texts render in the
location's time zone; the admin's settings page and preview; the Twilio backend against a loopback Twilio."""

import itertools
import threading
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from medspa import once
from medspa.messaging import sms
from medspa.tenancy import medspa_scope
from scheduling.forms.notifications import template_field_names
from scheduling.models import Appointment, NotificationLog, NotificationSettings
from scheduling.selectors import notification_texts
from scheduling.services import booking, notifications
from tests import factories
from tests.twilio_server import ACCOUNT_SID as TWILIO_ACCOUNT_SID
from tests.twilio_server import AUTH_TOKEN as TWILIO_AUTH_TOKEN

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # a fixed clock, far from "today"
DAY = date(2027, 3, 10)  # a Wednesday, PST (UTC-8) until the 14th
SENT, FAILED, SKIPPED = (
    NotificationLog.Status.SENT,
    NotificationLog.Status.FAILED,
    NotificationLog.Status.SKIPPED,
)


@pytest.fixture(autouse=True)
def _sms_outbox(settings):
    settings.SMS_BACKEND = "medspa.messaging.sms.LocmemSmsBackend"
    settings.SMS_FROM = "+16195550100"
    settings.SITE_URL = "https://portal.example"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def world(cast, provider):
    provider.user.full_name = "Jordan Rivera"
    provider.user.save(update_fields=["full_name"])
    location, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])
    return SimpleNamespace(medspa=cast.medspa_a, provider=provider, location=location, type=appointment_type)


def patient_of(world, **fields):
    values = {
        "first_name": "Dana",
        "phone": "+16195550123",
        "consent_email": True,
        "consent_sms": True,
        "email": "dana@mail.example",
        **fields,
    }
    return factories.PatientFactory(medspa=world.medspa, **values)


def book(world, start, *, patient=None, now=NOW) -> Appointment:
    patient = patient or patient_of(world)
    with medspa_scope(world.medspa):
        return booking.appointment_book(
            appointment_type=world.type,
            start=start,
            patient=patient,
            provider=world.provider,
            now=now,
        )


def notify(appointment, kind, **options):
    with medspa_scope(appointment.medspa_id):
        notifications.appointment_notify(appointment_id=appointment.pk, kind=kind, **options)


def log_of(appointment) -> dict:
    with medspa_scope(appointment.medspa_id):
        return {
            (row.kind, row.channel): (row.status, row.detail)
            for row in NotificationLog.objects.filter(appointment=appointment)
        }


# --- Exactly once -------------------------------------------------------------------------------------------


def test_confirmation_goes_once_by_email_and_sms_however_often_asked(world):
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    notify(appointment, "confirmation")
    notify(appointment, "confirmation")  # a retried task

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dana@mail.example"]
    assert "You're booked" in mail.outbox[0].subject
    assert len(sms.outbox) == 1
    assert sms.outbox[0]["to"] == "+16195550123"
    assert log_of(appointment) == {("confirmation", "email"): (SENT, ""), ("confirmation", "sms"): (SENT, "")}


def test_the_booking_hook_queues_the_confirmation(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(world, datetime.combine(DAY, time(11), tzinfo=LA))
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    assert set(log_of(appointment)) == {("confirmation", "email"), ("confirmation", "sms")}


def test_each_reschedule_notifies_once_for_its_new_time(world):
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    with medspa_scope(world.medspa):
        moved = booking.appointment_reschedule(
            appointment=appointment, start=datetime.combine(DAY, time(14), tzinfo=LA), now=NOW
        )
    notify(moved, "reschedule")
    notify(moved, "reschedule")
    with medspa_scope(world.medspa):
        booking.appointment_reschedule(
            appointment=moved, start=datetime.combine(DAY, time(15), tzinfo=LA), now=NOW
        )
    notify(moved, "reschedule")

    kinds = sorted({kind for kind, _ in log_of(moved)})
    assert kinds == ["reschedule-2027-03-10T22:00:00Z", "reschedule-2027-03-10T23:00:00Z"]
    assert len(mail.outbox) == 2 and len(sms.outbox) == 2
    assert "3:00 PM PST" in mail.outbox[1].subject


def test_stale_notifications_are_neither_sent_nor_logged(world):
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    with medspa_scope(world.medspa):
        booking.appointment_cancel(appointment=appointment, reason="Patient is ill", now=NOW)
    notify(appointment, "reminder-48h", now=NOW)
    notify(appointment, "confirmation", now=NOW)
    assert log_of(appointment) == {}
    notify(appointment, "cancellation", now=NOW)
    assert len(mail.outbox) == 1 and "cancelled" in mail.outbox[0].subject
    assert len(sms.outbox) == 1


def test_unknown_kind_is_refused(world):
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    with pytest.raises(notification_texts.UnknownKind):
        notify(appointment, "birthday")


def _race(appointment, kind, *, threads=4) -> list[BaseException]:
    """`threads` workers call appointment_notify at the same moment, each on its own connection."""
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def worker():
        try:
            barrier.wait(timeout=10)
            notify(appointment, kind)
        except BaseException as error:  # reported to the test thread
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=30)
    return errors


@pytest.mark.django_db(transaction=True)
def test_racing_workers_send_exactly_once_per_channel(world):
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    # The booking committed for real, so its hook ran (eager Celery in the tests): one confirmation.
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    mail.outbox.clear()
    sms.outbox.clear()

    for kind in ("reminder-24h", "confirmation"):
        assert _race(appointment, kind) == []

    assert len(mail.outbox) == 1 and len(sms.outbox) == 1  # the reminder; the confirmation was done
    with medspa_scope(world.medspa):
        assert NotificationLog.objects.filter(appointment=appointment).count() == 4
        assert set(
            NotificationLog.objects.filter(appointment=appointment).values_list("status", flat=True)
        ) == {SENT}


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_waits_for_the_first_ones_decision_and_sends_nothing(world):
    """Deterministic form of the race: the first worker's row is inserted but not committed yet."""
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    mail.outbox.clear()
    sms.outbox.clear()
    done = threading.Event()

    def second_worker():
        try:
            notify(appointment, "reminder-2h")
        finally:
            connection.close()
            done.set()

    with transaction.atomic():
        with medspa_scope(world.medspa):
            NotificationLog.objects.create(
                medspa=world.medspa, appointment=appointment, kind="reminder-2h", channel="email"
            )
        thread = threading.Thread(target=second_worker)
        thread.start()
        assert not done.wait(0.5)  # its INSERT waits on the unique index until this transaction ends
    thread.join(timeout=10)
    assert done.is_set()
    assert mail.outbox == []  # email was claimed by the "first worker": the second sends none
    assert len(sms.outbox) == 1


# --- Skipped, with the reason -------------------------------------------------------------------------------


def test_opt_outs_and_missing_contacts_are_logged_as_skipped_and_nothing_is_sent(world):
    appointment = book(
        world,
        datetime.combine(DAY, time(10), tzinfo=LA),
        patient=patient_of(world, consent_sms=False, email=""),
    )
    notify(appointment, "confirmation")
    assert log_of(appointment) == {
        ("confirmation", "email"): (SKIPPED, "no email on file"),
        ("confirmation", "sms"): (SKIPPED, "patient opted out of SMS"),
    }
    assert mail.outbox == [] and sms.outbox == []

    opted_out = book(
        world, datetime.combine(DAY, time(12), tzinfo=LA), patient=patient_of(world, consent_email=False)
    )
    with medspa_scope(world.medspa):
        NotificationSettings.objects.filter(medspa=world.medspa).update(sms_enabled=False)
    notify(opted_out, "confirmation")
    assert log_of(opted_out) == {
        ("confirmation", "email"): (SKIPPED, "patient opted out of email"),
        ("confirmation", "sms"): (SKIPPED, "SMS turned off for this medspa"),
    }
    assert mail.outbox == [] and sms.outbox == []


def test_a_kind_turned_off_is_logged_as_skipped(world):
    with medspa_scope(world.medspa):
        NotificationSettings.objects.create(medspa=world.medspa, cancellation=False)
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    with medspa_scope(world.medspa):
        booking.appointment_cancel(appointment=appointment, reason="Moved away", now=NOW)
    notify(appointment, "cancellation")
    assert log_of(appointment)[("cancellation", "sms")] == (
        SKIPPED,
        "cancellation notices turned off for this medspa",
    )
    assert mail.outbox == [] and sms.outbox == []


def test_a_reminder_of_an_appointment_already_started_is_skipped(world):
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    notify(appointment, "reminder-2h", now=appointment.start + timedelta(minutes=5))
    assert log_of(appointment)[("reminder-2h", "email")] == (SKIPPED, "the appointment had already started")
    assert mail.outbox == [] and sms.outbox == []


def test_the_log_partial_lists_each_decision(world):
    from django.template.loader import render_to_string

    appointment = book(
        world, datetime.combine(DAY, time(10), tzinfo=LA), patient=patient_of(world, consent_sms=False)
    )
    notify(appointment, "confirmation")
    with medspa_scope(world.medspa):
        html = render_to_string("scheduling/_notification_log.html", {"appointment": appointment})
    assert "Booking confirmation" in html
    assert "Patient opted out of SMS" in html
    assert "Sent" in html and "Skipped" in html


# --- Reminders sweep ----------------------------------------------------------------------------------------


def test_sweep_sends_each_reminder_once_when_it_comes_due(world):
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    cancelled = book(world, datetime.combine(DAY, time(13), tzinfo=LA))
    with medspa_scope(world.medspa):
        booking.appointment_cancel(appointment=cancelled, reason="Patient is ill", now=NOW)
    start = appointment.start

    assert notifications.reminders_sweep(now=start - timedelta(hours=49)) == 0
    assert notifications.reminders_sweep(now=start - timedelta(hours=48)) == 1
    assert notifications.reminders_sweep(now=start - timedelta(hours=47)) == 0  # already decided
    assert len(mail.outbox) == 1 and "Reminder" in mail.outbox[0].subject
    assert notifications.reminders_sweep(now=start - timedelta(hours=3)) == 0
    assert notifications.reminders_sweep(now=start - timedelta(hours=1, minutes=55)) == 1
    assert notifications.reminders_sweep(now=start - timedelta(hours=1)) == 0
    assert notifications.reminders_sweep(now=start + timedelta(minutes=1)) == 0

    assert len(mail.outbox) == 2 and len(sms.outbox) == 2
    assert set(log_of(appointment)) == {
        ("reminder-48h", "email"),
        ("reminder-48h", "sms"),
        ("reminder-2h", "email"),
        ("reminder-2h", "sms"),
    }
    assert log_of(cancelled) == {}


def test_sweep_skips_lead_times_that_had_passed_when_the_booking_was_made(world):
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    start = appointment.start
    # Booked ten hours ahead: no "48 h" reminder, but the "2 h" one.
    with medspa_scope(world.medspa):
        Appointment.objects.filter(pk=appointment.pk).update(created_at=start - timedelta(hours=10))

    assert notifications.reminders_sweep(now=start - timedelta(hours=9)) == 0
    assert notifications.reminders_sweep(now=start - timedelta(hours=2)) == 1
    assert set(log_of(appointment)) == {("reminder-2h", "email"), ("reminder-2h", "sms")}


def test_sweep_follows_each_medspas_lead_times_and_switch(world, cast):
    with medspa_scope(world.medspa):
        NotificationSettings.objects.create(medspa=world.medspa, reminder_hours=[72])
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    with medspa_scope(cast.medspa_b):
        provider_b = cast.provider_b.memberships.get()
    _, type_b = factories.scheduling_world(cast.medspa_b, [provider_b])
    patient_b = factories.PatientFactory(medspa=cast.medspa_b, consent_email=True)
    with medspa_scope(cast.medspa_b):
        other = booking.appointment_book(
            appointment_type=type_b,
            start=datetime.combine(DAY, time(10), tzinfo=LA),
            patient=patient_b,
            provider=provider_b,
            now=NOW,
        )
        NotificationSettings.objects.create(medspa=cast.medspa_b, reminders=False)

    assert notifications.reminders_sweep(now=appointment.start - timedelta(hours=72)) == 1
    assert notifications.reminders_sweep(now=appointment.start - timedelta(hours=2)) == 0
    assert set(log_of(appointment)) == {("reminder-72h", "email"), ("reminder-72h", "sms")}
    assert log_of(other) == {}


# --- Texts --------------------------------------------------------------------------------------------------


def test_templates_render_placeholders_in_the_locations_time_zone(world):
    with medspa_scope(world.medspa):
        NotificationSettings.objects.create(
            medspa=world.medspa,
            templates={
                "confirmation": {
                    "subject": "{patient_first_name}, see you {date}",
                    "email": "{appointment_type} with {provider_name} at {location_name}, {time}. "
                    "{medspa_name} {manage_link}",
                    "sms": "{time} {nonsense}",
                }
            },
        )
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    notify(appointment, "confirmation")

    message = mail.outbox[0]
    assert message.subject == "Dana, see you Wednesday, March 10"
    assert message.body == (
        f"Neurotoxin with Jordan Rivera at {world.location.name}, 10:00 AM PST. Glow A "
        f"https://portal.example/book/manage/{appointment.manage_token}/"
    )
    assert sms.outbox[0]["body"] == "10:00 AM PST {nonsense}"  # 18:00 UTC, told in Pacific time


def test_a_bad_placeholder_does_not_crash_and_stays_as_written(world):
    with medspa_scope(world.medspa):
        NotificationSettings.objects.create(
            medspa=world.medspa,
            templates={
                "reminder": {
                    "sms": "At {time} {date.year} {0} {time:>20} {} { and }",
                    "subject": "{",
                    "email": "ok {patient_first_name}",
                }
            },
        )
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    notify(appointment, "reminder-48h", now=NOW)
    assert sms.outbox[0]["body"] == "At 10:00 AM PST {date.year} {0} {time:>20} {} { and }"
    assert mail.outbox[0].subject == "{"
    assert mail.outbox[0].body == "ok Dana"


def test_render_is_total():
    context = {"date": "Monday"}
    assert notification_texts.render("{date} {{literal}} {missing}", context) == "Monday {literal} {missing}"
    assert notification_texts.render("{date!r} {date.__class__} {", context) == "{date!r} {date.__class__} {"


def test_preview_uses_a_sample_appointment(world):
    settings_obj = NotificationSettings(medspa=world.medspa)
    preview = notification_texts.notification_preview(
        settings_obj=settings_obj, kind="reminder", channel="email"
    )
    assert preview.startswith("Subject: Reminder: Neurotoxin on Tuesday, ")
    assert "Hi Alex" in preview and world.location.name in preview
    assert "AM PST" in preview or "AM PDT" in preview
    assert "{" not in preview


# --- The settings page and preview endpoint -----------------------------------------------------------------


def form_data(**overrides) -> dict:
    data = {
        "email_enabled": "on",
        "sms_enabled": "on",
        "confirmation": "on",
        "reminders": "on",
        "reminder_hours": "48, 2",
        "reschedule": "on",
        "cancellation": "on",
        "no_show_follow_up": "on",
    }
    for kind in notification_texts.TEMPLATE_KINDS:
        for part, name in template_field_names(kind).items():
            data[name] = notification_texts.DEFAULT_TEMPLATES[kind][part]
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def test_settings_page_saves_switches_lead_times_and_only_changed_texts(world, client_as):
    client = client_as("admin_a")
    assert client.get(reverse("scheduling:notification_settings")).status_code == 200
    response = client.post(
        reverse("scheduling:notification_settings"),
        form_data(sms_enabled=None, reminder_hours="3, 24", reminder_subject="Soon: {appointment_type}"),
    )
    assert response.status_code == 302

    with medspa_scope(world.medspa):
        saved = NotificationSettings.objects.get(medspa=world.medspa)
        assert saved.sms_enabled is False and saved.email_enabled is True
    assert saved.reminder_hours == [24, 3]
    assert saved.templates == {"reminder": {"subject": "Soon: {appointment_type}"}}


@pytest.mark.parametrize(
    ("hours", "error"),
    [
        ("48, 0", "from 1 to 168"),
        ("200", "from 1 to 168"),
        ("1.5", "not a whole number"),
        ("soon", "not a whole number"),
        ("48, 24, 12, 2, 1", "At most 4"),
        ("48, 2, 48", "more than once"),
    ],
)
def test_bad_lead_times_are_a_field_error_and_nothing_is_saved(world, client_as, hours, error):
    with medspa_scope(world.medspa):
        NotificationSettings.objects.create(medspa=world.medspa, reminder_hours=[48, 2])
    response = client_as("admin_a").post(
        reverse("scheduling:notification_settings"), form_data(reminder_hours=hours, sms_enabled=None)
    )
    assert response.status_code == 400
    assert error in " ".join(response.context["form"].errors["reminder_hours"])
    with medspa_scope(world.medspa):
        saved = NotificationSettings.objects.get(medspa=world.medspa)
        assert saved.reminder_hours == [48, 2] and saved.sms_enabled is True


def test_unknown_placeholders_are_refused_by_the_form(world, client_as):
    response = client_as("admin_a").post(
        reverse("scheduling:notification_settings"), form_data(confirmation_sms="Hi {first_name}")
    )
    assert response.status_code == 400
    assert "{first_name}" in " ".join(response.context["form"].errors["confirmation_sms"])
    with medspa_scope(world.medspa):
        assert not NotificationSettings.objects.filter(
            medspa=world.medspa, templates__has_key="confirmation"
        ).exists()


def test_preview_endpoint_renders_the_text_as_typed(world, client_as):
    client = client_as("admin_a")
    url = reverse("scheduling:notification_preview")
    response = client.post(
        url,
        {
            "kind": "no-show",
            "no_show_subject": "Missed you, {patient_first_name}",
            "no_show_email": "{medspa_name} {oops}",
            "no_show_sms": "",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "Subject: Missed you, Alex" in html
    assert "Glow A {oops}" in html and "Unknown placeholder" in html
    assert "we missed you at your Neurotoxin today" in html  # an empty text previews the default

    page = client.get(url, {"kind": "confirmation"})
    assert page.status_code == 200 and "<html" in page.content.decode()
    assert client.get(url, {"kind": "birthday"}).status_code == 400


def test_providers_are_refused_and_each_admin_sees_only_their_medspa(world, cast, client_as):
    for name in ("notification_settings", "notification_preview"):
        assert client_as("provider_a1").get(reverse(f"scheduling:{name}")).status_code == 403
    assert (
        client_as("provider_a1").post(reverse("scheduling:notification_settings"), form_data()).status_code
        == 403
    )
    with medspa_scope(world.medspa):
        NotificationSettings.objects.create(
            medspa=world.medspa, templates={"confirmation": {"subject": "A-only subject"}}
        )

    client_b = client_as("admin_b")
    assert "A-only subject" not in client_b.get(reverse("scheduling:notification_settings")).content.decode()
    response = client_b.post(reverse("scheduling:notification_settings"), form_data(email_enabled=None))
    assert response.status_code == 302
    with medspa_scope(cast.medspa_b):
        assert NotificationSettings.objects.get(medspa=cast.medspa_b).email_enabled is False
    with medspa_scope(world.medspa):
        mine = NotificationSettings.objects.get(medspa=world.medspa)
    assert mine.email_enabled is True and mine.templates == {"confirmation": {"subject": "A-only subject"}}


# --- The HTTP SMS adapter, against a real local server ------------------------------------------------------


@pytest.fixture
def sms_server(twilio):
    """Twilio's Messages API on 127.0.0.1 (tests/twilio_server.py): records each message; answers with a
    forced `status` after `delay` s."""
    return twilio


def test_twilio_backend_posts_the_form_with_basic_auth_and_keeps_the_sid(world, sms_server):
    world.medspa.sms_number = "+16195550177"
    world.medspa.save(update_fields=["sms_number"])
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    notify(appointment, "confirmation")
    (request,) = sms_server.requests
    assert request["path"] == f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json"
    assert request["headers"]["Authorization"].startswith("Basic ")
    assert request["headers"]["Content-Type"].startswith("application/x-www-form-urlencoded")
    (message,) = sms_server.messages
    assert message["To"] == "+16195550123"
    assert message["From"] == "+16195550177"  # the medspa's own number, not the fallback
    assert "10:00 AM PST" in message["Body"]
    with medspa_scope(appointment.medspa_id):
        row = NotificationLog.objects.get(appointment=appointment, channel="sms")
    assert message["StatusCallback"] == (
        f"https://portal.example/webhooks/twilio/status/scheduling.notificationlog/{row.pk}/"
    )
    assert (row.provider_id, row.delivery_status) == (message["sid"], "queued")
    assert log_of(appointment)[("confirmation", "sms")] == (SENT, "")


def test_twilio_error_answer_is_retried_with_backoff_until_it_goes(world, sms_server):
    sms_server.status = 500
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    notify(appointment, "confirmation")
    notify(appointment, "confirmation")  # the same task again: the row is decided, it sends nothing more
    assert len(sms_server.requests) == 1
    with medspa_scope(appointment.medspa_id):
        row = NotificationLog.objects.get(appointment=appointment, channel="sms")
    assert row.status == NotificationLog.Status.PENDING and "500" in row.detail and row.attempts == 1
    assert log_of(appointment)[("confirmation", "email")] == (SENT, "")  # the other channel is unaffected

    # Not due before its backoff; due after it, and then it goes, marked sent once.
    assert notifications.notifications_sweep(now=row.next_attempt_at - timedelta(seconds=1)) == []
    assert notifications.notifications_sweep(now=row.next_attempt_at) == [(row.pk, appointment.medspa_id)]
    sms_server.status = None
    with medspa_scope(appointment.medspa_id):
        assert notifications.notification_deliver(log_id=row.pk) == once.SENT
        assert notifications.notification_deliver(log_id=row.pk) == ""
    assert len(sms_server.requests) == 2
    assert log_of(appointment)[("confirmation", "sms")] == (SENT, "")


def test_a_send_that_keeps_failing_is_marked_failed_after_the_last_attempt(world, sms_server):
    sms_server.status = 500
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    notify(appointment, "confirmation")
    with medspa_scope(appointment.medspa_id):
        row = NotificationLog.objects.get(appointment=appointment, channel="sms")
    waits = []
    with medspa_scope(appointment.medspa_id):
        for _ in range(once.MAX_ATTEMPTS - 1):
            row.refresh_from_db()
            waits.append(row.next_attempt_at)
            notifications.notification_deliver(log_id=row.pk, now=row.next_attempt_at)
    with medspa_scope(appointment.medspa_id):
        row.refresh_from_db()
        assert len(sms_server.requests) == once.MAX_ATTEMPTS
    assert [later - earlier for earlier, later in itertools.pairwise(waits)] == [
        once.retry_delay(n) for n in range(2, once.MAX_ATTEMPTS)
    ]  # each wait doubles: 2, 4, 8, 16 minutes
    assert (row.status, row.attempts, row.next_attempt_at) == (FAILED, once.MAX_ATTEMPTS, None)
    assert "500" in row.detail
    assert notifications.notifications_sweep(now=timezone.now() + timedelta(days=1)) == []


def test_an_invalid_number_twilio_refuses_fails_at_once_with_its_code(world, sms_server):
    appointment = book(
        world, datetime.combine(DAY, time(10), tzinfo=LA), patient=patient_of(world, phone="619-555")
    )
    notify(appointment, "confirmation")
    with medspa_scope(appointment.medspa_id):
        row = NotificationLog.objects.get(appointment=appointment, channel="sms")
    assert (row.status, row.attempts, row.next_attempt_at) == (FAILED, 1, None)  # a 400 is not retried
    assert "21211" in row.detail


def test_a_medspa_without_a_number_fails_the_text_and_says_why(world, sms_server, settings):
    settings.SMS_FROM = ""
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    notify(appointment, "confirmation")
    assert sms_server.requests == []
    status, detail = log_of(appointment)[("confirmation", "sms")]
    assert status == FAILED and "has no texting number" in detail


def test_twilio_slow_answer_times_out_and_is_retried_later(world, sms_server, settings):
    settings.SMS_TIMEOUT = 0.3
    sms_server.delay = 1.5
    appointment = book(world, datetime.combine(DAY, time(10), tzinfo=LA))
    started = clock.monotonic()
    notify(appointment, "confirmation")
    assert clock.monotonic() - started < 1.4
    status, detail = log_of(appointment)[("confirmation", "sms")]
    assert status == NotificationLog.Status.PENDING and "did not answer" in detail


def test_twilio_backend_raises_sms_error_with_twilios_code(sms_server, settings):
    sms_server.status = 401
    backend = sms.get_sms_backend()
    assert isinstance(backend, sms.TwilioSmsBackend)
    with pytest.raises(sms.SmsError, match="401") as refused:
        backend.send("+16195550123", "hello", sender="+16195550100")
    assert refused.value.code == 20003 and not refused.value.permanent
    settings.TWILIO_AUTH_TOKEN = "a-wrong-token"
    sms_server.status = None
    with pytest.raises(sms.SmsError, match="20003"):
        sms.get_sms_backend().send("+16195550123", "hello", sender="+16195550100")
    settings.TWILIO_AUTH_TOKEN = TWILIO_AUTH_TOKEN
    with pytest.raises(sms.SmsError, match="21211") as refused:
        sms.get_sms_backend().send("not a number", "hello", sender="+16195550100")
    assert refused.value.code == 21211 and refused.value.permanent
    sid = sms.get_sms_backend().send("+16195550123", "hello again", sender="+16195550100")
    assert sid.startswith("SM") and len(sid) == 34
    assert [(message["Body"], message["sid"]) for message in sms_server.messages] == [("hello again", sid)]
