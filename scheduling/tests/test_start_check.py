"""A booking checks only its own start (scheduling.selectors.start_check), so that one start must be
judged exactly as the whole day's open slots judge it: property-style, over many starts of many days of a
seeded world with odd hours, overrides, a closure, rooms, buffers and bookings, the two daylight saving
days of 2026 among them."""

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from medspa.tenancy import medspa_scope
from scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    AvailabilityOverride,
    AvailabilityRule,
    Closure,
    Resource,
)
from scheduling.selectors import slots, start_check
from tests import factories

LA = ZoneInfo("America/Los_Angeles")
SPRING, FALL = date(2026, 3, 8), date(2026, 11, 1)  # the clocks go forward, then back
CLOSED = date(2026, 3, 10)
DAYS = [SPRING, SPRING + timedelta(days=1), CLOSED, FALL - timedelta(days=1), FALL, FALL + timedelta(days=1)]


def _world(cast):
    """Three providers at one clinic in Los Angeles; a 45-minute type needing one of two rooms (5 minutes'
    buffer before, 10 after) and a 30-minute type without rooms and with two hours' notice."""
    first = cast.provider_a1.memberships.get()
    second = cast.provider_a2.memberships.get()
    third = factories.MembershipFactory(medspa=cast.medspa_a, is_provider=True)
    providers = [first, second, third]
    location, roomy = factories.scheduling_world(
        cast.medspa_a, providers, duration_minutes=45, buffer_before_minutes=5, buffer_after_minutes=10
    )
    rooms = [
        Resource.objects.create(medspa=cast.medspa_a, location=location, name=f"Room {n}") for n in (1, 2)
    ]
    retired = Resource.objects.create(medspa=cast.medspa_a, location=location, name="Room 3", is_active=False)
    roomy.rooms.set([*rooms, retired])
    plain = AppointmentType.objects.create(
        medspa=cast.medspa_a, location=location, service=roomy.service, name="Consultation",
        duration_minutes=30, min_notice_minutes=120, horizon_days=90, price=roomy.price,
    )  # fmt: skip
    plain.providers.set(providers)
    AvailabilityRule.objects.filter(location=location).delete()
    for weekday in range(7):
        for provider, hours in (
            (first, [(time(0, 30), time(4, 10)), (time(9, 10), time(12)), (time(13), time(17, 50))]),
            (second, [(time(1, 45), time(3, 5)), (time(8), time(16))]),
            (third, [(time(10, 5), time(18, 55))]),
        ):
            for opens, closes in hours:
                AvailabilityRule.objects.create(
                    medspa=cast.medspa_a, provider=provider, location=location, weekday=weekday,
                    start_time=opens, end_time=closes,
                )  # fmt: skip
    override = AvailabilityOverride.objects.create
    # Extra hours overlapping the weekly ones (the day's slots then list the same start twice), time off
    # for part of a day, a whole day off, and extra hours elsewhere (which do not count here).
    override(medspa=cast.medspa_a, provider=first, location=location, date=SPRING, kind="extra",
             start_time=time(11, 20), end_time=time(14, 40))  # fmt: skip
    override(medspa=cast.medspa_a, provider=second, location=None, date=SPRING, kind="off",
             start_time=time(10, 10), end_time=time(11, 35))  # fmt: skip
    override(medspa=cast.medspa_a, provider=third, location=None, date=FALL, kind="off")
    override(medspa=cast.medspa_a, provider=second, location=location, date=FALL, kind="extra",
             start_time=time(18), end_time=time(21, 10))  # fmt: skip
    other_location, _ = factories.scheduling_world(cast.medspa_a, [third])
    override(medspa=cast.medspa_a, provider=third, location=other_location, date=SPRING, kind="extra",
             start_time=time(19), end_time=time(22))  # fmt: skip
    Closure.objects.create(medspa=cast.medspa_a, location=location, date=CLOSED, reason="Inventory")
    return providers, [roomy, plain], rooms


def _bookings(cast, rng, providers, types, rooms) -> list[Appointment]:
    """Random appointments on the days (some cancelled), as many as the exclusion constraints let in."""
    patient = factories.PatientFactory(medspa=cast.medspa_a)
    made = []
    for _ in range(160):
        day = rng.choice(DAYS)
        appointment_type = rng.choice(types)
        start = datetime.combine(day, time(0), tzinfo=LA).astimezone(UTC) + timedelta(
            minutes=5 * rng.randrange(0, 24 * 12)
        )
        end = start + timedelta(minutes=rng.choice([15, 30, 45, 60]))
        room = rng.choice(rooms) if appointment_type.rooms.exists() and rng.random() < 0.8 else None
        status = AppointmentStatus.CANCELLED if rng.random() < 0.15 else AppointmentStatus.BOOKED
        try:
            with transaction.atomic():
                made.append(
                    Appointment.objects.create(
                        medspa=cast.medspa_a,
                        location=appointment_type.location,
                        patient=patient,
                        provider=rng.choice(providers),
                        appointment_type=appointment_type,
                        resource=room,
                        start=start,
                        end=end,
                        blocked_start=start - timedelta(minutes=rng.choice([0, 5])),
                        blocked_end=end + timedelta(minutes=rng.choice([0, 10])),
                        status=status,
                    )  # fmt: skip
                )
        except IntegrityError:
            continue
    return made


def _starts(day: date, rng: random.Random) -> list[datetime]:
    """Every five minutes of the local day in real time (the repeated hour twice, the skipped one never),
    a few odd seconds, and the moments the windows open and close."""
    first = datetime.combine(day, time(0), tzinfo=LA).astimezone(UTC)
    last = datetime.combine(day + timedelta(days=1), time(0), tzinfo=LA).astimezone(UTC)
    starts = []
    while first < last:
        starts.append(first)
        first += timedelta(minutes=5)
    starts += [moment + timedelta(seconds=rng.randrange(1, 300)) for moment in rng.sample(starts, 10)]
    return starts


def test_one_start_is_judged_as_the_whole_days_open_slots_judge_it(cast):
    rng = random.Random(2026)
    with medspa_scope(cast.medspa_a):
        providers, types, rooms = _world(cast)
        made = _bookings(cast, rng, providers, types, rooms)
        assert len(made) > 40
        checked = open_found = taken_found = 0
        for day in DAYS:
            for appointment_type in types:
                for provider_id in (None, *(p.pk for p in providers)):
                    # A `now` well before the day, and one inside it (the notice and the past then bind).
                    for now in (
                        datetime.combine(day - timedelta(days=2), time(12), tzinfo=UTC),
                        datetime.combine(day, time(10), tzinfo=LA),
                    ):
                        for notice in (True, False):
                            exclude = rng.choice([None, rng.choice(made).pk])
                            options = {
                                "provider_id": provider_id, "now": now, "notice": notice,
                                "exclude_appointment_id": exclude,
                            }  # fmt: skip
                            day_slots = slots.open_slots(appointment_type, day, **options)
                            in_hours = slots.open_slots(
                                appointment_type, day, ignore_bookings=True, **options
                            )
                            for start in rng.sample(_starts(day, rng), 25) + [s.start for s in day_slots[:3]]:
                                check = start_check.start_check(appointment_type, start, **options)
                                assert check.slots == [s for s in day_slots if s.start == start], (day, start)
                                assert check.in_hours == any(s.start == start for s in in_hours), (day, start)
                                checked += 1
                                open_found += bool(check.slots)
                                taken_found += check.in_hours and not check.slots
        # The sample met every case: open starts, starts in hours but taken, and starts outside hours.
        assert checked > 3000 and open_found > 100 and taken_found > 50 and checked - open_found > 1000


def test_the_lattice_runs_from_each_windows_opening_across_both_clock_changes(cast):
    with medspa_scope(cast.medspa_a):
        providers, (roomy, plain), _ = _world(cast)
        now = datetime(2026, 2, 1, tzinfo=UTC)  # both days inside the 90-day horizon from their `now`
        first = providers[0].pk
        # 00:30–04:10 on the spring day: 2:00–3:00 does not exist; 01:45 still opens a slot, and 03:00 PDT
        # (the instant after 01:59:59 PST) is on the lattice that started at 00:30 PST.
        spring = start_check.slots_at(
            plain, datetime(2026, 3, 8, 1, 45, tzinfo=LA), provider_id=first, now=now
        )
        assert [slot.provider_id for slot in spring] == [first]
        jump = datetime(2026, 3, 8, 10, 0, tzinfo=UTC)  # 03:00 PDT
        assert [s.start for s in start_check.slots_at(plain, jump, provider_id=first, now=now)] == [jump]
        assert start_check.slots_at(plain, jump + timedelta(minutes=10), provider_id=first, now=now) == []
        # The repeated 1 a.m. hour of the fall day: 01:15 PDT and 01:15 PST are two distinct slots.
        twice = [datetime(2026, 11, 1, 8, 15, tzinfo=UTC), datetime(2026, 11, 1, 9, 15, tzinfo=UTC)]
        now = datetime(2026, 10, 1, tzinfo=UTC)
        for moment in twice:
            assert [s.start for s in start_check.slots_at(plain, moment, provider_id=first, now=now)] == [
                moment
            ]
        # The closed day has nothing, and says the time is outside the hours.
        now = datetime(2026, 2, 1, tzinfo=UTC)
        closed = start_check.start_check(plain, datetime(2026, 3, 10, 10, tzinfo=LA), now=now)
        assert closed.slots == [] and not closed.in_hours
        # A provider who does not offer the type is told apart (the booking's own message).
        outsider = factories.MembershipFactory(medspa=cast.medspa_a, is_provider=True).pk
        refused = start_check.start_check(
            plain, datetime(2026, 3, 9, 10, tzinfo=LA), provider_id=outsider, offered_id=outsider, now=now
        )
        assert not refused.offered and refused.slots == [] and not refused.in_hours
        assert start_check.start_check(
            plain, datetime(2026, 3, 9, 10, tzinfo=LA), offered_id=first, now=now
        ).offered


def test_it_reads_one_query_whatever_the_day_holds(cast, django_assert_num_queries):
    with medspa_scope(cast.medspa_a):
        providers, (roomy, _), rooms = _world(cast)
        _bookings(cast, random.Random(3), providers, [roomy], rooms)
        now = datetime(2026, 2, 1, tzinfo=UTC)
        roomy = type(roomy).objects.select_related("location").get(pk=roomy.pk)
        # the day's weekly hours, overrides and closure, the type's rooms, the appointments that overlap and
        # whether the provider offers the type: one UNION ALL
        for start in (datetime(2026, 3, 9, 10, tzinfo=LA), datetime(2026, 3, 8, 2, 30, tzinfo=LA)):
            with django_assert_num_queries(1):
                check = start_check.start_check(roomy, start, now=now, offered_id=providers[1].pk)
            assert check.offered
        with django_assert_num_queries(0):  # beyond the horizon: no slot, and nothing to read
            assert start_check.start_check(roomy, datetime(2026, 9, 9, 10, tzinfo=LA), now=now).slots == []
