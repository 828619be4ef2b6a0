"""Open slots: the times an appointment type can really be booked, from the providers' weekly hours,
date overrides and closures (wall-clock times in the location's time zone, so daylight saving is right),
minus existing appointments (with buffers), rooms, minimum notice and the booking horizon.

Every lookup costs two queries, however many days or appointments it covers: one for the providers' hours,
overrides, closures and the rooms, one for the busy intervals of the window (read through the exclusion
constraints' GiST index, so that the medspa's past appointments cost nothing)."""

import bisect
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.postgres.fields import RangeBoundary
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Q
from django.utils import timezone

from scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentType,
    AvailabilityOverride,
)
from scheduling.models.appointments import TsTzRange

STEP = timedelta(minutes=15)


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, UTC
    end: datetime
    provider_id: int
    resource_id: int | None


class _Busy:
    """Busy intervals of one provider or room, for overlap checks in O(log n)."""

    def __init__(self, intervals):
        intervals = sorted(intervals)
        self.starts = [start for start, _ in intervals]
        self.max_ends = []  # the latest end among the intervals up to each index
        latest = None
        for _, end in intervals:
            latest = end if latest is None or end > latest else latest
            self.max_ends.append(latest)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether [start, end) meets any busy interval."""
        index = bisect.bisect_left(self.starts, end)  # the intervals that start before `end`
        return index > 0 and self.max_ends[index - 1] > start


def _subtract(windows: list[tuple[time, time]], cut: tuple[time, time]) -> list[tuple[time, time]]:
    result = []
    for start, end in windows:
        if cut[1] <= start or cut[0] >= end:
            result.append((start, end))
            continue
        if start < cut[0]:
            result.append((start, cut[0]))
        if cut[1] < end:
            result.append((cut[1], end))
    return result


def wall_instant(day: date, wall: time, tz) -> datetime:
    """The UTC instant at which the clocks of `tz` read `wall` on `day`. When the clocks go back and read it
    twice, the first time; when they jump over it (spring forward), the moment of the jump, so a window
    that opens or closes in the skipped hour opens or closes when the clocks land."""
    local = datetime.combine(day, wall, tzinfo=tz)
    later = local.astimezone(
        UTC
    )  # fold=0: the first reading, or for a skipped time the offset before the jump
    if later.astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None):
        return later
    earlier = local.replace(fold=1).astimezone(UTC)  # the offset after the jump: before it, in real time
    after_offset = later.astimezone(tz).utcoffset()
    while later - earlier > timedelta(seconds=1):  # the jump lies between: find it to the second
        middle = earlier + timedelta(seconds=(later - earlier).total_seconds() // 2)
        if middle.astimezone(tz).utcoffset() == after_offset:
            later = middle
        else:
            earlier = middle
    return later


def search_window(tz, first_day: date, days: int) -> tuple[datetime, datetime]:
    """The instants whose appointments can touch the slots of `days` days from `first_day` (wall-clock
    days of `tz`), with a few hours' margin for the days the clocks change."""
    last_day = first_day + timedelta(days=days - 1)
    return (
        datetime.combine(first_day, time.min, tzinfo=tz) - timedelta(hours=3),
        datetime.combine(last_day, time.max, tzinfo=tz) + timedelta(hours=3),
    )


def busy_intervals(
    provider_ids: list[int],
    room_ids: list[int],
    range_start: datetime,
    range_end: datetime,
    exclude_appointment_id: int | None = None,
):
    """(provider, room, blocked start, blocked end) of the active appointments of these providers or rooms
    whose blocked time meets [range_start, range_end).

    Asked as the exclusion constraints' own expression (the blocked range), so that their GiST index of
    active appointments answers it: an index scan of the window, however many appointments came before it
    (the provider and room conditions filter what it finds; the provider index holds every active
    appointment, those with a room too)."""
    if not provider_ids and not room_ids:
        return Appointment.objects.none().values_list(
            "provider_id", "resource_id", "blocked_start", "blocked_end"
        )
    overlapping = Appointment.objects.alias(
        blocked=TsTzRange("blocked_start", "blocked_end", RangeBoundary())
    ).filter(
        Q(provider_id__in=provider_ids) | Q(resource_id__in=room_ids),
        status__in=ACTIVE_STATUSES,
        blocked__overlap=DateTimeTZRange(range_start, range_end),
    )
    if exclude_appointment_id is not None:
        overlapping = overlapping.exclude(pk=exclude_appointment_id)
    # Unordered: _Busy sorts them.
    return overlapping.order_by().values_list("provider_id", "resource_id", "blocked_start", "blocked_end")


@dataclass(frozen=True)
class _Override:
    """What slots read of an AvailabilityOverride."""

    kind: str
    location_id: int | None
    start_time: time | None
    end_time: time | None


# What the slots of some days depend on besides the bookings, in one statement: the appointment type's
# active providers at the location (or the one asked for), their weekly hours there, their overrides and the
# closures of those days, and the type's active rooms. Plain SQL: the ORM spends on composing five
# subqueries several times what the database spends answering them, on every lookup. Each part names the
# type's medspa, as the scoped managers would.
HOURS_SQL = """
WITH providers AS (
    SELECT m.id FROM medspa_membership m
    WHERE m.medspa_id = %(medspa)s AND m.is_active
      AND m.id IN (SELECT membership_id FROM scheduling_appointmenttype_providers
                   WHERE appointmenttype_id = %(type)s)
      AND m.id IN (SELECT membership_id FROM scheduling_location_providers WHERE location_id = %(location)s)
      AND (%(provider)s::bigint IS NULL OR m.id = %(provider)s::bigint)
)
SELECT
    ARRAY(SELECT id FROM providers),
    (SELECT json_agg(json_build_array(r.provider_id, r.weekday, r.start_time, r.end_time))
     FROM scheduling_availabilityrule r
     WHERE r.medspa_id = %(medspa)s AND r.location_id = %(location)s
       AND r.provider_id IN (SELECT id FROM providers))::text,
    (SELECT json_agg(json_build_array(o.provider_id, o.date, o.kind, o.location_id, o.start_time, o.end_time))
     FROM scheduling_availabilityoverride o
     WHERE o.medspa_id = %(medspa)s AND (o.location_id = %(location)s OR o.location_id IS NULL)
       AND o.provider_id IN (SELECT id FROM providers) AND o.date BETWEEN %(first)s AND %(last)s)::text,
    ARRAY(SELECT c.date FROM scheduling_closure c
          WHERE c.medspa_id = %(medspa)s AND (c.location_id = %(location)s OR c.location_id IS NULL)
            AND c.date BETWEEN %(first)s AND %(last)s),
    ARRAY(SELECT room.id FROM scheduling_resource room
          JOIN scheduling_appointmenttype_rooms chosen ON chosen.resource_id = room.id
          WHERE chosen.appointmenttype_id = %(type)s AND room.medspa_id = %(medspa)s AND room.is_active)
"""


def _hours(appointment_type: AppointmentType, first_day: date, last_day: date, provider_id) -> dict:
    """The providers, their hours (rules and overrides), the closures and the rooms: see HOURS_SQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            HOURS_SQL,
            {
                "medspa": appointment_type.medspa_id,
                "type": appointment_type.pk,
                "location": appointment_type.location_id,
                "provider": provider_id,
                "first": first_day,
                "last": last_day,
            },
        )
        providers, rules, overrides, closures, rooms = cursor.fetchone()
    return {
        "providers": providers,
        "rules": json.loads(rules) if rules else [],
        "overrides": json.loads(overrides) if overrides else [],
        "closures": closures,
        "rooms": rooms,
    }


class SlotFinder:
    """Loads what an appointment type's slots depend on for a range of days, once (two queries)."""

    def __init__(
        self,
        appointment_type: AppointmentType,
        first_day: date,
        days: int,
        *,
        provider_id: int | None = None,
        now: datetime | None = None,
        exclude_appointment_id: int | None = None,
        ignore_bookings: bool = False,
        notice: bool = True,
    ):
        self.type = appointment_type
        self.location = appointment_type.location
        self.tz = self.location.tz
        self.now = now or timezone.now()
        self.first_day, self.days = first_day, days
        last_day = first_day + timedelta(days=days - 1)
        range_start, range_end = search_window(self.tz, first_day, days)

        hours = _hours(appointment_type, first_day, last_day, provider_id)
        self.provider_ids = sorted(hours["providers"])
        self.rules = defaultdict(list)  # (provider, weekday) -> [(start, end)]
        for provider, weekday, start, end in hours["rules"]:
            self.rules[(provider, weekday)].append((time.fromisoformat(start), time.fromisoformat(end)))
        self.overrides = defaultdict(list)  # (provider, date) -> [override]
        for provider, day, kind, location_id, start, end in hours["overrides"]:
            override = _Override(
                kind=kind,
                location_id=location_id,
                start_time=time.fromisoformat(start) if start is not None else None,
                end_time=time.fromisoformat(end) if end is not None else None,
            )
            self.overrides[(provider, date.fromisoformat(day))].append(override)
        self.closed = set(hours["closures"])
        self.room_ids = sorted(hours["rooms"])

        busy_by_provider, busy_by_room = defaultdict(list), defaultdict(list)
        if not ignore_bookings:
            overlapping = busy_intervals(
                self.provider_ids, self.room_ids, range_start, range_end, exclude_appointment_id
            )
            for provider, resource, start, end in overlapping:
                busy_by_provider[provider].append((start, end))
                if resource is not None:
                    busy_by_room[resource].append((start, end))
        self.busy = {pid: _Busy(busy_by_provider[pid]) for pid in self.provider_ids}
        self.room_busy = {rid: _Busy(busy_by_room[rid]) for rid in self.room_ids}

        self.duration = timedelta(minutes=appointment_type.duration_minutes)
        self.before = timedelta(minutes=appointment_type.buffer_before_minutes)
        self.after = timedelta(minutes=appointment_type.buffer_after_minutes)
        # The minimum notice is the online rule; staff booking a walk-in pass notice=False.
        self.earliest = self.now + timedelta(minutes=appointment_type.min_notice_minutes if notice else 0)
        self.latest = self.now + timedelta(days=appointment_type.horizon_days)

    def windows(self, provider_id: int, day: date) -> list[tuple[time, time]]:
        """The provider's working intervals at this location on `day`, in wall-clock time."""
        if day in self.closed:
            return []
        windows = list(self.rules.get((provider_id, day.weekday()), []))
        overrides = self.overrides.get((provider_id, day), [])
        for override in overrides:
            if override.kind == AvailabilityOverride.Kind.EXTRA and override.location_id == self.location.pk:
                windows.append((override.start_time, override.end_time))
        for override in overrides:
            if override.kind == AvailabilityOverride.Kind.OFF:
                if override.start_time is None:
                    return []
                windows = _subtract(windows, (override.start_time, override.end_time))
        return sorted(windows)

    def day_slots(self, day: date) -> list[Slot]:
        slots = []
        for provider_id in self.provider_ids:
            busy = self.busy[provider_id]
            for window_start, window_end in self.windows(provider_id, day):
                # Real time (UTC), not wall time: the skipped hour offers nothing, a repeated hour twice.
                start = wall_instant(day, window_start, self.tz)
                close = wall_instant(day, window_end, self.tz)
                while start + self.duration <= close:
                    slot = self._slot(provider_id, start, busy)
                    if slot is not None:
                        slots.append(slot)
                    start += STEP
        slots.sort(key=lambda slot: (slot.start, slot.provider_id))
        return slots

    def _slot(self, provider_id: int, start: datetime, busy: _Busy) -> Slot | None:
        if start < self.earliest or start > self.latest:
            return None
        end = start + self.duration
        blocked_start, blocked_end = start - self.before, end + self.after
        if busy.overlaps(blocked_start, blocked_end):
            return None
        resource_id = None
        if self.room_ids:
            resource_id = next(
                (
                    rid
                    for rid in self.room_ids
                    if not self.room_busy[rid].overlaps(blocked_start, blocked_end)
                ),
                None,
            )
            if resource_id is None:
                return None
        return Slot(start, end, provider_id, resource_id)

    def all_days(self) -> dict[date, list[Slot]]:
        return {
            self.first_day + timedelta(days=n): self.day_slots(self.first_day + timedelta(days=n))
            for n in range(self.days)
        }


def open_slots(appointment_type: AppointmentType, day: date, **options) -> list[Slot]:
    """The open slots of one day (the location's calendar day)."""
    return SlotFinder(appointment_type, day, 1, **options).day_slots(day)


def first_available(appointment_type: AppointmentType, *, days: int = 30, **options) -> Slot | None:
    """The earliest open slot from today (in the location's time zone) over the next `days` days."""
    now = options.get("now") or timezone.now()
    today = now.astimezone(appointment_type.location.tz).date()
    finder = SlotFinder(appointment_type, today, days, **options)
    for offset in range(days):
        slots = finder.day_slots(today + timedelta(days=offset))
        if slots:
            return slots[0]
    return None


def distinct_times(slots: list[Slot]) -> list[Slot]:
    """For "any provider": one slot per start time (the first free provider's)."""
    seen, result = set(), []
    for slot in slots:
        if slot.start not in seen:
            seen.add(slot.start)
            result.append(slot)
    return result
