"""The texts of patient appointment notifications: the kinds, their default texts and placeholders, the
rendering of a text for an appointment, and the previews of the Notifications settings page. Sending lives in
scheduling.services.notifications, the medspa's settings in scheduling.services.notification_settings.

Besides the kinds a medspa edits, a pre-visit care message is sent as kind "care-<care message id>": its
text is the care message's own (services catalog), not a template."""

import re
import string
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from medspa.tenancy import medspa_scope
from scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Location,
    NotificationSettings,
)
from scheduling.selectors.paperwork import OPEN_STATUSES, appointment_paperwork, paperwork_link

EMAIL, SMS = "email", "sms"
CHANNELS = (EMAIL, SMS)

CONFIRMATION, REMINDER, RESCHEDULE, CANCELLATION, NO_SHOW, PAPERWORK, CARE = (
    "confirmation",
    "reminder",
    "reschedule",
    "cancellation",
    "no-show",
    "paperwork",
    "care",
)
# The kinds whose texts a medspa can edit (every reminder lead time shares the one reminder text; a care
# message's text is the care message's).
TEMPLATE_KINDS = [CONFIRMATION, REMINDER, RESCHEDULE, CANCELLATION, NO_SHOW, PAPERWORK]
KIND_LABELS = {
    CONFIRMATION: "Booking confirmation",
    REMINDER: "Reminder",
    RESCHEDULE: "Rescheduled",
    CANCELLATION: "Cancellation",
    NO_SHOW: "No-show follow-up",
    PAPERWORK: "Paperwork reminder",
    CARE: "Pre-visit care",
}
# The NotificationSettings switch of each kind, and how a skipped row names it.
KIND_SWITCHES = {
    CONFIRMATION: ("confirmation", "confirmations"),
    REMINDER: ("reminders", "reminders"),
    RESCHEDULE: ("reschedule", "reschedule notices"),
    CANCELLATION: ("cancellation", "cancellation notices"),
    NO_SHOW: ("no_show_follow_up", "no-show follow-ups"),
    PAPERWORK: ("paperwork_reminder", "paperwork reminders"),
    CARE: ("pre_visit_care", "pre-visit care messages"),
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
    PAPERWORK: {AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED},
    CARE: {AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED},
}
# The kinds sent ahead of the visit at a lead time: none once the appointment has started.
BEFORE_THE_VISIT = {REMINDER, PAPERWORK, CARE}
REMINDER_STATUSES = [AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED]
_REMINDER_KIND = re.compile(r"^reminder-([1-9]\d{0,2})h$")
_CARE_KIND = re.compile(r"^care-([1-9]\d{0,17})$")
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
    "paperwork_link",
    "paperwork_line",
)

_SIGN_OFF = "See you soon,\n{medspa_name}"
_MANAGE = "Need to change or cancel? {manage_link}"
# {paperwork_line} says nothing when there is no paperwork to do, and then leaves no gap (`compose`).
PAPERWORK_LINE = "Before your visit, please complete your forms and consents: {link}"
DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    CONFIRMATION: {
        "subject": "You're booked: {appointment_type} on {date}",
        "email": (
            "Hi {patient_first_name},\n\n"
            "You're booked for {appointment_type} with {provider_name} on {date} at {time}, "
            "at {location_name}.\n\n{paperwork_line}\n\n" + _MANAGE + "\n\n" + _SIGN_OFF
        ),
        "sms": (
            "{medspa_name}: you're booked for {appointment_type} on {date} at {time} at {location_name}. "
            "{paperwork_line} Manage: {manage_link} Reply STOP to opt out."
        ),
    },
    REMINDER: {
        "subject": "Reminder: {appointment_type} on {date} at {time}",
        "email": (
            "Hi {patient_first_name},\n\n"
            "A friendly reminder of your {appointment_type} with {provider_name} on {date} at {time}, "
            "at {location_name}.\n\n{paperwork_line}\n\n" + _MANAGE + "\n\n" + _SIGN_OFF
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
            "at {location_name}.\n\n{paperwork_line}\n\n" + _MANAGE + "\n\n" + _SIGN_OFF
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
    PAPERWORK: {
        "subject": "Your forms for {appointment_type} on {date}",
        "email": (
            "Hi {patient_first_name},\n\n"
            "Your {appointment_type} with {provider_name} is on {date} at {time}, at {location_name}. "
            "A few forms and consents are still to do before your visit: it takes a few minutes, and "
            "saves time when you arrive.\n\n{paperwork_link}\n\n" + _MANAGE + "\n\n" + _SIGN_OFF
        ),
        "sms": (
            "{medspa_name}: please complete your forms and consents before your {appointment_type} on "
            "{date} at {time}: {paperwork_link}"
        ),
    },
}
TEMPLATE_PARTS = ("subject", "email", "sms")


class UnknownKind(ValueError):
    """A notification kind this module does not know."""


def reminder_kind(hours: int) -> str:
    return f"reminder-{hours}h"


def care_kind(care_message_id: int) -> str:
    return f"{CARE}-{care_message_id}"


def care_message_id(kind: str) -> int | None:
    """ "care-12" → 12; None for any other kind."""
    match = _CARE_KIND.match(kind)
    return int(match.group(1)) if match else None


def template_kind(kind: str) -> str:
    """The kind whose text (and switch) `kind` uses: "reminder-48h" → "reminder", "care-12" → "care";
    raises UnknownKind for nonsense."""
    if kind in KIND_STATUSES and kind != CARE:
        return kind
    if _REMINDER_KIND.match(kind):
        return REMINDER
    if _CARE_KIND.match(kind):
        return CARE
    raise UnknownKind(f"Unknown notification kind {kind!r}.")


def reminder_hours_clean(value) -> list[int]:
    """The whole, distinct lead times (1–168 h) of a stored `reminder_hours`, longest first; junk dropped."""
    hours = set()
    for item in value if isinstance(value, list | tuple) else []:
        if isinstance(item, int) and not isinstance(item, bool) and 1 <= item <= MAX_REMINDER_HOURS:
            hours.add(item)
    return sorted(hours, reverse=True)[:MAX_REMINDERS]


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


def compose(text: str, context: dict[str, str]) -> str:
    """A message's body: `text` rendered, without the blank line or double space that a placeholder with
    nothing to say (an empty {paperwork_line}) would leave."""
    rendered = render(text, context)
    rendered = re.sub(r"[ \t]+\n", "\n", re.sub(r"(?<=\S)[ \t]{2,}(?=\S)", " ", rendered))
    return re.sub(r"\n{3,}", "\n\n", rendered).strip()


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


def paperwork_context(appointment: Appointment) -> dict[str, str]:
    """{paperwork_link} while the appointment is ahead (the link closes after it), and {paperwork_line}, the
    sentence that asks for the forms and consents still to do: empty when there are none."""
    if appointment.status not in OPEN_STATUSES:
        return {"paperwork_link": "", "paperwork_line": ""}
    link = paperwork_link(appointment)
    paperwork = appointment_paperwork(appointment)
    to_do = paperwork.needed and not paperwork.complete
    return {"paperwork_link": link, "paperwork_line": PAPERWORK_LINE.format(link=link) if to_do else ""}


def appointment_context(appointment: Appointment) -> dict[str, str]:
    """The placeholders' values for `appointment`, date and time in its location's time zone."""
    local = appointment.local_start
    return {
        **paperwork_context(appointment),
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
    sample_paperwork = f"{settings.SITE_URL.rstrip('/')}/book/paperwork/sample-link/"
    return {
        "patient_first_name": "Alex",
        "medspa_name": medspa.display_name,
        "location_name": location.name if location else "Main Street",
        "appointment_type": appointment_type.name if appointment_type else "Neurotoxin",
        "date": format_date(moment),
        "time": format_time(moment),
        "provider_name": "Jordan Rivera",
        "manage_link": f"{settings.SITE_URL.rstrip('/')}/book/manage/sample-link/",
        "paperwork_link": sample_paperwork,
        "paperwork_line": PAPERWORK_LINE.format(link=sample_paperwork),
    }


def subject_line(texts: dict[str, str], context: dict[str, str]) -> str:
    return " ".join(render(texts["subject"], context).split())[:200]


def notification_preview(*, settings_obj: NotificationSettings, kind: str, channel: str) -> str:
    """What a patient would get for `kind` by `channel` ("email": the subject line then the body; "sms";
    "subject"), with the settings' texts (saved or not) and a sample appointment."""
    texts = template_for(settings_obj, kind)
    context = _sample_context(settings_obj)
    if channel == "subject":
        return subject_line(texts, context)
    if channel == EMAIL:
        return f"Subject: {subject_line(texts, context)}\n\n{compose(texts['email'], context)}"
    if channel == SMS:
        return compose(texts["sms"], context)
    raise ValueError(f"Unknown channel {channel!r}.")


def appointment_place(appointment: Appointment) -> str:
    """Where and with whom an appointment stands, as a reschedule notice tells it: its start (UTC) and its
    provider, "2026-12-08T18:30:00Z|12"."""
    return f"{appointment.start.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}|{appointment.provider_id}"
