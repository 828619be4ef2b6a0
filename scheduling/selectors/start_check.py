"""Whether one exact start can be booked: what a booking checks (scheduling.services.booking), with the
rules of scheduling.selectors.slots (the 15-minute lattice from each window's start, daylight saving,
closures, overrides, notice and horizon, rooms) but reading only the start's day and the appointments
that overlap the one interval a booking there would block, in one query."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from scheduling.models import ACTIVE_STATUSES, AppointmentType, AvailabilityOverride
from scheduling.selectors.slots import STEP, Slot, SlotFinder, wall_instant


@dataclass(frozen=True)
class StartCheck:
    """What a booking at one exact start finds: the open slots there (one per free provider, in provider
    order, as `open_slots` lists them), whether the start lies in hours at all, bookings aside, and whether
    the provider asked for (if any) offers the type."""

    slots: list[Slot]
    in_hours: bool
    offered: bool = True


class _OneStart(SlotFinder):
    """SlotFinder's reading of a provider's windows (rules, overrides, closures), over rows of one day
    loaded elsewhere; SlotFinder's own loading (a whole range of days and its appointments) is not run."""

    def __init__(self, location, day: date, rules: list, overrides: list, closed: bool):
        self.location = location
        self.rules = defaultdict(list)
        for provider_id, start_time, end_time in rules:
            self.rules[(provider_id, day.weekday())].append((start_time, end_time))
        self.overrides = defaultdict(list)
        for override in overrides:
            self.overrides[(override.provider_id, day)].append(override)
        self.closed = {day} if closed else set()


# One start's rows in one statement, written out: composing it with the ORM (six querysets, their
# subqueries) cost a third of a booking's CPU. The medspa is named in every part, as scoping would add it.
_ONE_START_SQL = """
WITH providers AS (
    SELECT m.id FROM medspa_membership m
    JOIN scheduling_appointmenttype_providers tp
        ON tp.membership_id = m.id AND tp.appointmenttype_id = %(type)s
    JOIN scheduling_location_providers lp ON lp.membership_id = m.id AND lp.location_id = %(location)s
    WHERE m.medspa_id = %(medspa)s AND m.is_active
    AND (%(provider)s::bigint IS NULL OR m.id = %(provider)s::bigint)
), rooms AS (
    SELECT r.id FROM scheduling_resource r
    JOIN scheduling_appointmenttype_rooms tr ON tr.resource_id = r.id AND tr.appointmenttype_id = %(type)s
    WHERE r.medspa_id = %(medspa)s AND r.is_active
)
SELECT 'offers'::text, m.id, NULL::bigint, NULL::time, NULL::time FROM medspa_membership m
    JOIN scheduling_appointmenttype_providers tp
        ON tp.membership_id = m.id AND tp.appointmenttype_id = %(type)s
    WHERE m.medspa_id = %(medspa)s AND m.id = %(offered)s::bigint
UNION ALL SELECT 'rule', provider_id, location_id, start_time, end_time FROM scheduling_availabilityrule
    WHERE %(day)s::date IS NOT NULL AND medspa_id = %(medspa)s AND location_id = %(location)s
    AND weekday = %(weekday)s AND provider_id IN (SELECT id FROM providers)
UNION ALL SELECT kind, provider_id, location_id, start_time, end_time FROM scheduling_availabilityoverride
    WHERE medspa_id = %(medspa)s AND (location_id = %(location)s OR location_id IS NULL)
    AND date = %(day)s::date
    AND provider_id IN (SELECT id FROM providers)
UNION ALL SELECT 'closed', NULL, location_id, NULL, NULL FROM scheduling_closure
    WHERE medspa_id = %(medspa)s AND (location_id = %(location)s OR location_id IS NULL)
    AND date = %(day)s::date
UNION ALL SELECT 'room', id, NULL, NULL, NULL FROM rooms WHERE %(day)s::date IS NOT NULL
UNION ALL SELECT 'busy', provider_id, resource_id, NULL, NULL FROM scheduling_appointment
    WHERE %(day)s::date IS NOT NULL AND medspa_id = %(medspa)s
    AND (provider_id IN (SELECT id FROM providers) OR resource_id IN (SELECT id FROM rooms))
    AND status = ANY(%(active)s)
    -- The exclusion constraints' own expression, so that their GiST index answers it (slots.BUSY_SQL).
    AND tstzrange(blocked_start, blocked_end, '[)') && tstzrange(%(blocked_start)s, %(blocked_end)s, '[)')
    AND id IS DISTINCT FROM %(exclude)s::bigint
"""


def _one_start_rows(appointment_type, day, *, provider_id, offered_id, blocked, exclude_appointment_id):
    """Everything one start depends on, in one query (a UNION ALL of rows tagged by kind): the day's weekly
    hours and overrides of the type's providers at the location, a closure of the day, the type's rooms,
    the appointments of those providers or rooms that overlap `blocked`, and whether `offered_id` offers the
    type. Columns: kind, an id (provider or room), the location or the room of an appointment, two times.
    Without a day (a start outside notice and horizon), only the offer is read."""
    if day is None and offered_id is None:
        return []
    parameters = {
        "medspa": appointment_type.medspa_id,
        "type": appointment_type.pk,
        "location": appointment_type.location_id,
        "provider": provider_id,
        "offered": offered_id,
        "day": day,
        "weekday": day.weekday() if day is not None else None,
        "active": [str(status) for status in ACTIVE_STATUSES],
        "blocked_start": blocked[0],
        "blocked_end": blocked[1],
        "exclude": exclude_appointment_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(_ONE_START_SQL, parameters)
        return cursor.fetchall()


def start_check(
    appointment_type: AppointmentType,
    start: datetime,
    *,
    provider_id: int | None = None,
    now: datetime | None = None,
    exclude_appointment_id: int | None = None,
    notice: bool = True,
    offered_id: int | None = None,
) -> StartCheck:
    """Whether `start` can be booked for the type (and provider): the slots that `open_slots` of its day
    would list at exactly `start`, with the same rules (the 15-minute lattice from each window's start,
    daylight saving, closures, overrides, notice and horizon, rooms), but reading only that day's hours and
    the appointments that overlap the one interval a booking there would block, in one query. With
    `offered_id`, it also tells whether that provider offers the type (in the same query)."""
    tz = appointment_type.location.tz
    now = now or timezone.now()
    duration = timedelta(minutes=appointment_type.duration_minutes)
    before = timedelta(minutes=appointment_type.buffer_before_minutes)
    after = timedelta(minutes=appointment_type.buffer_after_minutes)
    earliest = now + timedelta(minutes=appointment_type.min_notice_minutes if notice else 0)
    latest = now + timedelta(days=appointment_type.horizon_days)
    in_range = earliest <= start <= latest  # else no slot, and the day may not even be a date
    day = start.astimezone(tz).date() if in_range else None
    blocked_start, blocked_end = (start - before, start + duration + after) if in_range else (None, None)
    rows = _one_start_rows(
        appointment_type,
        day,
        provider_id=provider_id,
        offered_id=offered_id,
        blocked=(blocked_start, blocked_end),
        exclude_appointment_id=exclude_appointment_id,
    )
    by_kind = defaultdict(list)
    for kind, *values in rows:
        by_kind[kind].append(values)
    offered = offered_id is None or bool(by_kind["offers"])
    if not in_range:
        return StartCheck([], False, offered)

    overrides = [
        AvailabilityOverride(
            kind=kind, provider_id=pid, location_id=location_id, start_time=opens, end_time=closes, date=day
        )
        for kind in AvailabilityOverride.Kind.values
        for pid, location_id, opens, closes in by_kind[kind]
    ]
    rules = [(pid, opens, closes) for pid, _, opens, closes in by_kind["rule"]]
    finder = _OneStart(appointment_type.location, day, rules, overrides, bool(by_kind["closed"]))
    in_lattice = []  # one entry per window whose lattice holds `start`, as day_slots walks them
    for pid in sorted({pid for pid, *_ in rules} | {o.provider_id for o in overrides}):
        for window_start, window_end in finder.windows(pid, day):
            opens, close = wall_instant(day, window_start, tz), wall_instant(day, window_end, tz)
            if opens <= start and start + duration <= close and (start - opens) % STEP == timedelta(0):
                in_lattice.append(pid)
    if not in_lattice:
        return StartCheck([], False, offered)

    room_ids = sorted(pid for pid, *_ in by_kind["room"])
    busy_providers = {pid for pid, *_ in by_kind["busy"]}
    busy_rooms = {room for _, room, *_ in by_kind["busy"]}
    free_room = next((rid for rid in room_ids if rid not in busy_rooms), None)
    if room_ids and free_room is None:
        return StartCheck([], True, offered)
    found = [Slot(start, start + duration, pid, free_room) for pid in in_lattice if pid not in busy_providers]
    return StartCheck(found, True, offered)


def slots_at(appointment_type: AppointmentType, start: datetime, **options) -> list[Slot]:
    """The open slots at exactly `start`: those of `open_slots` for its day that start then."""
    return start_check(appointment_type, start, **options).slots
