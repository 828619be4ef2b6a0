"""Open slots: the times an appointment type can really be booked, from the providers' weekly hours,
date overrides and closures (wall-clock times in the location's time zone, so daylight saving is right),
minus existing appointments (with buffers), rooms, minimum notice and the booking horizon.

Every lookup costs one query, however many days or appointments it covers: the providers' hours, overrides,
closures and the rooms, and the busy intervals of the window (read through the exclusion constraints' GiST
index, so that the medspa's past appointments cost nothing)."""

import bisect
import itertools
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from scheduling.models import ACTIVE_STATUSES, AppointmentType, AvailabilityOverride

STEP = timedelta(minutes=15)
# The walk over the lattice counts in integer microseconds since the epoch: exact, and far cheaper than
# datetime arithmetic at every step.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_STEP_US = STEP // _MICROSECOND


def _us(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, UTC
    end: datetime
    provider_id: int
    resource_id: int | None


class _Blocked:
    """The starts a provider or room cannot take: for each busy interval, the open interval of starts whose
    blocked time (buffers included) would meet it, in order of their opening, each with the latest closing
    among it and those before it (so that the closings rise too, and one look at them answers for all)."""

    def __init__(self, busy: list[tuple[int, int]], before: int, reach: int):
        # A start s blocks [s - before, s + reach): it meets [busy_start, busy_end) when
        # busy_start - reach < s < busy_end + before.
        busy.sort()
        self.lows = [busy_start - reach for busy_start, _ in busy]
        self.highs = list(itertools.accumulate((busy_end + before for _, busy_end in busy), max))

    def takes(self, start: int) -> bool:
        """Whether `start` is blocked (O(log n))."""
        index = bisect.bisect_left(self.lows, start) - 1  # the last interval opening before `start`
        return index >= 0 and self.highs[index] > start


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


# The busy intervals of some providers or rooms in a window: provider, room, blocked start and blocked end
# (in microseconds since the epoch, as the walk counts) of their active appointments whose blocked time meets
# [range_start, range_end). The window is read first, as the exclusion constraints' own expression (the
# blocked range) with their condition written out (the statuses as literals), so that their GiST index of
# active appointments answers it: an index scan of the window, however many appointments came before it.
# OFFSET 0 keeps that read apart from the medspa and the ids, which filter what it finds: else the planner,
# misjudging a long window, may AND the index with the medspa's (a read that grows with the past) or ask
# the GiST index once per provider id. {providers} and {rooms} are arrays of ids: bound as parameters when the
# intervals are asked alone (BUSY_SQL), gathered from the lookup's own providers and rooms in LOOKUP_SQL.
_ACTIVE = ", ".join(f"'{status}'" for status in ACTIVE_STATUSES)  # enum values: plain identifiers
_BUSY = f"""SELECT a.provider_id, a.resource_id, (extract(epoch FROM a.blocked_start) * 1000000)::bigint,
    (extract(epoch FROM a.blocked_end) * 1000000)::bigint
    FROM (
        SELECT id, medspa_id, provider_id, resource_id, blocked_start, blocked_end FROM scheduling_appointment
        WHERE status IN ({_ACTIVE})
        AND tstzrange(blocked_start, blocked_end, '[)') && tstzrange(%(range_start)s, %(range_end)s, '[)')
        OFFSET 0
    ) a
    WHERE a.medspa_id = %(medspa)s AND (a.provider_id = ANY({{providers}}) OR a.resource_id = ANY({{rooms}}))
    AND a.id IS DISTINCT FROM %(exclude)s::bigint"""  # noqa: S608 (our statuses; the values are parameters)
BUSY_SQL = _BUSY.format(providers="%(providers)s::bigint[]", rooms="%(rooms)s::bigint[]")

# Everything the slots of some days depend on, in one statement: the appointment type's active providers at
# the location (or the one asked for), their weekly hours there (of the weekdays asked), their overrides and
# the closures of those days, the type's active rooms (one row), and the busy intervals of those providers
# and rooms in the window (a row each, unless bookings are ignored). Plain SQL: the ORM spends on composing
# it several times what the database spends answering it, on every lookup. Each part names the type's
# medspa, as the scoped managers would. The ids are gathered into arrays (ARRAY(SELECT …)) rather than joined:
# the answer is the same, and planning it, a good part of the statement's cost, takes a quarter less.
LOOKUP_SQL = """
WITH providers AS (
    SELECT m.id FROM medspa_membership m
    WHERE m.medspa_id = %(medspa)s AND m.is_active
      AND m.id = ANY(ARRAY(SELECT membership_id FROM scheduling_appointmenttype_providers
                           WHERE appointmenttype_id = %(type)s))
      AND m.id = ANY(ARRAY(SELECT membership_id FROM scheduling_location_providers
                           WHERE location_id = %(location)s))
      AND (%(provider)s::bigint IS NULL OR m.id = %(provider)s::bigint)
), rooms AS (
    SELECT room.id FROM scheduling_resource room
    WHERE room.id = ANY(ARRAY(SELECT resource_id FROM scheduling_appointmenttype_rooms
                              WHERE appointmenttype_id = %(type)s))
      AND room.medspa_id = %(medspa)s AND room.is_active
)
SELECT
    ARRAY(SELECT id FROM providers),
    (SELECT json_agg(json_build_array(r.provider_id, r.weekday, r.start_time, r.end_time))
     FROM scheduling_availabilityrule r
     WHERE r.medspa_id = %(medspa)s AND r.location_id = %(location)s AND r.weekday = ANY(%(weekdays)s)
       AND r.provider_id = ANY(ARRAY(SELECT id FROM providers)))::text,
    (SELECT json_agg(json_build_array(o.provider_id, o.date, o.kind, o.location_id, o.start_time, o.end_time))
     FROM scheduling_availabilityoverride o
     WHERE o.medspa_id = %(medspa)s AND (o.location_id = %(location)s OR o.location_id IS NULL)
       AND o.provider_id = ANY(ARRAY(SELECT id FROM providers))
       AND o.date BETWEEN %(first)s AND %(last)s)::text,
    ARRAY(SELECT c.date FROM scheduling_closure c
          WHERE c.medspa_id = %(medspa)s AND (c.location_id = %(location)s OR c.location_id IS NULL)
            AND c.date BETWEEN %(first)s AND %(last)s),
    ARRAY(SELECT id FROM rooms),
    NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, busy.* FROM (
    {busy}
) busy WHERE %(bookings)s
""".format(  # noqa: S608 (the busy part is ours; the values are parameters)
    busy=_BUSY.format(providers="ARRAY(SELECT id FROM providers)", rooms="ARRAY(SELECT id FROM rooms)")
)


def busy_statement(
    medspa_id: int,
    provider_ids: list[int],
    room_ids: list[int],
    range_start: datetime,
    range_end: datetime,
    exclude_appointment_id: int | None = None,
) -> tuple[str, dict]:
    """BUSY_SQL and its parameters: the busy-interval part of the lookup, asked alone for these ids."""
    return BUSY_SQL, {
        "medspa": medspa_id,
        "providers": list(provider_ids),
        "rooms": list(room_ids),
        "range_start": range_start,
        "range_end": range_end,
        "exclude": exclude_appointment_id,
    }


def busy_intervals(statement: tuple[str, dict]) -> list[tuple[int, int | None, datetime, datetime]]:
    """What a busy_statement finds: (provider, room, blocked start, blocked end) of the medspa's active
    appointments of its providers or rooms whose blocked time meets its range, unordered: see BUSY_SQL."""
    sql, parameters = statement
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        rows = cursor.fetchall()
    return [
        (provider, room, _EPOCH + start * _MICROSECOND, _EPOCH + end * _MICROSECOND)
        for provider, room, start, end in rows
    ]


@dataclass(frozen=True)
class _Override:
    """What slots read of an AvailabilityOverride."""

    kind: str
    location_id: int | None
    start_time: time | None
    end_time: time | None


def lookup_statement(
    appointment_type: AppointmentType,
    first_day: date,
    days: int,
    *,
    provider_id: int | None = None,
    exclude_appointment_id: int | None = None,
    bookings: bool = True,
) -> tuple[str, dict]:
    """LOOKUP_SQL and its parameters, for `days` days from `first_day`."""
    range_start, range_end = search_window(appointment_type.location.tz, first_day, days)
    return LOOKUP_SQL, {
        "medspa": appointment_type.medspa_id,
        "type": appointment_type.pk,
        "location": appointment_type.location_id,
        "provider": provider_id,
        "first": first_day,
        "last": first_day + timedelta(days=days - 1),
        "weekdays": sorted({(first_day + timedelta(days=n)).weekday() for n in range(min(days, 7))}),
        "range_start": range_start,
        "range_end": range_end,
        "exclude": exclude_appointment_id,
        "bookings": bookings,
    }


def _lookup(appointment_type: AppointmentType, first_day: date, days: int, **options) -> tuple[dict, list]:
    """The providers, their hours (rules and overrides), the closures and the rooms; and the statement's
    rows, among which the busy intervals of the window (unless `bookings` is false): see LOOKUP_SQL."""
    with connection.cursor() as cursor:
        cursor.execute(*lookup_statement(appointment_type, first_day, days, **options))
        rows = cursor.fetchall()
    hours = next(row for row in rows if row[0] is not None)  # the one row whose providers are not NULL
    providers, rules, overrides, closures, rooms = hours[:5]
    return {
        "providers": providers,
        "rules": json.loads(rules) if rules else [],
        "overrides": json.loads(overrides) if overrides else [],
        "closures": closures,
        "rooms": rooms,
    }, rows


class SlotFinder:
    """Loads what an appointment type's slots depend on for a range of days, once (one query)."""

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

        hours, rows = _lookup(
            appointment_type,
            first_day,
            days,
            provider_id=provider_id,
            exclude_appointment_id=exclude_appointment_id,
            bookings=not ignore_bookings,
        )
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

        self.duration = timedelta(minutes=appointment_type.duration_minutes)
        before = appointment_type.buffer_before_minutes * 60_000_000
        reach = (appointment_type.duration_minutes + appointment_type.buffer_after_minutes) * 60_000_000
        busy_by_provider, busy_by_room = defaultdict(list), defaultdict(list)
        for row in rows:
            if row[0] is None:  # an interval's row (else the hours')
                interval = row[7:]
                busy_by_provider[row[5]].append(interval)
                if row[6] is not None:
                    busy_by_room[row[6]].append(interval)
        self.blocked = {pid: _Blocked(busy_by_provider[pid], before, reach) for pid in self.provider_ids}
        self.room_blocked = [(rid, _Blocked(busy_by_room[rid], before, reach)) for rid in self.room_ids]

        # The minimum notice is the online rule; staff booking a walk-in pass notice=False.
        self.earliest = self.now + timedelta(minutes=appointment_type.min_notice_minutes if notice else 0)
        self.latest = self.now + timedelta(days=appointment_type.horizon_days)
        self._instants: dict[tuple[date, time], int] = {}
        self._moments: dict[int, tuple[datetime, datetime]] = {}  # a start's (start, end) as Slot holds them

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

    def _instant(self, day: date, wall: time) -> int:
        """wall_instant in microseconds, once per finder (the providers mostly share their hours)."""
        found = self._instants.get((day, wall))
        if found is None:
            found = self._instants[(day, wall)] = _us(wall_instant(day, wall, self.tz))
        return found

    def day_slots(self, day: date) -> list[Slot]:
        """The open slots of `day`, by start then provider: for each provider and working window, the
        15-minute lattice from the window's opening, in real time (UTC), not wall time, so that the skipped
        hour offers nothing and a repeated hour twice; a start is open when it lies between the notice and
        the horizon and its blocked time (buffers included) meets none of the provider's appointments and
        leaves a room free (the first in id order), when the type needs one."""
        earliest, latest = _us(self.earliest), _us(self.latest)
        duration = self.duration // _MICROSECOND
        found = []  # (start, provider, room): plain values, sorted before any Slot is made
        for provider_id in self.provider_ids:
            blocked = self.blocked[provider_id]
            lows, highs, count = blocked.lows, blocked.highs, len(blocked.lows)
            for window_start, window_end in self.windows(provider_id, day):
                opens = self._instant(day, window_start)
                last = min(self._instant(day, window_end) - duration, latest)
                start = opens
                if start < earliest:  # the first start of the lattice at or after the notice
                    start += -(-(earliest - opens) // _STEP_US) * _STEP_US
                index = 0
                while start <= last:
                    while index < count and highs[index] <= start:
                        index += 1
                    if index < count and lows[index] < start:  # taken: on to the lattice's next start after
                        start += -(-(highs[index] - start) // _STEP_US) * _STEP_US
                        continue
                    room = self._room(start) if self.room_blocked else None
                    if room is not False:
                        found.append((start, provider_id, room))
                    start += _STEP_US
        found.sort()  # by start, then provider (the same start twice for one provider: overlapping windows)
        slots, moments = [], self._moments
        for start, provider_id, room in found:
            moment = moments.get(start)
            if moment is None:  # once per instant: the providers mostly share their lattice
                begins = _EPOCH + start * _MICROSECOND
                moment = moments[start] = (begins, begins + self.duration)
            slots.append(Slot(moment[0], moment[1], provider_id, room))
        return slots

    def _room(self, start: int) -> int | bool:
        """The first room free for a start, or False when none is."""
        for room_id, blocked in self.room_blocked:
            if not blocked.takes(start):
                return room_id
        return False

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
