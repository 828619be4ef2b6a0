"""Messages before the visit: the paperwork link in the confirmation, the paperwork reminder (once, only while
forms or consents are to do, at its lead time, across a DST change) and the pre-visit care messages (with the
confirmation or at their lead time, once per channel, none for a cancelled or moved appointment), the
settings that drive them, the log's words and "Send again"."""

import threading
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse

from medspa.messaging import sms
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, NotificationLog, NotificationSettings
from scheduling.selectors import notification_texts
from scheduling.selectors.paperwork import paperwork_open
from scheduling.services import booking, notifications, pre_visit
from scheduling.tests.factories import IntakeResponseFactory
from scheduling.tests.test_notifications import form_data
from services_catalog.tests.factories import (
    CareMessageFactory,
    CareMessageVersionFactory,
    IntakeFormFactory,
    IntakeFormVersionFactory,
)
from tests import factories

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
DAY = date(2027, 3, 10)  # PST; the clocks go forward on Sunday the 14th
SENT, SKIPPED, FAILED = (
    NotificationLog.Status.SENT,
    NotificationLog.Status.SKIPPED,
    NotificationLog.Status.FAILED,
)
LINE = "Before your visit, please complete your forms and consents: https://portal.example/book/paperwork/"


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
    location, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])
    appointment_type.name = "Lip filler"
    appointment_type.save(update_fields=["name"])
    return SimpleNamespace(medspa=cast.medspa_a, provider=provider, location=location, type=appointment_type)


def intake_form(world):
    """An intake form the world's appointment type asks for; returns its version."""
    with medspa_scope(world.medspa):
        form = IntakeFormFactory(medspa=world.medspa, title="Health history")
        version = IntakeFormVersionFactory(form=form)
        world.type.intake_forms.add(form)
    return version


def care_message(world, title="Avoid blood thinners", *, lead_hours=None, text=None):
    with medspa_scope(world.medspa):
        message = CareMessageFactory(medspa=world.medspa, title=title, timing="pre", lead_hours=lead_hours)
        CareMessageVersionFactory(care_message=message, number=1, text="An old text.")
        CareMessageVersionFactory(
            care_message=message, number=2, text=text or "Hi {patient_first_name}, no aspirin for a week."
        )
        world.type.service.care_messages.add(message)
    return message


def book(world, start, *, now=NOW, **patient_fields) -> Appointment:
    patient = factories.PatientFactory(
        medspa=world.medspa,
        **{
            "first_name": "Dana",
            "phone": "+16195550123",
            "email": "dana@mail.example",
            "consent_email": True,
            "consent_sms": True,
            **patient_fields,
        },
    )
    with medspa_scope(world.medspa):
        return booking.appointment_book(
            appointment_type=world.type, start=start, patient=patient, provider=world.provider, now=now
        )


def at(hour: int = 10, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LA)


def notify(appointment, kind, **options):
    with medspa_scope(appointment.medspa_id):
        notifications.appointment_notify(appointment_id=appointment.pk, kind=kind, **options)


def booked_at(appointment, moment: datetime) -> None:
    with medspa_scope(appointment.medspa_id):
        Appointment.objects.filter(pk=appointment.pk).update(created_at=moment)


def log_of(appointment) -> dict:
    with medspa_scope(appointment.medspa_id):
        return {
            (row.kind, row.channel): (row.status, row.detail)
            for row in NotificationLog.objects.filter(appointment=appointment)
        }


def clear_outboxes() -> None:
    mail.outbox.clear()
    sms.outbox.clear()


# --- The paperwork link in the confirmation -----------------------------------------------------------------


def test_the_confirmation_asks_for_the_paperwork_with_its_link(world):
    intake_form(world)
    appointment = book(world, at())
    notify(appointment, "confirmation", now=NOW)

    [email] = mail.outbox
    assert LINE in email.body
    assert LINE in sms.outbox[0]["body"]
    link = email.body.split(LINE[: -len("https://portal.example/book/paperwork/")])[1].split()[0]
    assert link.startswith("https://portal.example/book/paperwork/")
    assert paperwork_open(link.rstrip("/").rsplit("/", 1)[1], now=NOW) == appointment  # the patient's own


def test_no_paperwork_line_when_there_is_none_or_it_is_done(world):
    plain = book(world, at(10))
    notify(plain, "confirmation", now=NOW)
    version = intake_form(world)
    done = book(world, at(11))
    with medspa_scope(world.medspa):
        IntakeResponseFactory(medspa=world.medspa, appointment=done, version=version)
    notify(done, "confirmation", now=NOW)

    assert len(mail.outbox) == 2 and len(sms.outbox) == 2
    for email, text in zip(mail.outbox, sms.outbox, strict=True):
        assert "forms and consents" not in email.body and "forms and consents" not in text["body"]
        assert "\n\n\n" not in email.body  # the empty line leaves no gap
        assert "  " not in text["body"]
        assert "Need to change or cancel?" in email.body


def test_placeholders_are_known_and_previewed(world):
    assert {"paperwork_link", "paperwork_line"} <= set(notification_texts.PLACEHOLDERS)
    assert notification_texts.template_problems("Forms: {paperwork_link} {paperwork_line}") == []
    with medspa_scope(world.medspa):
        settings_obj = NotificationSettings.objects.create(medspa=world.medspa)
    preview = notification_texts.notification_preview(
        settings_obj=settings_obj, kind="confirmation", channel="email"
    )
    assert "please complete your forms and consents: https://portal.example/book/paperwork/sample" in preview
    assert "{paperwork_link}" in NotificationSettings.__doc__


# --- The paperwork reminder ---------------------------------------------------------------------------------


def test_the_paperwork_reminder_goes_once_at_its_lead_time(world):
    intake_form(world)
    appointment = book(world, at())
    start = appointment.start

    assert pre_visit.paperwork_reminders_sweep(now=start - timedelta(hours=49)) == 0
    assert pre_visit.paperwork_reminders_sweep(now=start - timedelta(hours=48)) == 1
    assert pre_visit.paperwork_reminders_sweep(now=start - timedelta(hours=47)) == 0  # decided

    [email] = mail.outbox
    assert email.subject == f"Your forms for Lip filler on {notification_texts.format_date(at())}"
    assert "https://portal.example/book/paperwork/" in email.body
    assert "https://portal.example/book/paperwork/" in sms.outbox[0]["body"]
    assert log_of(appointment) == {("paperwork", "email"): (SENT, ""), ("paperwork", "sms"): (SENT, "")}


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_send_one_reminder_per_channel(world):
    intake_form(world)
    appointment = book(world, at())
    clear_outboxes()  # the booking committed for real, and its hook sent the confirmation
    moment = appointment.start - timedelta(hours=47)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker():
        try:
            barrier.wait(timeout=10)
            pre_visit.paperwork_reminders_sweep(now=moment)
        except BaseException as error:  # reported to the test thread
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=30)

    assert errors == []
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    assert pre_visit.paperwork_reminders_sweep(now=moment) == 0
    with medspa_scope(world.medspa):
        assert NotificationLog.objects.filter(appointment=appointment, kind="paperwork").count() == 2


def test_no_reminder_when_the_paperwork_is_done_or_there_is_none(world):
    version = intake_form(world)
    done = book(world, at(10))
    with medspa_scope(world.medspa):
        IntakeResponseFactory(medspa=world.medspa, appointment=done, version=version)
        world.type.intake_forms.clear()
    none = book(world, at(11))

    assert pre_visit.paperwork_reminders_sweep(now=done.start - timedelta(hours=47)) == 0
    assert log_of(done) == {} and log_of(none) == {}
    assert mail.outbox == [] and sms.outbox == []


def test_paperwork_done_after_the_sweep_is_checked_again_and_skipped(world):
    version = intake_form(world)
    appointment = book(world, at())
    queued = []
    moment = appointment.start - timedelta(hours=40)
    assert pre_visit.paperwork_reminders_sweep(now=moment, enqueue=lambda *task: queued.append(task)) == 1
    assert queued == [(appointment.pk, world.medspa.pk, "paperwork")]
    with medspa_scope(world.medspa):
        IntakeResponseFactory(medspa=world.medspa, appointment=appointment, version=version)

    notify(appointment, "paperwork", now=moment)
    assert mail.outbox == [] and sms.outbox == []
    assert log_of(appointment) == {
        ("paperwork", "email"): (SKIPPED, "forms and consents already complete"),
        ("paperwork", "sms"): (SKIPPED, "forms and consents already complete"),
    }


def test_a_pending_reminder_is_not_sent_once_the_paperwork_is_done(world):
    version = intake_form(world)
    appointment = book(world, at())
    with medspa_scope(world.medspa):
        row = NotificationLog.objects.create(
            medspa=world.medspa, appointment=appointment, kind="paperwork", channel="email"
        )
        IntakeResponseFactory(medspa=world.medspa, appointment=appointment, version=version)
        notifications.notification_deliver(log_id=row.pk)
        row.refresh_from_db()
    assert (row.status, row.detail) == (SKIPPED, "forms and consents already complete")
    assert mail.outbox == []


def test_no_reminder_when_the_medspa_turned_it_off(world):
    intake_form(world)
    with medspa_scope(world.medspa):
        NotificationSettings.objects.create(medspa=world.medspa, paperwork_reminder=False)
    appointment = book(world, at())
    assert pre_visit.paperwork_reminders_sweep(now=appointment.start - timedelta(hours=47)) == 0
    assert log_of(appointment) == {}


def test_no_reminder_for_an_appointment_booked_inside_the_lead_time(world):
    intake_form(world)
    appointment = book(world, at())
    booked_at(appointment, appointment.start - timedelta(hours=30))
    assert pre_visit.paperwork_reminders_sweep(now=appointment.start - timedelta(hours=29)) == 0
    assert pre_visit.paperwork_reminders_sweep(now=appointment.start - timedelta(hours=1)) == 0
    assert log_of(appointment) == {}


def test_the_medspas_lead_time_is_exact_across_the_change_to_daylight_time(world):
    """10:00 PDT on Monday the 15th is 17:00 UTC; 48 hours before is 17:00 UTC on Saturday the 13th, which is
    9:00 PST there, not "10:00 two days before"."""
    intake_form(world)
    appointment = book(world, at(10, date(2027, 3, 15)))
    later = book(world, at(11, date(2027, 3, 15)))
    assert appointment.start == datetime(2027, 3, 15, 17, 0, tzinfo=UTC)

    with time_machine.travel(datetime(2027, 3, 13, 16, 59, 59, tzinfo=UTC), tick=False):
        assert pre_visit.paperwork_reminders_sweep() == 0
    assert log_of(appointment) == {}
    with time_machine.travel(at(9, date(2027, 3, 13)), tick=False):  # 9:00 PST, 17:00 UTC
        assert pre_visit.paperwork_reminders_sweep() == 1
    assert set(log_of(appointment)) == {("paperwork", "email"), ("paperwork", "sms")}
    assert log_of(later) == {}  # 11:00 PDT: its 48 hours begin at 10:00 PST
    with time_machine.travel(at(10, date(2027, 3, 13)), tick=False):
        assert pre_visit.paperwork_reminders_sweep() == 1
    assert set(log_of(later)) == {("paperwork", "email"), ("paperwork", "sms")}


# --- Pre-visit care messages --------------------------------------------------------------------------------


def test_care_messages_without_a_lead_time_go_with_the_confirmation_once_per_channel(world):
    message = care_message(world)
    appointment = book(world, at())
    notify(appointment, "confirmation", now=NOW)
    notify(appointment, "confirmation", now=NOW)  # a retried task
    notify(appointment, f"care-{message.pk}", now=NOW)  # or a second worker reaching it by its own kind

    kind = f"care-{message.pk}"
    assert log_of(appointment) == {
        ("confirmation", "email"): (SENT, ""),
        ("confirmation", "sms"): (SENT, ""),
        (kind, "email"): (SENT, ""),
        (kind, "sms"): (SENT, ""),
    }
    care = [email for email in mail.outbox if email.subject.startswith("Before your")]
    assert len(mail.outbox) == 2 and len(care) == 1
    assert care[0].subject == f"Before your Lip filler at {world.medspa.display_name}: Avoid blood thinners"
    assert care[0].body == "Hi Dana, no aspirin for a week."  # the current version, filled in
    assert len(sms.outbox) == 2
    assert sms.outbox[1]["body"] == (
        f"{world.medspa.display_name}: Avoid blood thinners\n\nHi Dana, no aspirin for a week."
    )
    with medspa_scope(world.medspa):
        row = NotificationLog.objects.get(appointment=appointment, kind=kind, channel="email")
        assert row.care_version.number == 2


def test_care_messages_with_a_lead_time_go_by_the_sweep_at_their_moment(world):
    message = care_message(world, "Arrive without makeup", lead_hours=24)
    appointment = book(world, at())
    notify(appointment, "confirmation", now=NOW)
    kind = f"care-{message.pk}"
    assert set(log_of(appointment)) == {("confirmation", "email"), ("confirmation", "sms")}
    clear_outboxes()
    start = appointment.start

    assert pre_visit.pre_visit_care_sweep(now=start - timedelta(hours=24, minutes=1)) == 0
    assert pre_visit.pre_visit_care_sweep(now=start - timedelta(hours=24)) == 1
    assert pre_visit.pre_visit_care_sweep(now=start - timedelta(hours=23)) == 0
    assert [email.subject for email in mail.outbox] == [
        f"Before your Lip filler at {world.medspa.display_name}: Arrive without makeup"
    ]
    assert len(sms.outbox) == 1
    assert log_of(appointment)[(kind, "sms")] == (SENT, "")


def test_a_booking_inside_the_lead_time_gets_it_with_the_confirmation(world):
    message = care_message(world, "Arrive without makeup", lead_hours=24)
    appointment = book(world, at())
    moment = appointment.start - timedelta(hours=10)
    booked_at(appointment, moment)
    notify(appointment, "confirmation", now=moment)
    assert log_of(appointment)[(f"care-{message.pk}", "email")] == (SENT, "")
    assert pre_visit.pre_visit_care_sweep(now=moment + timedelta(minutes=5)) == 0
    assert len(mail.outbox) == 2 and len(sms.outbox) == 2


def test_no_care_message_for_a_cancelled_or_moved_appointment(world):
    message = care_message(world, "Arrive without makeup", lead_hours=24)
    kind = f"care-{message.pk}"
    cancelled, moved = book(world, at(10)), book(world, at(11))
    moment = cancelled.start - timedelta(hours=23)
    queued = []
    assert pre_visit.pre_visit_care_sweep(now=moment, enqueue=lambda *task: queued.append(task)) == 2
    with medspa_scope(world.medspa):
        booking.appointment_cancel(appointment=cancelled, reason="Patient is ill", now=NOW)
        booking.appointment_reschedule(
            appointment=moved, start=at(11, DAY + timedelta(days=3)), provider=world.provider, now=NOW
        )
    for pk, medspa_id, task_kind in queued:  # the tasks queued before the change run after it
        with medspa_scope(medspa_id):
            notifications.appointment_notify(appointment_id=pk, kind=task_kind, now=moment)
    assert {task_kind for _, _, task_kind in queued} == {kind}
    assert log_of(cancelled) == {} and log_of(moved) == {}
    assert pre_visit.pre_visit_care_sweep(now=moment) == 0
    assert mail.outbox == [] and sms.outbox == []


def test_an_opt_out_is_recorded_as_skipped(world):
    message = care_message(world)
    appointment = book(world, at(), consent_sms=False)
    notify(appointment, "confirmation", now=NOW)
    assert log_of(appointment)[(f"care-{message.pk}", "sms")] == (SKIPPED, "patient opted out of SMS")
    assert log_of(appointment)[(f"care-{message.pk}", "email")] == (SENT, "")
    assert sms.outbox == []


def test_care_messages_follow_the_medspas_switch(world):
    care_message(world)
    later = care_message(world, "Arrive without makeup", lead_hours=24)
    with medspa_scope(world.medspa):
        NotificationSettings.objects.create(medspa=world.medspa, pre_visit_care=False)
    appointment = book(world, at())
    notify(appointment, "confirmation", now=NOW)
    assert set(log_of(appointment)) == {("confirmation", "email"), ("confirmation", "sms")}
    assert pre_visit.pre_visit_care_sweep(now=appointment.start - timedelta(hours=23)) == 0
    notify(appointment, f"care-{later.pk}", now=appointment.start - timedelta(hours=23))
    assert log_of(appointment)[(f"care-{later.pk}", "email")] == (
        SKIPPED,
        "pre-visit care messages turned off for this medspa",
    )


# --- Send again, and the log's words ------------------------------------------------------------------------


def _failed(appointment, kind, channel="sms") -> NotificationLog:
    with medspa_scope(appointment.medspa_id):
        row = NotificationLog.objects.get(appointment=appointment, kind=kind, channel=channel)
        NotificationLog.objects.filter(pk=row.pk).update(
            status=FAILED, detail="gateway timeout", attempts=6, next_attempt_at=None
        )
    return row


def test_send_again_works_for_a_care_message_and_the_paperwork_reminder(world, cast, client_as):
    intake_form(world)
    message = care_message(world)
    appointment = book(world, at())
    notify(appointment, "confirmation", now=NOW)
    assert pre_visit.paperwork_reminders_sweep(now=appointment.start - timedelta(hours=47)) == 1
    care = _failed(appointment, f"care-{message.pk}")
    paperwork = _failed(appointment, "paperwork")
    clear_outboxes()

    client = client_as("provider_a1")
    todo = client.get(reverse("providers:todo")).content.decode()
    assert "Pre-visit care: Avoid blood thinners of Lip filler" in todo
    assert "Paperwork reminder of Lip filler" in todo
    answer = client.post(reverse("providers:notification_resend", args=[care.pk]), follow=True)
    assert "Pre-visit care: Avoid blood thinners" in answer.content.decode()
    assert "was sent" in answer.content.decode()
    assert [text["body"] for text in sms.outbox] == [
        f"{world.medspa.display_name}: Avoid blood thinners\n\nHi Dana, no aspirin for a week."
    ]
    client.post(reverse("providers:notification_resend", args=[paperwork.pk]))
    assert len(sms.outbox) == 2 and "book/paperwork/" in sms.outbox[1]["body"]
    assert log_of(appointment)[(f"care-{message.pk}", "sms")] == (SENT, "")
    assert log_of(appointment)[("paperwork", "sms")] == (SENT, "")


def test_send_again_skips_a_paperwork_reminder_whose_paperwork_is_done(world):
    version = intake_form(world)
    appointment = book(world, at())
    assert pre_visit.paperwork_reminders_sweep(now=appointment.start - timedelta(hours=47)) == 1
    row = _failed(appointment, "paperwork")
    clear_outboxes()
    with medspa_scope(world.medspa):
        IntakeResponseFactory(medspa=world.medspa, appointment=appointment, version=version)
        assert notifications.notification_resend(log=row) is False
    assert log_of(appointment)[("paperwork", "sms")] == (SKIPPED, "forms and consents already complete")
    assert sms.outbox == []


def test_the_appointments_log_names_the_new_kinds_in_words(world):
    intake_form(world)
    care_message(world)
    appointment = book(world, at())
    notify(appointment, "confirmation", now=NOW)
    pre_visit.paperwork_reminders_sweep(now=appointment.start - timedelta(hours=47))
    with medspa_scope(world.medspa):
        html = render_to_string("scheduling/_notification_log.html", {"appointment": appointment})
    assert "Pre-visit care: Avoid blood thinners" in html
    assert "Paperwork reminder" in html and "Booking confirmation" in html


# --- Settings and the schedule ------------------------------------------------------------------------------


def test_the_settings_page_saves_the_before_the_visit_settings(world, client_as):
    client = client_as("admin_a")
    page = client.get(reverse("scheduling:notification_settings")).content.decode()
    assert "Paperwork reminder (hours before)" in page and "Pre-visit care messages" in page
    response = client.post(
        reverse("scheduling:notification_settings"),
        form_data(paperwork_reminder="on", paperwork_reminder_hours="24"),
    )
    assert response.status_code == 302
    with medspa_scope(world.medspa):
        saved = NotificationSettings.objects.get(medspa=world.medspa)
    assert (saved.paperwork_reminder, saved.paperwork_reminder_hours, saved.pre_visit_care) == (
        True,
        24,
        False,
    )


@pytest.mark.parametrize(
    ("hours", "error"),
    [
        ("0", "from 1 to 336"),
        ("400", "from 1 to 336"),
        ("\u00b2", "not a whole number"),
        ("", "Give the hours"),
    ],
)
def test_a_bad_paperwork_lead_time_is_a_field_error(world, client_as, hours, error):
    response = client_as("admin_a").post(
        reverse("scheduling:notification_settings"),
        form_data(paperwork_reminder="on", paperwork_reminder_hours=hours, pre_visit_care="on"),
    )
    assert response.status_code == 400
    assert error in " ".join(response.context["form"].errors["paperwork_reminder_hours"])
    with medspa_scope(world.medspa):
        saved = NotificationSettings.objects.get(medspa=world.medspa)
    assert saved.paperwork_reminder_hours == 48


def test_celery_beat_runs_both_sweeps_every_few_minutes():
    beats = {entry["task"]: entry["schedule"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert beats["scheduling.tasks.paperwork_reminders_sweep"] <= 300
    assert beats["scheduling.tasks.pre_visit_care_sweep"] <= 300


def test_nothing_goes_before_the_visit_once_it_has_started(world):
    intake_form(world)
    message = care_message(world, "Arrive without makeup", lead_hours=24)
    appointment = book(world, at())
    late = appointment.start + timedelta(minutes=5)
    notify(appointment, "paperwork", now=late)
    notify(appointment, f"care-{message.pk}", now=late)
    assert set(log_of(appointment).values()) == {(SKIPPED, "the appointment had already started")}
    assert len(log_of(appointment)) == 4 and mail.outbox == [] and sms.outbox == []


def test_the_sweeps_read_in_a_fixed_number_of_queries(world):
    from django.test.utils import CaptureQueriesContext

    intake_form(world)
    care_message(world, "Arrive without makeup", lead_hours=24)
    book(world, at(10))
    moment = at(14) - timedelta(hours=24)  # every care message of 10:00 to 13:00 has come due

    def queries(sweep) -> tuple[int, int]:
        queued = []
        with CaptureQueriesContext(connection) as captured:
            sweep(now=moment, enqueue=lambda *task: queued.append(task))
        return len(captured), len(queued)

    one = (queries(pre_visit.paperwork_reminders_sweep), queries(pre_visit.pre_visit_care_sweep))
    for hour in (11, 12, 13):
        book(world, at(hour))
    four = (queries(pre_visit.paperwork_reminders_sweep), queries(pre_visit.pre_visit_care_sweep))
    assert [count for count, _ in four] == [count for count, _ in one]
    assert [queued for _, queued in one] == [1, 1] and [queued for _, queued in four] == [4, 4]
