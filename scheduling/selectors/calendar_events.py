"""The calendar's time grid as data: the columns (providers or rooms) and the appointments of a range of
days, for the grid the browser draws (static/js/calendar.js, EventCalendar). Read from rows (`.values()`),
never one model object per appointment, in a fixed number of queries however busy the week; sent as a table
(columns named once, a row of numbers per appointment, the names rows share listed once), as a busy week
holds a thousand appointments.

Times are wall-clock times at each appointment's location, counted in minutes from the range's first
midnight on that clock: the grid shows them as they are, so that a week that crosses a change of daylight
saving time keeps every appointment at the hour the clinic's clock says. A drop on the grid sends such a
time back ("2026-11-01T09:30"), read in the appointment's location's zone
(scheduling.views.calendar_grid)."""

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from medspa.models import Membership
from scheduling.models import Appointment, AppointmentStatus, AppointmentType, Location, Resource
from scheduling.selectors.paperwork import OPEN_STATUSES, paperwork_of

BY_PROVIDER, BY_ROOM = "provider", "room"
NO_ROOM = "none"  # the room column of appointments that take no room
MAX_DAYS = 42  # the longest range one request reads
# The statuses the grid lets staff drag: an appointment still to come, not yet begun.
MOVABLE = {AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED}


@dataclass(frozen=True)
class EventQuery:
    """What the grid asks for: the days [start, end), the filters, and whose calendar it is (`own`: a
    provider's own, with none of anyone else's appointments)."""

    start: date
    end: date
    location_id: int | None = None
    provider_id: int | None = None
    show_cancelled: bool = False
    status: str = ""  # only the appointments of this status (the admin's Today links to a day's no-shows)
    by: str = BY_PROVIDER
    own: Membership | None = None


def calendar_events(query: EventQuery, *, url_of) -> tuple[dict, list[tuple[int, int]]]:
    """The grid's data, and the (id, medspa id) pairs of the patients it names, for the access log.
    `url_of(pk)` gives the page an event opens.

    The data is a table, as a busy week holds a thousand appointments (the grid's expansion of it into
    EventCalendar's events is static/js/calendar.js's `expand`): "columns" names the fields of each of the
    "rows", an appointment a row; "start" counts minutes on the clinic's clock from midnight of "day" (the
    range's first), "minutes" its length; patient, type, provider, room, location, status and paperwork are
    places in the lists of the same names, which hold each name once ("room" and "paperwork" are null when
    it has none). "url" is the page an event opens, "{id}" standing for its id; "by" says what the columns
    ("resources") are."""
    locations = {row["pk"]: row for row in Location.objects.values("pk", "name", "time_zone", "is_active")}
    zones = {pk: zoneinfo.ZoneInfo(row["time_zone"]) for pk, row in locations.items()}
    # A few hours' margin each side: locations in other time zones may still fall on these days.
    any_zone = zones.get(query.location_id) or timezone.get_current_timezone()
    range_start = datetime.combine(query.start, time.min, tzinfo=any_zone) - timedelta(hours=14)
    range_end = datetime.combine(query.end, time.min, tzinfo=any_zone) + timedelta(hours=14)

    appointments = Appointment.objects.filter(start__lt=range_end, end__gt=range_start)
    if query.location_id is not None:
        appointments = appointments.filter(location_id=query.location_id)
    if query.own is not None:
        appointments = appointments.filter(provider=query.own)
    elif query.provider_id is not None:
        appointments = appointments.filter(provider_id=query.provider_id)
    if query.status:
        appointments = appointments.filter(status=query.status)
    elif not query.show_cancelled:
        appointments = appointments.exclude(status=AppointmentStatus.CANCELLED)
    rows = []
    for row in appointments.order_by("start", "pk").values(
        "pk",
        "start",
        "end",
        "status",
        "location_id",
        "provider_id",
        "resource_id",
        "patient_id",
        "medspa_id",
        "appointment_type_id",
        "appointment_type__service_id",
        "appointment_type__name",
        "appointment_type__color",
        "patient__first_name",
        "patient__last_name",
        "provider__user__full_name",
        "provider__user__email",
        "resource__name",
    ):  # fmt: skip
        zone = zones[row["location_id"]]
        row["local_start"] = row["start"].astimezone(zone).replace(tzinfo=None)
        if query.start <= row["local_start"].date() < query.end:
            row["local_end"] = row["end"].astimezone(zone).replace(tzinfo=None)
            rows.append(row)
    paperwork = _paperwork(rows)
    # The page an event opens: reversed once, the id left for the browser to put in.
    marker = "987654321987"
    feed = {
        "resources": _resources(query, rows),
        "by": query.by,
        "url": url_of(int(marker)).replace(marker, "{id}"),
        **_table(rows, paperwork, locations, query),
    }
    patients = sorted({(row["patient_id"], row["medspa_id"]) for row in rows})
    return feed, patients


COLUMNS = ["id", "start", "minutes", "patient", "type", "provider", "room", "location", "status", "paperwork"]


def _table(rows: list[dict], paperwork: dict[int, str], locations: dict, query: EventQuery) -> dict:
    """The appointments as calendar_events describes them: the columns once, a row of numbers each, and the
    lists the rows point into, each name once (in the order the rows first name it)."""
    movable = MOVABLE if query.own is None else set()  # a provider's own grid only shows
    lists = {
        "patients": {row["patient_id"]: _name(row) for row in rows},
        "types": {
            row["appointment_type_id"]: [row["appointment_type__name"], row["appointment_type__color"]]
            for row in rows
        },
        "providers": {
            row["provider_id"]: [
                row["provider_id"],
                row["provider__user__full_name"] or row["provider__user__email"],
            ]
            for row in rows
        },
        "rooms": {
            row["resource_id"]: [row["resource_id"], row["resource__name"]]
            for row in rows
            if row["resource_id"]
        },
        "locations": {row["location_id"]: locations[row["location_id"]]["name"] for row in rows},
        "statuses": {
            status: [status.value, status.label, status in movable]
            for status in map(AppointmentStatus, dict.fromkeys(row["status"] for row in rows))
        },
        "paperwork": {words: words for words in (paperwork.get(row["pk"]) for row in rows) if words},
    }
    # Each key's place in its list.
    at = {name: {key: place for place, key in enumerate(listed)} for name, listed in lists.items()}
    patients, types, providers, rooms = at["patients"], at["types"], at["providers"], at["rooms"]
    places, statuses, words = at["locations"], at["statuses"], at["paperwork"]
    midnight = datetime.combine(query.start, time.min)
    minute = timedelta(minutes=1)
    table = [
        [
            row["pk"],
            (row["local_start"] - midnight) // minute,
            (row["local_end"] - row["local_start"]) // minute,
            patients[row["patient_id"]],
            types[row["appointment_type_id"]],
            providers[row["provider_id"]],
            rooms.get(row["resource_id"]),
            places[row["location_id"]],
            statuses[row["status"]],
            words.get(paperwork.get(row["pk"])),
        ]
        for row in rows
    ]
    return {
        "day": query.start.isoformat(),
        "columns": COLUMNS,
        "rows": table,
        **{name: list(listed.values()) for name, listed in lists.items()},
    }


def _name(row: dict) -> str:
    return f"{row['patient__first_name']} {row['patient__last_name']}".strip()


@dataclass(frozen=True, slots=True)
class _Bare:
    """An appointment as paperwork_of reads it."""

    pk: int
    patient_id: int
    appointment_type_id: int
    appointment_type: AppointmentType
    start: datetime


def _paperwork(rows: list[dict]) -> dict[int, str]:
    """Each open appointment's paperwork as the calendar prints it ("Paperwork complete", "Forms 1 of 2 ·
    Consents 0 of 2"), or nothing when it needs none; the rule is scheduling.selectors.paperwork's, given
    bare appointments built from the rows (no query each)."""
    # What paperwork_of reads of an appointment, without a model instance each (a week holds a thousand): one
    # bare AppointmentType per type, shared.
    types: dict[int, AppointmentType] = {}
    upcoming = []
    for row in rows:
        if row["status"] not in OPEN_STATUSES:
            continue
        type_id = row["appointment_type_id"]
        if type_id not in types:
            types[type_id] = AppointmentType(pk=type_id, service_id=row["appointment_type__service_id"])
        upcoming.append(
            _Bare(
                pk=row["pk"],
                patient_id=row["patient_id"],
                appointment_type_id=type_id,
                appointment_type=types[type_id],
                start=row["start"],
            )
        )
    words = {}
    for pk, found in (paperwork_of(upcoming) if upcoming else {}).items():
        if found.needed:
            words[pk] = "Paperwork complete" if found.complete else found.label
    return words


def _resources(query: EventQuery, rows: Iterable[dict]) -> list[dict]:
    """The columns: the providers (those working at the chosen location, or the chosen one), or the rooms
    (the chosen location's, or every active location's); also anyone the appointments name who is not among
    them (a provider who has left still has appointments), and a "No room" column when one takes none."""
    if query.own is not None:
        return []
    if query.by == BY_ROOM:
        rooms = Resource.objects.filter(kind=Resource.Kind.ROOM)
        if query.location_id is not None:
            rooms = rooms.filter(location_id=query.location_id)
        wanted = {row["resource_id"] for row in rows if row["resource_id"]}
        rooms = rooms.filter(Q(is_active=True, location__is_active=True) | Q(pk__in=wanted))
        columns = [
            {
                "id": str(room["pk"]),
                "title": room["name"],
                "extendedProps": {"location": room["location__name"]},
            }
            for room in rooms.order_by("location__name", "name").values("pk", "name", "location__name")
        ]
        if any(not row["resource_id"] for row in rows):
            columns.append({"id": NO_ROOM, "title": "No room", "extendedProps": {"location": ""}})
        return columns
    providers = Membership.objects.filter(is_provider=True, is_active=True)
    if query.provider_id is not None:
        providers = providers.filter(pk=query.provider_id)
    elif query.location_id is not None:
        providers = providers.filter(locations__pk=query.location_id)
    wanted = {row["provider_id"] for row in rows}
    people = Membership.objects.filter(Q(pk__in=providers.values("pk")) | Q(pk__in=wanted))
    return [
        {"id": str(person["pk"]), "title": person["user__full_name"] or person["user__email"]}
        for person in people.order_by("user__full_name", "user__email").values(
            "pk", "user__full_name", "user__email"
        )
    ]
