"""The calendar's time grid: its data as JSON (`calendar_events`, served to the Provider dashboard too through
`events_response`) and the moves made on it (`appointment_move`: an appointment dragged to another time,
provider or room, or its edge dragged to another end; the Undo posts the previous place back the same way).

A drop's times are wall-clock times at the appointment's location, without an offset, as the grid shows
them (scheduling.selectors.calendar_events). A move goes through scheduling.services.booking: the same rules
as the reschedule form (not the online minimum notice), the database's constraints having the last word
(409 with the reason when the time is taken, 400 for a broken rule)."""

import json
from datetime import date, datetime, timedelta

from django.db import transaction
from django.http import JsonResponse
from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_POST

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import DomainError
from medspa.http import ascii_int
from medspa.models import Membership, Patient
from medspa.services.patients import patients_access_record
from scheduling.models import AppointmentStatus, Resource
from scheduling.selectors.calendar import appointment_for_page
from scheduling.selectors.calendar_events import (
    BY_PROVIDER,
    BY_ROOM,
    MAX_DAYS,
    EventQuery,
)
from scheduling.selectors.calendar_events import (
    calendar_events as events_of,
)
from scheduling.services import booking


def _day(value) -> date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        return None


def events_response(request, *, own: Membership | None, url_of) -> JsonResponse:
    """The grid's data for ?start=YYYY-MM-DD&end=YYYY-MM-DD (end exclusive)&location=&provider=
    &cancelled=1&by=provider|room; logs a read of every patient it names."""
    start, end = _day(request.GET.get("start")), _day(request.GET.get("end"))
    if start is None or end is None or not start < end <= start + timedelta(days=MAX_DAYS):
        return JsonResponse(
            {"detail": f"Give start and end dates, at most {MAX_DAYS} days apart."}, status=400
        )
    query = EventQuery(
        start=start,
        end=end,
        location_id=ascii_int(request.GET.get("location"), max_digits=18),
        provider_id=None if own else ascii_int(request.GET.get("provider"), max_digits=18),
        show_cancelled=request.GET.get("cancelled") == "1",
        status=status if (status := request.GET.get("status", "")) in AppointmentStatus.values else "",
        by=BY_ROOM if request.GET.get("by") == BY_ROOM and own is None else BY_PROVIDER,
        own=own,
    )
    data, seen = events_of(query, url_of=url_of)
    patients_access_record(
        patients=[Patient(pk=pk, medspa_id=medspa_id) for pk, medspa_id in seen],
        request=request,
        viewed=f"Calendar: {start.isoformat()} to {(end - timedelta(days=1)).isoformat()}",
    )
    return JsonResponse(data, json_dumps_params={"separators": (",", ":")})  # no spaces: a row an appointment


@require_GET
@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def calendar_events(request):
    """Every provider's appointments of a range of days, for the admin's and the coordinator's grid."""
    return events_response(
        request, own=None, url_of=lambda pk: reverse("scheduling:appointment_detail", args=[pk])
    )


def _posted(request) -> dict:
    """The move's fields, from a JSON body or a form."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return (
            {key: str(value) for key, value in data.items() if value is not None}
            if isinstance(data, dict)
            else {}
        )
    return request.POST.dict()


def _local(value: str, zone) -> datetime | None:
    """A wall-clock time at the appointment's location ("2026-12-08T10:30"), made aware in its zone."""
    try:
        moment = parse_datetime(value or "")
    except ValueError:
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _refused(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


@require_POST
@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def appointment_move(request, pk: int):
    """POST start (wall clock at the location), provider (a drop on another provider's column), resource
    (a drop on a room's column), end (the edge dragged, or the length kept). Answers the event's new place
    and the place it left (which the Undo posts back), 409 when the time is taken, 400 for a broken rule."""
    appointment = appointment_for_page(pk)
    data = _posted(request)
    zone = appointment.location.tz
    before = _place(appointment)
    start = _local(data.get("start", ""), zone) if data.get("start") else appointment.start
    end = _local(data.get("end", ""), zone) if data.get("end") else None
    if start is None or (data.get("end") and end is None):
        return _refused("Give the times as YYYY-MM-DDTHH:MM.")
    provider = appointment.provider
    if data.get("provider"):
        provider = Membership.objects.filter(
            pk=ascii_int(data["provider"], max_digits=18), is_provider=True, is_active=True
        ).first()
        if provider is None:
            return _refused("Choose one of the medspa's providers.")
    resource = None
    if data.get("resource"):
        resource = Resource.objects.filter(pk=ascii_int(data["resource"], max_digits=18)).first()
        if resource is None:
            return _refused("Choose one of the location's rooms.")
    try:
        with transaction.atomic():
            if start != appointment.start or provider.pk != appointment.provider_id:
                length = appointment.end - appointment.start
                appointment = booking.appointment_reschedule(
                    appointment=appointment, start=start, provider=provider
                )
                end = end or appointment.start + length  # a moved appointment keeps its length
            if end is not None and end != appointment.end:
                appointment = booking.appointment_resize(appointment=appointment, end=end)
            if resource is not None:
                appointment = booking.appointment_room_set(appointment=appointment, resource=resource)
    except DomainError as error:
        return _refused(error.message, error.status_code if error.status_code == 409 else 400)
    appointment = appointment_for_page(pk)
    after = _place(appointment)
    who = appointment.provider.user.get_full_name()
    return JsonResponse(
        {
            "id": str(appointment.pk),
            "start": after["start"],
            "end": after["end"],
            "provider": after["provider"],
            "resource": after["resource"],
            "message": f"Moved to {date_format(appointment.local_start, 'D M j, g:i A')} with {who}",
            "previous": before,
        }
    )


def _place(appointment) -> dict:
    """An appointment's place as the move endpoint takes it back."""
    zone = appointment.location.tz
    return {
        "start": appointment.start.astimezone(zone).replace(tzinfo=None).isoformat(timespec="minutes"),
        "end": appointment.end.astimezone(zone).replace(tzinfo=None).isoformat(timespec="minutes"),
        "provider": str(appointment.provider_id),
        "resource": str(appointment.resource_id or ""),
    }
