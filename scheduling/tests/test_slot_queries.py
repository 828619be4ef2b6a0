"""What a slot lookup costs the database: one query, whose read of the busy intervals stays inside the window
asked for, however many appointments the medspa had before it."""

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection

from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, AppointmentStatus, AppointmentType
from scheduling.selectors import slots
from tests import factories

DAY = date(2027, 5, 12)  # a Wednesday
NOW = datetime(2027, 5, 1, 12, tzinfo=UTC)
EXCLUSION_INDEXES = {"appointment_no_provider_double_booking", "appointment_no_room_double_booking"}


@pytest.fixture
def clinic(cast):
    """Two providers of medspa A and one room, a type that needs the room, and a booking on DAY."""
    with medspa_scope(cast.medspa_a):
        providers = [cast.provider_a1.memberships.get(), cast.provider_a2.memberships.get()]
        location, appointment_type = factories.scheduling_world(cast.medspa_a, providers, rooms=1)
        patient = factories.PatientFactory(medspa=cast.medspa_a)
        room = appointment_type.rooms.get()
        _book(
            appointment_type, providers[0], patient, datetime.combine(DAY, time(10), tzinfo=location.tz), room
        )
        appointment_type = AppointmentType.objects.select_related("location").get(pk=appointment_type.pk)
        return appointment_type, providers, patient, room


def _book(appointment_type, provider, patient, start, room=None, status=AppointmentStatus.BOOKED):
    return Appointment(
        medspa=appointment_type.medspa,
        location=appointment_type.location,
        provider=provider,
        patient=patient,
        appointment_type=appointment_type,
        resource=room,
        start=start,
        end=start + timedelta(minutes=30),
        blocked_start=start,
        blocked_end=start + timedelta(minutes=40),
        status=status,
    ).save()


def _past(appointment_type, providers, patient, room, *, days: int, skip: int = 0) -> None:
    """Completed appointments of both providers (the first with the room) every hour of `days` days before
    DAY, the `skip` days just before it left out."""
    rows = []
    for offset in range(1 + skip, days + 1):
        for hour in range(9, 17):
            for provider in providers:
                start = datetime.combine(DAY - timedelta(days=offset), time(hour), tzinfo=UTC)
                rows.append(
                    Appointment(
                        medspa=appointment_type.medspa,
                        location=appointment_type.location,
                        provider=provider,
                        patient=patient,
                        appointment_type=appointment_type,
                        resource=room if provider == providers[0] else None,
                        start=start,
                        end=start + timedelta(minutes=30),
                        blocked_start=start,
                        blocked_end=start + timedelta(minutes=40),
                        status=AppointmentStatus.COMPLETED,
                    )
                )
    Appointment.objects.bulk_create(rows)


def _rows_read(appointment_type) -> tuple[int, set[str], list[str]]:
    """EXPLAIN ANALYZE of the lookup's one statement for DAY, with sequential scans off (the tables of a
    test are too small for the planner to want an index otherwise): the rows its scans of the appointments
    read (returned, filtered out or rechecked away), the indexes of the appointments they used, their index
    conditions."""
    sql, params = slots.lookup_statement(appointment_type, DAY, 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'scheduling_appointment'")
        appointment_indexes = {name for (name,) in cursor.fetchall()}
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_seqscan = on")
    plan = json.loads(plan) if isinstance(plan, str) else plan
    read, indexes, conditions = 0, set(), []

    def walk(node):
        nonlocal read
        if (
            node.get("Relation Name") == "scheduling_appointment"
            or node.get("Index Name") in appointment_indexes
        ):
            loops = node.get("Actual Loops", 1)
            read += (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * loops
            read += node.get("Rows Removed by Index Recheck", 0)
            if "Index Name" in node:
                indexes.add(node["Index Name"])
                conditions.append(node.get("Index Cond", ""))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return read, indexes, conditions


def test_open_slots_of_a_day_cost_one_query(cast, clinic, django_assert_num_queries):
    appointment_type, providers, _, _ = clinic
    with medspa_scope(cast.medspa_a):
        # The type's providers, their hours, overrides and closures of the days, its rooms, and the busy
        # intervals of those providers and rooms in the window: one statement.
        with django_assert_num_queries(1):
            found = slots.open_slots(appointment_type, DAY, now=NOW)
        with django_assert_num_queries(1):
            first = slots.first_available(appointment_type, days=30, now=NOW)
    ten = datetime.combine(DAY, time(10), tzinfo=appointment_type.location.tz)
    # The room is taken at 10:00 (with its buffer until 10:40): neither provider has a slot that needs it.
    assert [
        s.start for s in found if ten - timedelta(minutes=30) < s.start < ten + timedelta(minutes=40)
    ] == []
    assert {s.provider_id for s in found} == {p.pk for p in providers}
    assert first is not None and first.start >= NOW


def test_the_busy_intervals_read_only_the_window_however_long_the_past(cast, clinic):
    appointment_type, providers, patient, room = clinic
    with medspa_scope(cast.medspa_a):
        _past(appointment_type, providers, patient, room, days=1)
        few, indexes, conditions = _rows_read(appointment_type)
        _past(appointment_type, providers, patient, room, days=60, skip=1)
        many, _, _ = _rows_read(appointment_type)
    # The day's one booking, found by the provider's index and by the room's: the window bounds the read.
    assert few == many
    assert indexes <= EXCLUSION_INDEXES and indexes
    assert all("&&" in condition for condition in conditions)


def test_the_busy_intervals_asked_alone_are_those_the_lookup_reads(cast, clinic):
    """The bench's bare query is the lookup's busy-interval part asked alone: both read the same rows."""
    appointment_type, providers, patient, room = clinic
    with medspa_scope(cast.medspa_a):
        _past(appointment_type, providers, patient, room, days=2)
        for first_day, days, expected in ((DAY, 1, 1), (DAY - timedelta(days=2), 3, 33)):
            sql, params = slots.lookup_statement(appointment_type, first_day, days)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                read = [tuple(row[5:]) for row in cursor.fetchall() if row[0] is None]
                finder = slots.SlotFinder(appointment_type, first_day, days, now=NOW)
                cursor.execute(
                    *slots.busy_statement(
                        cast.medspa_a.pk, finder.provider_ids, finder.room_ids, params["range_start"],
                        params["range_end"],
                    )
                )  # fmt: skip
                alone = cursor.fetchall()
            assert sorted(read) == sorted(alone)
            assert len(alone) == expected  # the day's booking; and the two days' 32 past ones
