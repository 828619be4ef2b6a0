"""Patient appointment notifications: confirmation, reminders, reschedule, cancellation and no-show follow-up,
by email and SMS, each sent at most once.

Delivered at least once, recorded once, per (appointment, kind, channel): `appointment_notify` decides for
each channel (send, or skip and why) and writes that decision as a NotificationLog row in one transaction.
The row is unique on (appointment, kind, channel), and it is created with `get_or_create`: of two workers
(or a task and its retry) that reach the same notification, the second one's INSERT waits on the unique
index until the first commits, fails, and finds the row, so only the worker that created the row sends.
Each pending row is then sent by `notification_deliver` (medspa.once.deliver_once): locked while the
message goes, marked sent in the same transaction. A worker killed mid-send leaves the row pending, and a
failed send is recorded; `notifications_sweep` (Celery beat, every minute) queues one task per row whose
lease ran out or whose retry is due, until the row is sent or, after the last attempt, failed.

Reminders are found by `reminders_sweep` (Celery beat, every few minutes), not by long-delayed tasks."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from medspa import once
from medspa.messaging import opt_out, sms
from medspa.models.messages import receipt_fields
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, NotificationLog, NotificationSettings
from scheduling.selectors.notification_texts import (
    CHANNELS,
    EMAIL,
    KIND_STATUSES,
    KIND_SWITCHES,
    REMINDER,
    REMINDER_STATUSES,
    RESCHEDULE,
    appointment_context,
    reminder_hours_clean,
    reminder_kind,
    render,
    subject_line,
    template_for,
    template_kind,
)
from scheduling.services.notification_settings import notification_settings_get

logger = logging.getLogger(__name__)

# --- Sending ------------------------------------------------------------------------------------------------


def _skip_reason(
    *, settings_obj: NotificationSettings, appointment: Appointment, base: str, channel: str, now: datetime
) -> str:
    """Why this channel's notification is not sent, or "" when it is."""
    switch, plural = KIND_SWITCHES[base]
    if not getattr(settings_obj, switch):
        return f"{plural} turned off for this medspa"
    if base == REMINDER and appointment.start <= now:
        return "the appointment had already started"
    patient = appointment.patient
    if channel == EMAIL:
        if not settings_obj.email_enabled:
            return "email turned off for this medspa"
        if not patient.consent_email:
            return "patient opted out of email"
        if not patient.email.strip():
            return "no email on file"
    else:
        if not settings_obj.sms_enabled:
            return "SMS turned off for this medspa"
        if refusal := opt_out.patient_sms_refusal(patient):
            return refusal
        if not patient.phone.strip():
            return "no mobile number on file"
    return ""


def log_kind(appointment: Appointment, kind: str) -> str:
    """The kind as logged: a reschedule names the new time (UTC), so that each move notifies once."""
    if template_kind(kind) == RESCHEDULE:
        return f"{RESCHEDULE}-{appointment.start.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
    return kind


def appointment_notify(*, appointment_id: int, kind: str, now: datetime | None = None) -> None:
    """Sends the patient the `kind` notification of an appointment ("confirmation", "reschedule",
    "cancellation", "no-show", "reminder-<N>h") by email and SMS, each at most once, ever.

    Run it in the appointment's medspa scope and outside any transaction (as the Celery task does): the
    decision rows must be committed before anything is sent. Calling it again, from a retry or a racing
    worker, sends nothing more."""
    now = now or timezone.now()
    base = template_kind(kind)
    appointment = (
        Appointment.objects.select_related(
            "medspa", "location", "patient", "appointment_type", "provider__user"
        )
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None or appointment.status not in KIND_STATUSES[base]:
        return  # gone, or stale: e.g. a reminder of an appointment cancelled since
    settings_obj = notification_settings_get(medspa_id=appointment.medspa_id)
    logged_as = log_kind(appointment, kind)

    claimed: list[NotificationLog] = []
    queued = NOTIFICATIONS.queued(now)
    with transaction.atomic():
        for channel in CHANNELS:
            reason = _skip_reason(
                settings_obj=settings_obj, appointment=appointment, base=base, channel=channel, now=now
            )
            row, created = NotificationLog.objects.get_or_create(
                appointment=appointment,
                kind=logged_as,
                channel=channel,
                defaults={
                    "medspa_id": appointment.medspa_id,
                    "status": NotificationLog.Status.SKIPPED if reason else NotificationLog.Status.PENDING,
                    "detail": reason,
                    **({} if reason else queued),
                },
            )
            if created and not reason:
                claimed.append(row)
    for row in claimed:
        _deliver(row, appointment, now=now)


# Where a NotificationLog row keeps its message (medspa.once): owed while pending.
NOTIFICATIONS = once.Outbox(
    owed={"status": NotificationLog.Status.PENDING},
    sent=lambda now: {"status": NotificationLog.Status.SENT, "detail": "", "updated_at": now},
    given_up={"status": NotificationLog.Status.FAILED},
    receipt=receipt_fields,
)


def notification_deliver(*, log_id: int, now: datetime | None = None) -> str:
    """Sends one pending notification (a row the sweep found, or a retry), marking it sent once; returns
    medspa.once's outcome. Run it in the row's medspa scope and outside any transaction."""
    row = NotificationLog.objects.filter(pk=log_id, status=NotificationLog.Status.PENDING).first()
    if row is None:
        return ""
    appointment = Appointment.objects.select_related(
        "medspa", "location", "patient", "appointment_type", "provider__user"
    ).get(pk=row.appointment_id)
    return _deliver(row, appointment, now=now)


def notification_resend(*, log: NotificationLog) -> bool:
    """Sends a failed notification again, by hand from the To-Do ("Send again"): claimed first, so two
    clicks send once, and skipped if the patient has opted out of that channel since (or the medspa turned
    it off). True when it went. Run it outside any transaction (the view is not atomic)."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            NotificationLog.objects.select_for_update()
            .filter(pk=log.pk, status=NotificationLog.Status.FAILED)
            .first()
        )
        if row is None:
            return False
        appointment = Appointment.objects.select_related(
            "medspa", "location", "patient", "appointment_type", "provider__user"
        ).get(pk=row.appointment_id)
        settings_obj = notification_settings_get(medspa_id=appointment.medspa_id)
        base = RESCHEDULE if row.kind.startswith(f"{RESCHEDULE}-") else template_kind(row.kind)
        reason = _skip_reason(
            settings_obj=settings_obj, appointment=appointment, base=base, channel=row.channel, now=now
        )
        row.status = NotificationLog.Status.SKIPPED if reason else NotificationLog.Status.PENDING
        row.detail = reason
        row.next_attempt_at = None if reason else NOTIFICATIONS.queued(now)[NOTIFICATIONS.next_attempt_at]
        row.save(update_fields=["status", "detail", "next_attempt_at", "updated_at"])
    if reason:
        return False
    return _deliver(row, appointment, now=now, durable=False) == once.SENT


def _deliver(
    row: NotificationLog, appointment: Appointment, *, now: datetime | None, durable: bool = True
) -> str:
    kind = row.kind if not row.kind.startswith(f"{RESCHEDULE}-") else RESCHEDULE
    texts = template_for(notification_settings_get(medspa_id=appointment.medspa_id), kind)
    context = appointment_context(appointment)
    if row.channel == EMAIL:
        message = EmailMessage(
            subject=subject_line(texts, context),
            body=render(texts["email"], context),
            to=[appointment.patient.email.strip()],
        )
        send = message.send
    else:
        phone, body = appointment.patient.phone.strip(), render(texts["sms"], context)

        def send() -> str:
            return sms.send_text(row, medspa=appointment.medspa, to=phone, body=body)

    return once.deliver_once(
        NotificationLog.objects.filter(pk=row.pk), NOTIFICATIONS, send, now=now, durable=durable
    )


def notifications_sweep(*, now: datetime | None = None) -> list[tuple[int, int]]:
    """The (row id, medspa id) of every pending notification whose lease ran out or whose retry is due,
    across every medspa: the caller queues one task each."""
    with scopes_disabled():
        return once.owed_sweep(NotificationLog.objects.all(), NOTIFICATIONS, now=now)


# --- Reminders ----------------------------------------------------------------------------------------------


def reminders_sweep(
    *, now: datetime | None = None, enqueue: Callable[[int, int, str], None] | None = None
) -> int:
    """Sends the reminders that have come due, across every medspa (Celery beat, every few minutes):
    `enqueue(appointment_id, medspa_id, kind)` queues one task per reminder (the Celery task's way), or,
    without it, each is sent here in turn.

    A reminder N hours before is due when start - N h <= now < start, for a booked or confirmed appointment
    made before start - N h (a booking made an hour ahead gets no "48 h" reminder), if the medspa sends
    reminders. One query finds the candidates (appointments starting within the longest lead time), one more
    drops those already decided; appointment_notify does the rest, once. Returns how many it attempted."""
    now = now or timezone.now()
    default_hours = reminder_hours_clean(NotificationSettings._meta.get_field("reminder_hours").get_default())
    with scopes_disabled():
        configured = {
            row.medspa_id: (row.reminders, reminder_hours_clean(row.reminder_hours))
            for row in NotificationSettings.objects.only("medspa_id", "reminders", "reminder_hours")
        }
        leads = [*default_hours, *(hour for on, hours in configured.values() if on for hour in hours)]
        if not leads:
            return 0
        candidates = Appointment.objects.filter(
            status__in=REMINDER_STATUSES, start__gt=now, start__lte=now + timedelta(hours=max(leads))
        ).values_list("pk", "medspa_id", "start", "created_at")
        due = []
        for pk, medspa_id, start, created_at in candidates:
            reminders_on, hours = configured.get(medspa_id, (True, default_hours))
            for hour in hours if reminders_on else []:
                at = start - timedelta(hours=hour)
                if at <= now < start and created_at < at:
                    due.append((pk, medspa_id, reminder_kind(hour)))
        if not due:
            return 0
        decided = set(
            NotificationLog.objects.filter(
                appointment_id__in={pk for pk, _, _ in due}, kind__startswith="reminder-"
            ).values_list("appointment_id", "kind")
        )

    attempted = 0
    for pk, medspa_id, kind in due:
        if (pk, kind) in decided:
            continue
        attempted += 1
        try:
            if enqueue is not None:
                enqueue(pk, medspa_id, kind)
                continue
            with medspa_scope(medspa_id):
                appointment_notify(appointment_id=pk, kind=kind, now=now)
        except Exception:  # one appointment's trouble must not hold up everyone else's reminders
            logger.exception("Reminder %s of appointment %s failed", kind, pk)
    return attempted
