"""Calendars: the admin's centralised calendar (every provider, day and week views, filtered by location and
provider) with booking, rescheduling, cancelling and status changes; the provider's own calendar (only
their appointments, check-in); and each provider's read-only iCal feed at a secret, revocable URL.

The admin's calendar is also the whole of the Patient Care Coordinator's dashboard: they schedule, and
reach nothing else. In their dashboard the pages leave out the links to pages they cannot open (patient
profile, visits, the scheduling settings): `coordinator_view` in the templates' context.

Times are wall-clock times in each appointment's location's time zone. The calendar grid costs a fixed
number of queries however many appointments it shows (everything it renders is joined or prefetched)."""

import zoneinfo
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from django.views.decorators.http import require_POST, require_safe
from django_scopes import scopes_disabled

from gfe import selectors as gfe_selectors
from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.http import ascii_int
from medspa.models import Membership
from medspa.services.patients import patient_access_record, patients_access_record
from medspa.tenancy import medspa_scope
from scheduling import booking, settings_services
from scheduling.forms_calendar import AppointmentBookForm, AppointmentCancelForm, AppointmentRescheduleForm
from scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, CalendarFeed, Location

ADMIN, PROVIDER = "admin", "provider"
# The buttons of the status transitions an appointment allows (cancelling has its own form, with a reason).
STATUS_ACTIONS = {
    AppointmentStatus.CONFIRMED: "Confirm",
    AppointmentStatus.CHECKED_IN: "Check in",
    AppointmentStatus.COMPLETED: "Complete",
    AppointmentStatus.NO_SHOW: "No-show",
}
DAY_HOURS = (8, 18)  # the day view's rows at least span these hours; appointments outside widen it
FEED_PAST, FEED_AHEAD = timedelta(days=30), timedelta(days=180)


# --- The grid -------------------------------------------------------------------------------------------


def calendar_grid(request, *, own: Membership | None = None) -> dict:
    """The calendar's context from ?view=day|week&date=YYYY-MM-DD&location=&provider=&cancelled=1.
    `own`: the provider whose calendar this is (only their appointments; no provider filter)."""
    view = "day" if request.GET.get("view") == "day" else "week"
    locations = list(Location.objects.prefetch_related("providers").order_by("-is_active", "name"))
    location_id = ascii_int(request.GET.get("location"), max_digits=18)
    location = next((loc for loc in locations if loc.pk == location_id), None)
    zone = location.tz if location else zoneinfo.ZoneInfo(request.medspa.time_zone)
    today = timezone.now().astimezone(zone).date()
    day = _date(request.GET.get("date")) or today
    first = day if view == "day" else day - timedelta(days=day.weekday())
    days = [first + timedelta(days=n) for n in range(1 if view == "day" else 7)]

    if own is not None:
        providers, provider = [own], own
    else:
        providers = list(
            Membership.objects.filter(is_provider=True, is_active=True)
            .select_related("user")
            .order_by("user__full_name", "user__email")
        )
        provider_id = ascii_int(request.GET.get("provider"), max_digits=18)
        provider = next((p for p in providers if p.pk == provider_id), None)
    show_cancelled = request.GET.get("cancelled") == "1"

    # A few hours' margin each side: locations in other time zones may still fall on these days.
    range_start = datetime.combine(days[0], time.min, tzinfo=zone) - timedelta(hours=14)
    range_end = datetime.combine(days[-1] + timedelta(days=1), time.min, tzinfo=zone) + timedelta(hours=14)
    # "visit": the service visit started from the appointment (the providers app's reverse one-to-one),
    # joined so that the Start/Open visit buttons cost no query.
    appointments = Appointment.objects.filter(start__lt=range_end, end__gt=range_start).select_related(
        "location", "patient", "appointment_type", "provider__user", "visit"
    )
    if location is not None:
        appointments = appointments.filter(location=location)
    if provider is not None:
        appointments = appointments.filter(provider=provider)
    if not show_cancelled:
        appointments = appointments.exclude(status=AppointmentStatus.CANCELLED)

    shown_days = set(days)
    if provider is not None:
        rows_of = [provider]
    elif location is not None:
        working = {membership.pk for membership in location.providers.all()}
        rows_of = [p for p in providers if p.pk in working]
    else:
        rows_of = list(providers)
    row_ids = {p.pk for p in rows_of}
    cells = defaultdict(list)
    hours = set(range(*DAY_HOURS))
    shown_patients = []
    now = timezone.now()
    for appointment in appointments.order_by("start", "pk"):
        local = appointment.start.astimezone(appointment.location.tz)
        if local.date() not in shown_days:
            continue
        appointment.can_check_in = AppointmentStatus.CHECKED_IN in booking.appointment_statuses_allowed(
            appointment=appointment, now=now
        )
        shown_patients.append(appointment.patient)
        if appointment.provider_id not in row_ids:  # e.g. a provider who has left still has appointments
            rows_of.append(appointment.provider)
            row_ids.add(appointment.provider_id)
        if view == "day":
            hours.add(local.hour)
            cells[(appointment.provider_id, local.hour)].append(appointment)
        else:
            cells[(appointment.provider_id, local.date())].append(appointment)

    if view == "day":
        columns = rows_of
        rows = [
            {
                "hour": time(hour),
                "cells": [{"provider": p, "appointments": cells[(p.pk, hour)]} for p in columns],
            }
            for hour in range(min(hours), max(hours) + 1)
        ]
    else:
        columns = days
        rows = [
            {"provider": p, "cells": [{"day": d, "appointments": cells[(p.pk, d)]} for d in days]}
            for p in rows_of
        ]

    step = timedelta(days=1 if view == "day" else 7)
    base = {
        "view": view,
        "location": location.pk if location else "",
        "provider": "" if own else (provider.pk if provider else ""),
        "cancelled": "1" if show_cancelled else "",
    }

    def query(**changes) -> str:
        params = {**base, **changes}
        return "?" + urlencode({key: value for key, value in params.items() if value not in ("", None)})

    if view == "day":
        title = date_format(day, "l, F j, Y")
    else:
        title = f"{date_format(days[0], 'M j')} – {date_format(days[-1], 'M j, Y')}"
    zones = sorted({loc.time_zone for loc in ([location] if location else locations) if loc.is_active})
    patients_access_record(patients=shown_patients, request=request, viewed=f"Calendar: {title}")
    return {
        "view": view,
        "day": day,
        "days": days,
        "today": today,
        "title": title,
        "columns": columns,
        "rows": rows,
        "locations": locations,
        "location": location,
        "providers": providers,
        "provider": provider,
        "show_cancelled": show_cancelled,
        "zones": zones,
        "statuses": AppointmentStatus.choices,
        "prev_query": query(date=(day - step).isoformat()),
        "next_query": query(date=(day + step).isoformat()),
        "today_query": query(date=today.isoformat()),
        "day_query": query(view="day", date=day.isoformat()),
        "week_query": query(view="week", date=day.isoformat()),
    }


def _date(value) -> date | None:
    """A YYYY-MM-DD date from the query string, or None when it is missing or no real date."""
    try:
        return parse_date(value or "")
    except ValueError:
        return None


@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def calendar(request):
    """Every provider's calendar, for the admin and the coordinator: day (providers × hours) or week
    (providers × days)."""
    context = calendar_grid(request)
    context.update(area=ADMIN, coordinator_view=_coordinator_view(request))
    return render(request, "scheduling/calendar/calendar.html", context)


# --- Appointments (admin) -------------------------------------------------------------------------------


def _coordinator_view(request) -> bool:
    """The page is seen from the coordinator's dashboard: no links to patient profiles, visits or settings."""
    return getattr(request, "dashboard", None) == dashboards.COORDINATOR


def _appointment(pk, *, provider: Membership | None = None) -> Appointment:
    """The appointment with what its page shows; 404 for another medspa's (or another provider's)."""
    appointments = Appointment.objects.select_related(
        "location", "patient", "appointment_type", "provider__user", "resource", "created_by", "visit"
    )
    if provider is not None:
        appointments = appointments.filter(provider=provider)
    if ascii_int(str(pk), max_digits=18) is None:
        raise Http404("No such appointment.")
    return get_object_or_404(appointments, pk=int(pk))


def gfe_status(appointment) -> str:
    """The appointment's service and the patient's clearance for it on the appointment's day."""
    service = appointment.appointment_type.service
    if not service.effective_requires_gfe:
        return "Not needed for this service."
    day = appointment.local_start.date()
    valid = gfe_selectors.clearance_valid(appointment.patient, service, day)
    if valid is not None:
        return f"Cleared until {date_format(valid.valid_until, 'M j, Y')}."
    if service.pk in gfe_selectors.services_with_open_request(appointment.patient):
        return "Clearance pending: a GFE has been requested."
    return "Not cleared: request a GFE before the visit."


def _detail(
    request, appointment, *, area=ADMIN, reschedule_form=None, cancel_form=None, error="", status=200
):
    allowed = booking.appointment_statuses_allowed(appointment=appointment)
    actions = [(value, label) for value, label in STATUS_ACTIONS.items() if value in allowed]
    can_change = appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
    if not can_change and reschedule_form is not None and not error:  # the form is not shown: say why here
        error = " ".join(reschedule_form.non_field_errors())
    context = {
        "appointment": appointment,
        "area": area,
        "coordinator_view": _coordinator_view(request),
        "actions": actions,
        "can_check_in": AppointmentStatus.CHECKED_IN in allowed,
        "can_change": can_change,
        "reschedule_form": reschedule_form or AppointmentRescheduleForm(appointment=appointment),
        "cancel_form": cancel_form or AppointmentCancelForm(),
        "error": error,
        "gfe_status": gfe_status(appointment),
        "back_url": reverse("scheduling:calendar" if area == ADMIN else "providers:calendar")
        + "?"
        + urlencode({"view": "day", "date": appointment.local_start.date().isoformat()}),
    }
    patient_access_record(
        patient=appointment.patient, request=request, viewed=f"Appointment {appointment.pk}"
    )
    return render(request, "scheduling/calendar/detail.html", context, status=status)


@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def appointment_new(request):
    """Books a patient: type, provider (or whoever is free), date and time at the type's location."""
    initial = {}
    if request.method == "GET":
        for name in ("date", "time", "provider", "appointment_type", "patient"):
            if request.GET.get(name):
                initial[name] = request.GET[name]
    form = AppointmentBookForm(request.POST or None, medspa=request.medspa, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            with refusals(form=form) as refused:
                appointment = booking.appointment_book(
                    appointment_type=data["appointment_type"],
                    start=data["start"],
                    patient=data["patient"],
                    provider=data["provider"],
                    by=request.user,
                    notes=data["notes"],
                    idempotency_key=data["idempotency_key"] or None,
                )
                messages.success(
                    request,
                    f"{appointment.patient.full_name} is booked for {appointment.appointment_type.name} on "
                    f"{date_format(appointment.local_start, 'D M j, g:i A')}.",
                )
                return redirect("scheduling:appointment_detail", pk=appointment.pk)
            status = refused.status_code  # 409 for a time taken meanwhile
    # The patient choice lists every bookable patient with their date of birth: each is a read.
    listed = form.fields["patient"].queryset.only("pk", "medspa_id")
    patients_access_record(patients=listed, request=request, viewed="Calendar: booking form's patient choice")
    return render(request, "scheduling/calendar/appointment_form.html", {"form": form}, status=status)


@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def appointment_detail(request, pk: int):
    """An appointment's facts, its status buttons, the reschedule and cancel forms and its notifications."""
    return _detail(request, _appointment(pk))


@require_POST
@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def appointment_reschedule(request, pk: int):
    appointment = _appointment(pk)
    form = AppointmentRescheduleForm(request.POST, appointment=appointment)
    if not form.is_valid():
        return _detail(request, appointment, reschedule_form=form, status=400)
    with refusals(form=form) as refused:
        booking.appointment_reschedule(
            appointment=appointment, start=form.cleaned_data["start"], provider=form.cleaned_data["provider"]
        )
    if refused:  # 409 for a time taken meanwhile
        return _detail(request, appointment, reschedule_form=form, status=refused.status_code)
    appointment = _appointment(pk)
    messages.success(request, f"Rescheduled to {date_format(appointment.local_start, 'D M j, g:i A')}.")
    return redirect("scheduling:appointment_detail", pk=appointment.pk)


@require_POST
@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def appointment_cancel(request, pk: int):
    appointment = _appointment(pk)
    form = AppointmentCancelForm(request.POST)
    if not form.is_valid():
        return _detail(request, appointment, cancel_form=form, status=400)
    with refusals() as refused:
        booking.appointment_cancel(appointment=appointment, reason=form.cleaned_data["reason"])
    if refused:
        return _detail(request, appointment, cancel_form=form, error=refused.message, status=400)
    messages.success(request, "The appointment was cancelled; its time is free again.")
    return redirect("scheduling:appointment_detail", pk=appointment.pk)


@require_POST
@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def appointment_status(request, pk: int):
    appointment = _appointment(pk)
    status = request.POST.get("status", "")
    if status not in AppointmentStatus.values:
        return _detail(request, appointment, error="Choose a status.", status=400)
    with refusals() as refused:
        booking.appointment_status_set(appointment=appointment, status=status)
    if refused:
        return _detail(request, appointment, error=refused.message, status=400)
    messages.success(request, f"The appointment is now {AppointmentStatus(status).label.lower()}.")
    return redirect("scheduling:appointment_detail", pk=appointment.pk)


# --- The provider's own calendar ------------------------------------------------------------------------


def provider_calendar(request):
    """The provider's own calendar (called by providers.views.calendar, which admits providers only):
    GET shows the grid, or one of their appointments with ?appointment=<id> (another's is a 404);
    POST action=check_in&appointment=<id> checks a patient in; POST action=feed_revoke makes a new iCal
    link and kills the old one."""
    own = request.membership
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "check_in":
            appointment = _appointment(request.POST.get("appointment", ""), provider=own)
            with refusals(request):
                booking.appointment_status_set(appointment=appointment, status=AppointmentStatus.CHECKED_IN)
                messages.success(request, f"{appointment.patient.full_name} is checked in.")
            return redirect(reverse("providers:calendar") + f"?appointment={appointment.pk}")
        if action == "feed_revoke":
            feed = settings_services.calendar_feed_get_or_create(provider=own)
            settings_services.calendar_feed_revoke(feed=feed)
            messages.success(request, "The old link no longer works. Subscribe again with the new one.")
            return redirect("providers:calendar")
        return HttpResponseBadRequest("Unknown action.")
    if "appointment" in request.GET:
        return _detail(request, _appointment(request.GET["appointment"], provider=own), area=PROVIDER)
    context = calendar_grid(request, own=own)
    feed = settings_services.calendar_feed_get_or_create(provider=own)
    context.update(
        area=PROVIDER,
        feed_url=request.build_absolute_uri(reverse("calendar_feed", kwargs={"token": feed.token})),
    )
    return render(request, "scheduling/calendar/calendar.html", context)


# --- iCal feed ------------------------------------------------------------------------------------------


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
