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
import re
import string
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from medspa import once
from medspa.messaging import sms
from medspa.tenancy import medspa_scope
from scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Location,
    NotificationLog,
    NotificationSettings,
)

logger = logging.getLogger(__name__)

EMAIL, SMS = "email", "sms"
CHANNELS = (EMAIL, SMS)

CONFIRMATION, REMINDER, RESCHEDULE, CANCELLATION, NO_SHOW = (
    "confirmation",
    "reminder",
    "reschedule",
    "cancellation",
    "no-show",
)
# The kinds whose texts a medspa can edit (every reminder lead time shares the one reminder text).
TEMPLATE_KINDS = [CONFIRMATION, REMINDER, RESCHEDULE, CANCELLATION, NO_SHOW]
KIND_LABELS = {
    CONFIRMATION: "Booking confirmation",
    REMINDER: "Reminder",
    RESCHEDULE: "Rescheduled",
    CANCELLATION: "Cancellation",
    NO_SHOW: "No-show follow-up",
}
# The NotificationSettings switch of each kind, and how a skipped row names it.
KIND_SWITCHES = {
    CONFIRMATION: ("confirmation", "confirmations"),
    REMINDER: ("reminders", "reminders"),
    RESCHEDULE: ("reschedule", "reschedule notices"),
    CANCELLATION: ("cancellation", "cancellation notices"),
    NO_SHOW: ("no_show_follow_up", "no-show follow-ups"),
}
# When the task runs, the appointment must still be in a state the kind is about; otherwise it is stale
# (a reminder of an appointment cancelled meanwhile, a confirmation of one already cancelled) and nothing
# is sent or logged.
KIND_STATUSES = {
    CONFIRMATION: {AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED},
    REMINDER: {AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED},
    RESCHEDULE: {AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED},
    CANCELLATION: {AppointmentStatus.CANCELLED},
    NO_SHOW: {AppointmentStatus.NO_SHOW},
}
REMINDER_STATUSES = [AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED]
_REMINDER_KIND = re.compile(r"^reminder-([1-9]\d{0,2})h$")
MAX_REMINDER_HOURS = 168
MAX_REMINDERS = 4

PLACEHOLDERS = (
    "patient_first_name",
    "medspa_name",
    "location_name",
    "appointment_type",
    "date",
    "time",
    "provider_name",
    "manage_link",
)

_SIGN_OFF = "See you soon,\n{medspa_name}"
_MANAGE = "Need to change or cancel? {manage_link}"
DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    CONFIRMATION: {
        "subject": "You're booked: {appointment_type} on {date}",
        "email": (
            "Hi {patient_first_name},\n\n"
            "You're booked for {appointment_type} with {provider_name} on {date} at {time}, "
            "at {location_name}.\n\n" + _MANAGE + "\n\n" + _SIGN_OFF
        ),
        "sms": (
            "{medspa_name}: you're booked for {appointment_type} on {date} at {time} at {location_name}. "
            "Manage: {manage_link} Reply STOP to opt out."
        ),
    },
    REMINDER: {
        "subject": "Reminder: {appointment_type} on {date} at {time}",
        "email": (
            "Hi {patient_first_name},\n\n"
            "A friendly reminder of your {appointment_type} with {provider_name} on {date} at {time}, "
            "at {location_name}.\n\n" + _MANAGE + "\n\n" + _SIGN_OFF
        ),
        "sms": (
            "{medspa_name} reminder: {appointment_type} on {date} at {time} at {location_name}. "
            "Manage: {manage_link}"
        ),
    },
    RESCHEDULE: {
        "subject": "Your appointment has moved to {date} at {time}",
        "email": (
            "Hi {patient_first_name},\n\n"
            "Your {appointment_type} with {provider_name} is now on {date} at {time}, "
            "at {location_name}.\n\n" + _MANAGE + "\n\n" + _SIGN_OFF
        ),
        "sms": (
            "{medspa_name}: your {appointment_type} is now on {date} at {time} at {location_name}. "
            "Manage: {manage_link}"
        ),
    },
    CANCELLATION: {
        "subject": "Your {appointment_type} on {date} is cancelled",
        "email": (
            "Hi {patient_first_name},\n\n"
            "Your {appointment_type} on {date} at {time} at {location_name} has been cancelled.\n\n"
            "If that's a surprise, or you'd like another time, just get in touch: we'd love to see you.\n\n"
            "{medspa_name}"
        ),
        "sms": (
            "{medspa_name}: your {appointment_type} on {date} at {time} is cancelled. "
            "Get in touch any time to book again."
        ),
    },
    NO_SHOW: {
        "subject": "We missed you today",
        "email": (
            "Hi {patient_first_name},\n\n"
            "We missed you at your {appointment_type} on {date} at {time}. We hope all is well.\n\n"
            "Whenever you're ready, get in touch and we'll find you another time.\n\n{medspa_name}"
        ),
        "sms": (
            "{medspa_name}: we missed you at your {appointment_type} today. "
            "We hope all is well: get in touch to find another time."
        ),
    },
}
TEMPLATE_PARTS = ("subject", "email", "sms")


class UnknownKind(ValueError):
    """A notification kind this module does not know."""


def reminder_kind(hours: int) -> str:
    return f"reminder-{hours}h"


def template_kind(kind: str) -> str:
    """The kind whose text `kind` uses: "reminder-48h" → "reminder"; raises UnknownKind for nonsense."""
    if kind in KIND_STATUSES:
        return kind
    if _REMINDER_KIND.match(kind):
        return REMINDER
    raise UnknownKind(f"Unknown notification kind {kind!r}.")


def reminder_hours_clean(value) -> list[int]:
    """The whole, distinct lead times (1–168 h) of a stored `reminder_hours`, longest first; junk dropped."""
    hours = set()
    for item in value if isinstance(value, list | tuple) else []:
        if isinstance(item, int) and not isinstance(item, bool) and 1 <= item <= MAX_REMINDER_HOURS:
            hours.add(item)
    return sorted(hours, reverse=True)[:MAX_REMINDERS]


def notification_settings_get(*, medspa_id: int) -> NotificationSettings:
    """The medspa's notification settings, made with the defaults the first time they are asked for."""
    settings_obj, _ = NotificationSettings.objects.select_related("medspa").get_or_create(medspa_id=medspa_id)
    return settings_obj


@transaction.atomic
def notification_settings_save(*, settings_obj: NotificationSettings, data: dict) -> NotificationSettings:
    """Saves switches, lead times and texts. `data` holds the model's switches, `reminder_hours` (a list of
    whole hours) and `templates` ({kind: {"subject", "email", "sms"}}); a text equal to the default (or
    empty) is not stored, so that it follows later improvements of the default."""
    switches = ["email_enabled", "sms_enabled"] + [field for field, _ in KIND_SWITCHES.values()]
    for name in switches:
        if name in data:
            setattr(settings_obj, name, bool(data[name]))
    if "reminder_hours" in data:
        settings_obj.reminder_hours = reminder_hours_clean(list(data["reminder_hours"]))
    if "templates" in data:
        overrides: dict[str, dict[str, str]] = {}
        for kind, parts in data["templates"].items():
            if kind not in DEFAULT_TEMPLATES:
                continue
            kept = {}
            for part in TEMPLATE_PARTS:
                text = _normalise(parts.get(part, ""))
                if text and text != DEFAULT_TEMPLATES[kind][part]:
                    kept[part] = text
            if kept:
                overrides[kind] = kept
        settings_obj.templates = overrides
    settings_obj.save()
    return settings_obj


def _normalise(text: str) -> str:
    return (text or "").replace("\r\n", "\n").strip()


def template_for(settings_obj: NotificationSettings, kind: str) -> dict[str, str]:
    """The subject, email and SMS texts of `kind`: the medspa's own where it has them (for the exact kind,
    e.g. "reminder-2h", then its template kind), the defaults otherwise."""
    base = template_kind(kind)
    stored = settings_obj.templates if isinstance(settings_obj.templates, dict) else {}
    texts = dict(DEFAULT_TEMPLATES[base])
    for key in (base, kind):
        override = stored.get(key)
        if isinstance(override, dict):
            texts.update({part: override[part] for part in TEMPLATE_PARTS if _is_text(override.get(part))})
    return texts


def _is_text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


# --- Rendering ----------------------------------------------------------------------------------------------


class _Literal(dict):
    """format_map's mapping: an unknown {name} stays in the text as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


_SIMPLE_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def render(text: str, context: dict[str, str]) -> str:
    """Fills the {placeholders} of `text` with `str.format_map`. Never fails: an unknown placeholder stays as
    written, and anything format_map would refuse or misread (a stray brace, {0}, {date.year}, {time:>9})
    is left as written too, only the known simple {name}s being filled."""
    values = _Literal({name: str(value) for name, value in context.items()})
    if _plain_fields_only(text):
        return text.format_map(values)
    return _SIMPLE_FIELD.sub(lambda match: values[match.group(1)], text)


def _plain_fields_only(text: str) -> bool:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:  # a single { or }
        return False
    return all(
        field is None or (field.isidentifier() and not conversion and not spec)
        for _, field, spec, conversion in parsed
    )


def template_problems(text: str) -> list[str]:
    """What is wrong with a text an admin typed: unknown placeholders, stray braces. Empty when fine."""
    problems = []
    unknown = sorted({name for name in _SIMPLE_FIELD.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        problems.append(
            f"Unknown placeholder{'s' if len(unknown) > 1 else ''} "
            + ", ".join("{" + name + "}" for name in unknown)
            + " would be sent as written."
        )
    if not _plain_fields_only(text):
        problems.append(
            "Use placeholders exactly as listed, like {date}; write {{ or }} for a brace of its own."
        )
    return problems


def format_date(moment: datetime) -> str:
    return f"{moment:%A, %B} {moment.day}"


def format_time(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'} {moment.tzname()}"


def manage_link(appointment: Appointment) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("booking_manage", args=[appointment.manage_token])


def appointment_context(appointment: Appointment) -> dict[str, str]:
    """The placeholders' values for `appointment`, date and time in its location's time zone."""
    local = appointment.local_start
    return {
        "patient_first_name": appointment.patient.first_name,
        "medspa_name": appointment.medspa.display_name,
        "location_name": appointment.location.name,
        "appointment_type": appointment.appointment_type.name,
        "date": format_date(local),
        "time": format_time(local),
        "provider_name": appointment.provider.user.get_full_name(),
        "manage_link": manage_link(appointment),
    }


def _sample_context(settings_obj: NotificationSettings) -> dict[str, str]:
    """A realistic appointment for previews: the medspa's own location and appointment type where it has
    them, next Tuesday at 10:30 in that location's time zone."""
    medspa = settings_obj.medspa
    with medspa_scope(medspa.pk):
        location = Location.objects.filter(is_active=True).order_by("name").first()
        appointment_type = AppointmentType.objects.filter(is_active=True).order_by("name").first()
    tz = location.tz if location else timezone.get_default_timezone()
    today = timezone.now().astimezone(tz).date()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    moment = datetime.combine(tuesday, time(10, 30), tzinfo=tz)
    return {
        "patient_first_name": "Alex",
        "medspa_name": medspa.display_name,
        "location_name": location.name if location else "Main Street",
        "appointment_type": appointment_type.name if appointment_type else "Neurotoxin",
        "date": format_date(moment),
        "time": format_time(moment),
        "provider_name": "Jordan Rivera",
        "manage_link": f"{settings.SITE_URL.rstrip('/')}/book/manage/sample-link/",
    }


def _subject(texts: dict[str, str], context: dict[str, str]) -> str:
    return " ".join(render(texts["subject"], context).split())[:200]


def notification_preview(*, settings_obj: NotificationSettings, kind: str, channel: str) -> str:
    """What a patient would get for `kind` by `channel` ("email": the subject line then the body; "sms";
    "subject"), with the settings' texts (saved or not) and a sample appointment."""
    texts = template_for(settings_obj, kind)
    context = _sample_context(settings_obj)
    if channel == "subject":
        return _subject(texts, context)
    if channel == EMAIL:
        return f"Subject: {_subject(texts, context)}\n\n{render(texts['email'], context)}"
    if channel == SMS:
        return render(texts["sms"], context)
    raise ValueError(f"Unknown channel {channel!r}.")


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
        if not patient.consent_sms:
            return "patient opted out of SMS"
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


def _deliver(row: NotificationLog, appointment: Appointment, *, now: datetime | None) -> str:
    kind = row.kind if not row.kind.startswith(f"{RESCHEDULE}-") else RESCHEDULE
    texts = template_for(notification_settings_get(medspa_id=appointment.medspa_id), kind)
    context = appointment_context(appointment)
    if row.channel == EMAIL:
        message = EmailMessage(
            subject=_subject(texts, context),
            body=render(texts["email"], context),
            to=[appointment.patient.email.strip()],
        )
        send = message.send
    else:
        phone, body = appointment.patient.phone.strip(), render(texts["sms"], context)

        def send() -> None:
            sms.get_sms_backend().send(phone, body)

    return once.deliver_once(NotificationLog.objects.filter(pk=row.pk), NOTIFICATIONS, send, now=now)


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
