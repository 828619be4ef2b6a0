"""Each provider's read-only iCal feed, at a secret, revocable URL (public: the token is the key). The
provider sees the link, and revokes it, on their own calendar in the Provider dashboard."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe
from django_scopes import scopes_disabled

from medspa.tenancy import medspa_scope
from scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, CalendarFeed

FEED_PAST, FEED_AHEAD = timedelta(days=30), timedelta(days=180)


def ical_escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def ical_fold(line: str) -> str:
    """Folds a content line at 75 octets (RFC 5545 §3.1): CRLF and a space before each continuation,
    never inside a UTF-8 character."""
    parts, current, size = [], [], 0
    for char in line:
        octets = len(char.encode())
        if size + octets > 75:
            parts.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += octets
    parts.append("".join(current))
    return "\r\n".join(parts)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ical_calendar(*, name: str, appointments, now: datetime) -> str:
    """A VCALENDAR of `appointments`. Privacy: the summary names the appointment type and only the initial
    of the patient's first name; nothing else about the patient goes in a feed."""
    host = urlsplit(settings.SITE_URL).hostname or "portrait"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Portrait//Medspa portal//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ical_escape(name)}",
    ]
    for appointment in appointments:
        location = appointment.location
        first_name = appointment.patient.first_name.strip()
        initial = f"{first_name[:1].upper()}." if first_name else "patient"
        place = ", ".join(
            [location.name, location.address_line1, location.city, f"{location.state} {location.postal_code}"]
        )
        status = "TENTATIVE" if appointment.status == AppointmentStatus.BOOKED else "CONFIRMED"
        lines += [
            "BEGIN:VEVENT",
            f"UID:appointment-{appointment.pk}@{host}",
            f"DTSTAMP:{_utc(now)}",
            f"LAST-MODIFIED:{_utc(appointment.updated_at)}",
            f"DTSTART:{_utc(appointment.start)}",
            f"DTEND:{_utc(appointment.end)}",
            f"SUMMARY:{ical_escape(f'{appointment.appointment_type.name} – {initial}')}",
            f"LOCATION:{ical_escape(place)}",
            f"DESCRIPTION:{ical_escape(f'Status: {appointment.get_status_display()}')}",
            f"STATUS:{status}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(ical_fold(line) + "\r\n" for line in lines)


@require_safe
def calendar_feed(request, token: str):
    """A provider's read-only iCal feed (public: the secret token is the key). Their active appointments
    from 30 days back to 180 days ahead; a revoked or unknown token is a 404."""
    with scopes_disabled():
        feed = (
            CalendarFeed.objects.select_related("provider__user", "medspa")
            .filter(token=token, revoked_at__isnull=True, provider__is_active=True)
            .first()
        )
    if feed is None:
        raise Http404("No such calendar.")
    now = timezone.now()
    with medspa_scope(feed.medspa_id):
        appointments = list(
            Appointment.objects.filter(
                provider=feed.provider,
                status__in=ACTIVE_STATUSES,
                start__gte=now - FEED_PAST,
                start__lte=now + FEED_AHEAD,
            )
            .select_related("location", "appointment_type", "patient")
            .order_by("start", "pk")
        )
    name = f"{feed.provider.user.get_full_name()} · {feed.medspa.name}"
    body = ical_calendar(name=name, appointments=appointments, now=now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
