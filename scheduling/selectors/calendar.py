"""Reads of the calendars: the calendar page (its filters, and the list of the chosen day that works without
the time grid; the grid's own data is scheduling.selectors.calendar_events), an appointment with what its
page shows, and its GFE line. Times are wall-clock times in each appointment's location's time zone. The
page costs a fixed number of queries however many appointments its day lists (everything it renders is
joined or prefetched, and the paperwork of all of them is read at once).

An open appointment (booked, confirmed or checked in) carries its paperwork (`appointment.paperwork`: the
intake forms and consents done, scheduling.selectors.paperwork), or None when it needs none or is closed
(completed, no-show, cancelled): the day's list and the appointment's page print it as one badge.

The apps above put their own buttons on an appointment through APPOINTMENT_ACTIONS (e.g. the Provider
dashboard's "Start visit" and "Open visit"): scheduling renders them and never names their routes or
models. An entry names the relations it reads (joined into the list's and the page's query) and gives the
buttons of an appointment on the calendar's day list and on the appointment's page."""

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.formats import date_format

from gfe.selectors import clearances as gfe_selectors
from medspa.http import ascii_int
from medspa.models import Membership
from medspa.registry import Registry
from scheduling.models import Appointment, AppointmentStatus, Location, Resource
from scheduling.selectors import statuses
from scheduling.selectors.paperwork import OPEN_STATUSES, Paperwork, paperwork_of

# --- Buttons the apps above put on an appointment ---------------------------------------------------------


@dataclass(frozen=True)
class AppointmentAction:
    """One button: a link (method "get") or a form posting `fields` as hidden inputs (method "post").
    `css`: the button's classes besides "button" (e.g. "button-secondary"). `confirm`: the question the
    browser asks before posting (money, or what cannot be undone). `note`: words said before the link
    instead of a button (method "note": e.g. "No-show fee charged $75.00 on Dec 7, 2026", then the link)."""

    label: str
    url: str
    method: str = "get"
    css: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    confirm: str = ""
    note: str = ""


@dataclass(frozen=True)
class AppointmentActions:
    """What an app above adds to an appointment: `calendar(appointment)` its buttons on the day view,
    `page(appointment)` those on its page, in a card headed `title` (shown when there are buttons).
    `related`: the appointment's relations they read, joined into the query. `every_appointment`: the
    page's buttons are shown to the admin on every appointment's page, not only on their own."""

    title: str
    calendar: Callable[[Appointment], list[AppointmentAction]]
    page: Callable[[Appointment], list[AppointmentAction]]
    related: tuple[str, ...] = field(default=())
    order: int = 0
    every_appointment: bool = False


APPOINTMENT_ACTIONS: Registry[AppointmentActions] = Registry("appointment actions", order=lambda e: e.order)


def _related() -> list[str]:
    return [name for entry in APPOINTMENT_ACTIONS for name in entry.related]


def appointment_calendar_actions(appointment: Appointment) -> list[AppointmentAction]:
    """The registered buttons of `appointment` on the calendar's day view."""
    return [action for entry in APPOINTMENT_ACTIONS for action in entry.calendar(appointment)]


def appointment_page_cards(appointment: Appointment, *, own: bool = True) -> list[dict]:
    """The registered cards of buttons on `appointment`'s page: those that have buttons (on another
    provider's appointment, only the entries shown on every appointment)."""
    cards = []
    for entry in APPOINTMENT_ACTIONS:
        if not own and not entry.every_appointment:
            continue
        actions = entry.page(appointment)
        if actions:
            cards.append({"title": entry.title, "actions": actions})
    return cards


# --- The page ----------------------------------------------------------------------------------------------


def calendar_grid(request, *, own: Membership | None = None) -> dict:
    """The calendar page's context from ?view=day|week&date=YYYY-MM-DD&location=&provider=&cancelled=1
    &by=provider|room&status= (`status`: only the appointments of that status in the day's list, e.g. a
    day's no-shows; "cancelled" shows the cancelled). The time grid itself is drawn in the browser from the
    events endpoint (scheduling.selectors.calendar_events); the page lists the chosen day's appointments,
    for whoever does without the grid (no script, a screen reader) and for their buttons. `own`: the
    provider whose calendar this is (only their appointments; no provider filter). "appointments": the
    day's appointments, in order (the view records that their patients were seen)."""
    view = "day" if request.GET.get("view") == "day" else "week"
    by = "room" if request.GET.get("by") == "room" and own is None else "provider"
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
    status = request.GET.get("status", "")
    status = status if status in AppointmentStatus.values else ""
    show_cancelled = request.GET.get("cancelled") == "1" or status == AppointmentStatus.CANCELLED

    # The day's list: a few hours' margin each side, as locations in other time zones may fall on the day.
    range_start = datetime.combine(day, time.min, tzinfo=zone) - timedelta(hours=14)
    range_end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone) + timedelta(hours=14)
    # The relations the apps above read for their buttons are joined too, so that they cost no query.
    appointments = Appointment.objects.filter(start__lt=range_end, end__gt=range_start).select_related(
        "location", "patient", "appointment_type", "provider__user", "resource", *_related()
    )
    if location is not None:
        appointments = appointments.filter(location=location)
    if provider is not None:
        appointments = appointments.filter(provider=provider)
    if status:
        appointments = appointments.filter(status=status)
    elif not show_cancelled:
        appointments = appointments.exclude(status=AppointmentStatus.CANCELLED)
    shown = []
    now = timezone.now()
    for appointment in appointments.order_by("start", "pk"):
        if appointment.start.astimezone(appointment.location.tz).date() != day:
            continue
        appointment.can_check_in = AppointmentStatus.CHECKED_IN in statuses.appointment_statuses_allowed(
            appointment=appointment, now=now
        )
        shown.append(appointment)
    paperwork_attach(shown)

    step = timedelta(days=1 if view == "day" else 7)
    base = {
        "view": view,
        "location": location.pk if location else "",
        "provider": "" if own else (provider.pk if provider else ""),
        "cancelled": "1" if show_cancelled else "",
        "by": "room" if by == "room" else "",
        "status": status,
    }

    def query(**changes) -> str:
        params = {**base, **changes}
        return "?" + urlencode({key: value for key, value in params.items() if value not in ("", None)})

    if view == "day":
        title = date_format(day, "l, F j, Y")
    else:
        title = f"{date_format(days[0], 'M j')} – {date_format(days[-1], 'M j, Y')}"
    shown_zones = [loc.time_zone for loc in ([location] if location else locations) if loc.is_active]
    zones = sorted(set(shown_zones))
    return {
        "view": view,
        "by": by,
        "day": day,
        "days": days,
        "today": today,
        "title": title,
        "appointments": shown,
        "locations": locations,
        "location": location,
        "providers": providers,
        "provider": provider,
        "show_cancelled": show_cancelled,
        "status_filter": status,
        "zones": zones,
        # The grid's clock (today, the line at "now"): the zone's offset now, as the grid takes no zone names.
        "grid_offset": _offset(zoneinfo.ZoneInfo(zones[0]) if len(zones) == 1 else zone, now),
        "statuses": AppointmentStatus.choices,
        # This page's view, filters and day (the day pinned: "today" may be another day by the time the
        # day's list is read again, scheduling.views.calendar.calendar_day_list).
        "page_query": query(date=day.isoformat()),
        "prev_query": query(date=(day - step).isoformat()),
        "next_query": query(date=(day + step).isoformat()),
        "today_query": query(date=today.isoformat()),
        "day_query": query(view="day", date=day.isoformat()),
        "week_query": query(view="week", date=day.isoformat()),
        "by_provider_query": query(by="", date=day.isoformat()),
        "by_room_query": query(by="room", date=day.isoformat()),
    }


def grid_attributes(
    context: dict, *, events_url: str, own: bool = False, move_url: str = "", book_url: dict | None = None
) -> dict:
    """The time grid's settings, as the data attributes static/js/calendar.js reads: the view the page
    chose, its day, the filters, the grid's clock, where to read events, where to post moves (none: the
    grid cannot be changed) and where an empty time books (none: it books nothing). `own`: a provider's
    own calendar (no columns). The day has a column per provider (or room); the week a column per day, each
    day's appointments side by side: seven days of every provider's columns leave no room to read a name."""
    view, by, provider = context["view"], context["by"], context["provider"]
    grid_view = "timeGridWeek" if view == "week" else "timeGridDay" if own else "resourceTimeGridDay"
    location = context["location"]
    return {
        "view": grid_view,
        "date": context["day"].isoformat(),
        "time-zone": context["grid_offset"],
        "events-url": events_url,
        "location": location.pk if location else "",
        "provider": "" if own or provider is None else provider.pk,
        "cancelled": "1" if context["show_cancelled"] else "",
        "status": context["status_filter"],
        "by": by,
        "editable": "1" if move_url else "",
        "move-url": move_url,
        **(book_url or {}),
    }


def rooms_to_move_to() -> QuerySet[Resource]:
    """The active rooms, with their location, that the Move dialog offers (the keyboard's way to move an
    appointment on the grid; the appointment's type decides at the move which of them it may use)."""
    return (
        Resource.objects.filter(kind=Resource.Kind.ROOM, is_active=True)
        .select_related("location")
        .order_by("location__name", "name")
    )


def _offset(zone: zoneinfo.ZoneInfo, now: datetime) -> str:
    """The zone's UTC offset at `now`, as "-08:00"."""
    minutes = int(now.astimezone(zone).utcoffset().total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def paperwork_attach(appointments: list[Appointment]) -> None:
    """Sets `paperwork` on each appointment: its paperwork while it is open and needs some, else None. Reads
    all of them in a fixed number of queries (select "appointment_type")."""
    upcoming = [appointment for appointment in appointments if appointment.status in OPEN_STATUSES]
    found: dict[int, Paperwork] = paperwork_of(upcoming) if upcoming else {}
    for appointment in appointments:
        paperwork = found.get(appointment.pk)
        appointment.paperwork = paperwork if paperwork is not None and paperwork.needed else None


def _date(value) -> date | None:
    """A YYYY-MM-DD date from the query string, or None when it is missing or no real date."""
    try:
        return parse_date(value or "")
    except ValueError:
        return None


# --- One appointment --------------------------------------------------------------------------------------


def appointment_for_page(pk, *, provider: Membership | None = None) -> Appointment:
    """The appointment with what its page shows (its page adds its paperwork: `paperwork_attach`); 404 for
    another medspa's (or another provider's)."""
    appointments = Appointment.objects.select_related(
        "location", "patient", "appointment_type", "provider__user", "resource", "created_by", *_related()
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
