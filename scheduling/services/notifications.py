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

Reminders are found by `reminders_sweep` (Celery beat, every few minutes), not by long-delayed tasks; so are
the paperwork reminder and the pre-visit care messages with a lead time (scheduling.services.pre_visit). A
pre-visit care message that goes with the confirmation is decided in the confirmation's own run, in the same
transaction as the confirmation's rows: one row per (appointment, "care-<id>", channel), as any other kind."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_scopes import scopes_disabled

from medspa import once
from medspa.messaging import opt_out, sms
from medspa.models.messages import receipt_fields
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, NotificationLog, NotificationSettings
from scheduling.selectors import pre_visit
from scheduling.selectors.notification_texts import (
    BEFORE_THE_VISIT,
    CARE,
    CHANNELS,
    CONFIRMATION,
    EMAIL,
    KIND_STATUSES,
    KIND_SWITCHES,
    PAPERWORK,
    REMINDER_STATUSES,
    RESCHEDULE,
    appointment_context,
    appointment_place,
    care_kind,
    care_message_id,
    compose,
    reminder_hours_clean,
    reminder_kind,
    subject_line,
    template_for,
    template_kind,
)
from scheduling.selectors.paperwork import appointment_paperwork
from scheduling.services.notification_settings import notification_settings_get
from services_catalog.models import CareMessageVersion

logger = logging.getLogger(__name__)

# --- Sending ------------------------------------------------------------------------------------------------


def _skip_reason(
    *, settings_obj: NotificationSettings, appointment: Appointment, base: str, channel: str, now: datetime
) -> str:
    """Why this channel's notification is not sent, or "" when it is."""
    switch, plural = KIND_SWITCHES[base]
    if not getattr(settings_obj, switch):
        return f"{plural} turned off for this medspa"
    if base in BEFORE_THE_VISIT and appointment.start <= now:
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


def appointment_notify(
    *, appointment_id: int, kind: str, stands_at: str = "", now: datetime | None = None
) -> None:
    """Sends the patient the `kind` notification of an appointment ("confirmation", "reschedule",
    "cancellation", "no-show", "reminder-<N>h", "paperwork", "care-<care message id>") by email and SMS,
    each at most once, ever. A confirmation or reschedule notice brings along the pre-visit care messages
    then due (scheduling.selectors.pre_visit), each decided in the same transaction.

    Run it in the appointment's medspa scope and outside any transaction (as the Celery task does): the
    decision rows must be committed before anything is sent. Calling it again, from a retry or a racing
    worker, sends nothing more.

    A reschedule notice names where the move left the appointment (`stands_at`, appointment_place): it is
    not sent when the appointment has moved since (a later move's notice tells the patient), nor when it
    stands again where the patient was last told (a move undone before its notice went)."""
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
    if base == RESCHEDULE and _reschedule_stale(appointment, stands_at):
        return
    settings_obj = notification_settings_get(medspa_id=appointment.medspa_id)
    decisions = _decisions(appointment, kind, settings_obj=settings_obj, now=now)

    claimed: list[NotificationLog] = []
    queued = NOTIFICATIONS.queued(now)
    with transaction.atomic():
        for logged_as, row_base, version, done in decisions:
            for channel in CHANNELS:
                reason = done or _skip_reason(
                    settings_obj=settings_obj,
                    appointment=appointment,
                    base=row_base,
                    channel=channel,
                    now=now,
                )
                row, created = NotificationLog.objects.get_or_create(
                    appointment=appointment,
                    kind=logged_as,
                    channel=channel,
                    defaults={
                        "medspa_id": appointment.medspa_id,
                        "status": NotificationLog.Status.SKIPPED
                        if reason
                        else NotificationLog.Status.PENDING,
                        "detail": reason,
                        "care_version": version,
                        **({} if reason else queued),
                    },
                )
                if created and not reason:
                    claimed.append(row)
    for row in claimed:
        _deliver(row, appointment, now=now)


def _reschedule_stale(appointment: Appointment, stands_at: str) -> bool:
    """The reschedule notice would tell nothing true or new: the appointment no longer stands at
    `stands_at`, or the patient's last word about it (sent, or on its way) is the confirmation and the
    appointment stands again where it was booked. (Standing again at the time of the last reschedule notice
    is already that notice's row: `log_kind` names the time, and a row is sent once.)"""
    if stands_at and appointment_place(appointment) != stands_at:
        return True
    last = (
        NotificationLog.objects.filter(appointment=appointment, status__in=TOLD)
        .filter(Q(kind=CONFIRMATION) | Q(kind__startswith=f"{RESCHEDULE}-"))
        .order_by("-created_at", "-pk")
        .values_list("kind", flat=True)
        .first()
    )
    if last != CONFIRMATION:
        return False
    booked = (
        Appointment.pgh_event_model.objects.filter(pgh_obj_id=appointment.pk, pgh_label="insert")
        .values("start", "provider_id")
        .first()
    )
    return booked == {"start": appointment.start, "provider_id": appointment.provider_id}


# A message the patient has had, or that is on its way.
TOLD = (NotificationLog.Status.PENDING, NotificationLog.Status.SENT)


def _decisions(
    appointment: Appointment, kind: str, *, settings_obj: NotificationSettings, now: datetime
) -> list[tuple[str, str, CareMessageVersion | None, str]]:
    """What this run decides: (kind as logged, its template kind, the care message version it sends, and a
    reason not to send that holds for every channel). Empty when the kind is not due (any more): a lead
    time whose moment an appointment moved later has not come, and the sweep sends it then."""
    base = template_kind(kind)
    if base == CARE:
        message = next(
            (m for m in _pre_visit_messages(appointment) if m.pk == care_message_id(kind)), None
        )  # gone from the service since: stale
        if message is None or message.current_version is None:
            return []
        if not pre_visit.care_due_with_notice(appointment, message, now=now):
            return []
        return [(kind, CARE, message.current_version, "")]
    if base == PAPERWORK:
        if now < appointment.start - timedelta(hours=settings_obj.paperwork_reminder_hours):
            return []
        return [(kind, PAPERWORK, None, paperwork_done(appointment))]
    decisions = [(log_kind(appointment, kind), base, None, "")]
    if base in (CONFIRMATION, RESCHEDULE) and settings_obj.pre_visit_care:
        decisions += [
            (care_kind(message.pk), CARE, message.current_version, "")
            for message in _pre_visit_messages(appointment)
            if message.current_version is not None
            and pre_visit.care_due_with_notice(appointment, message, now=now)
        ]
    return decisions


def _pre_visit_messages(appointment: Appointment):
    service_id = appointment.appointment_type.service_id
    return pre_visit.pre_visit_care_messages([service_id]).get(service_id, [])


def paperwork_done(appointment: Appointment) -> str:
    """Why a paperwork reminder is not sent: its forms and consents are done (or there are none); else ""."""
    paperwork = appointment_paperwork(appointment)
    if not paperwork.needed:
        return "no forms or consents for this appointment"
    return "forms and consents already complete" if paperwork.complete else ""


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
    if reason := _no_longer_due(row, appointment):
        # Checked again as it goes: a paperwork reminder whose forms were done while it waited for a retry,
        # a message before the visit of an appointment cancelled since, is not sent.
        NotificationLog.objects.filter(pk=row.pk, status=NotificationLog.Status.PENDING).update(
            status=NotificationLog.Status.SKIPPED,
            detail=reason,
            next_attempt_at=None,
            updated_at=now or timezone.now(),
        )
        return ""
    return _deliver(row, appointment, now=now)


def _no_longer_due(row: NotificationLog, appointment: Appointment) -> str:
    """Why a pending message before the visit is not sent after all; "" when it still goes."""
    base = _row_base(row)
    if base not in BEFORE_THE_VISIT:
        return ""
    if appointment.status not in KIND_STATUSES[base]:
        return f"the appointment is {appointment.get_status_display().lower()}"
    return paperwork_done(appointment) if base == PAPERWORK else ""


def _row_base(row: NotificationLog) -> str:
    return RESCHEDULE if row.kind.startswith(f"{RESCHEDULE}-") else template_kind(row.kind)


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
        reason = _no_longer_due(row, appointment) or _skip_reason(
            settings_obj=settings_obj,
            appointment=appointment,
            base=_row_base(row),
            channel=row.channel,
            now=now,
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
    context = appointment_context(appointment)
    if row.care_version_id is not None:
        subject, email, text = _care_texts(row, appointment, context)
    else:
        kind = row.kind if not row.kind.startswith(f"{RESCHEDULE}-") else RESCHEDULE
        texts = template_for(notification_settings_get(medspa_id=appointment.medspa_id), kind)
        subject = subject_line(texts, context)
        email, text = compose(texts["email"], context), compose(texts["sms"], context)
    if row.channel == EMAIL:
        message = EmailMessage(subject=subject, body=email, to=[appointment.patient.email.strip()])
        send = message.send
    else:
        phone, body = appointment.patient.phone.strip(), text

        def send() -> str:
            return sms.send_text(row, medspa=appointment.medspa, to=phone, body=body)

    return once.deliver_once(
        NotificationLog.objects.filter(pk=row.pk), NOTIFICATIONS, send, now=now, durable=durable
    )


# Twilio refuses a body over 1,600 characters (ten segments); a longer care message's text is cut at a word.
SMS_BODY_MAX = 1600


def _care_texts(
    row: NotificationLog, appointment: Appointment, context: dict[str, str]
) -> tuple[str, str, str]:
    """A pre-visit care message's subject, email and SMS: the text of the version decided when the row was
    written, with the appointment's placeholders filled (the care message editor offers {patient_first_name}
    and {medspa_name}; an unknown one stays as written)."""
    version = CareMessageVersion.objects.select_related("care_message").get(pk=row.care_version_id)
    title, sender = version.care_message.title, appointment.medspa.display_name
    subject = " ".join(f"Before your {appointment.appointment_type.name} at {sender}: {title}".split())[:200]
    text = compose(version.text, context)
    sms_body = f"{sender}: {title}\n\n{text}"
    if len(sms_body) > SMS_BODY_MAX:
        sms_body = sms_body[: SMS_BODY_MAX - 1].rsplit(maxsplit=1)[0] + "…"
    return subject, text, sms_body


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
        due = undecided(due, kind__startswith="reminder-")
    return notify_each(due, now=now, enqueue=enqueue)


def undecided(due: list[tuple[int, int, str]], **kinds) -> list[tuple[int, int, str]]:
    """The (appointment id, medspa id, kind) messages of `due` that have no row yet, whatever its status: one
    query (the sweeps' way of leaving out what was already decided). `kinds` narrows the rows looked at."""
    if not due:
        return []
    decided = set(
        NotificationLog.objects.filter(appointment_id__in={pk for pk, _, _ in due}, **kinds).values_list(
            "appointment_id", "kind"
        )
    )
    return [(pk, medspa_id, kind) for pk, medspa_id, kind in due if (pk, kind) not in decided]


def notify_each(
    due: list[tuple[int, int, str]], *, now: datetime, enqueue: Callable[[int, int, str], None] | None
) -> int:
    """Hands each message of a sweep to `enqueue(appointment_id, medspa_id, kind)` (one task each) or, without
    it, sends it here in its medspa's scope; returns how many it attempted."""
    for pk, medspa_id, kind in due:
        try:
            if enqueue is not None:
                enqueue(pk, medspa_id, kind)
                continue
            with medspa_scope(medspa_id):
                appointment_notify(appointment_id=pk, kind=kind, now=now)
        except SoftTimeLimitExceeded:  # the sweep's time is up: the rest stay due, for the next sweep
            raise
        except Exception:  # one appointment's trouble must not hold up everyone else's messages
            logger.exception("Message %s of appointment %s failed", kind, pk)
    return len(due)
