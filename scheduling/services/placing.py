"""Where a booking or a move is written: the candidate slots' rooms and providers locked, then the
appointment inserted (or updated) in the first slot the database accepts. The database's exclusion
constraints are the last word on double booking, whatever races happen between the check and the write."""

import functools
from datetime import timedelta

import psycopg
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction

from medspa.rows import ModelInsert
from scheduling.models import Appointment
from scheduling.selectors import slots
from scheduling.services.booking_errors import SlotUnavailable

PROVIDER_CONSTRAINT = "appointment_no_provider_double_booking"
ROOM_CONSTRAINT = "appointment_no_room_double_booking"
KEY_CONSTRAINT = "appointment_booked_once_per_key"
LOCK_ATTEMPTS = 3  # inserts of one appointment that lost a race for a lock (a deadlock) before a 409


def constraint_of(error: IntegrityError) -> str:
    cause = error.__cause__
    return getattr(getattr(cause, "diag", None), "constraint_name", "") or ""


def lock_candidates(candidates: list[slots.Slot]) -> None:
    """Locks the rooms, then the providers, that the candidate slots name, each in the order of their ids,
    before the insert. Two bookings that need one room or one provider then queue here, instead of meeting
    inside the exclusion constraint, which inserts its index entry before it checks: two inserts that each
    see the other's entry wait for each other, a deadlock. FOR NO KEY UPDATE, so rows that point to a room
    or a provider can still be written meanwhile. Written out, as start_check's query is: less CPU."""
    rooms = sorted({slot.resource_id for slot in candidates if slot.resource_id is not None})
    providers = sorted({slot.provider_id for slot in candidates})
    with connection.cursor() as cursor:
        for statement, ids in ((_LOCK_ROOMS, rooms), (_LOCK_PROVIDERS, providers)):
            if ids:
                cursor.execute(statement, [ids])


_LOCK_ROOMS = "SELECT id FROM scheduling_resource WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE"
_LOCK_PROVIDERS = "SELECT id FROM medspa_membership WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE"


def _lock_lost(error: DatabaseError) -> bool:
    """A deadlock or a serialization failure: the transaction lost a race, and may simply try again."""
    return isinstance(error.__cause__, (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure))


def _save_retrying(appointment: Appointment) -> None:
    """Saves the moved appointment in a savepoint, again when it lost a race for a lock: rolling back to the
    savepoint releases what the update held, so the other transaction goes on; then the update is tried
    once more (and meets the other's appointment as an IntegrityError). Still losing after a few attempts,
    the time is taken: SlotUnavailable (409), never a 500."""
    for _attempt in range(LOCK_ATTEMPTS):
        try:
            with transaction.atomic():
                appointment.save()
            return
        except OperationalError as error:
            if not _lock_lost(error):
                raise
    raise SlotUnavailable()


_INSERT = functools.cache(lambda: ModelInsert(Appointment))
# The savepoint and the insert go in one round trip (after the history context the audit prepends): the
# insert is rolled back to it when it lost a race for a lock. It is released when the transaction ends.
_SAVEPOINT = "appointment_insert"


def _insert_retrying(appointment: Appointment) -> bool:
    """Inserts the new appointment; False when its time was taken (a provider's or a room's exclusion
    constraint) or its idempotency key used meanwhile: the insert does nothing then (ON CONFLICT DO NOTHING),
    so a taken time costs no exception and no savepoint of Django's. When it lost a race for a lock (a
    deadlock, a serialization failure) it is rolled back to its savepoint, which releases what it held, and
    tried again; still losing after a few attempts, the time is taken: SlotUnavailable (409), never a 500."""
    insert = _INSERT()
    for _attempt in range(LOCK_ATTEMPTS):
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SAVEPOINT {_SAVEPOINT}; {insert.sql}", insert.values(appointment))
                while cursor.description is None and cursor.nextset():  # past the savepoint's result
                    pass
                row = cursor.fetchone()
        except OperationalError as error:
            if not _lock_lost(error):
                raise
            with connection.cursor() as cursor:
                cursor.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            continue
        if row is None:
            return False
        insert.inserted(appointment, row[0])
        return True
    raise SlotUnavailable()


def _key_used(appointment: Appointment) -> bool:
    return Appointment.objects.filter(
        medspa_id=appointment.medspa_id, idempotency_key=appointment.idempotency_key
    ).exists()


def place(appointment: Appointment, candidates: list[slots.Slot], *, provider_fixed: bool) -> Appointment:
    """Saves the appointment in the first candidate slot the database accepts."""
    appointment_type = appointment.appointment_type
    before = timedelta(minutes=appointment_type.buffer_before_minutes)
    after = timedelta(minutes=appointment_type.buffer_after_minutes)
    lock_candidates(candidates)
    adding = appointment._state.adding
    for slot in candidates:
        appointment.provider_id, appointment.resource_id = slot.provider_id, slot.resource_id
        appointment.start, appointment.end = slot.start, slot.end
        appointment.blocked_start, appointment.blocked_end = slot.start - before, slot.end + after
        if adding:
            if _insert_retrying(appointment):
                return appointment
            if appointment.idempotency_key and _key_used(appointment):
                break  # a booking made with this key already: the caller looks it up
            continue  # taken: the next candidate may be free
        try:
            _save_retrying(appointment)
            return appointment
        except IntegrityError as error:
            constraint = constraint_of(error)
            if constraint not in (PROVIDER_CONSTRAINT, ROOM_CONSTRAINT):
                raise  # anything else: not a taken slot
            if provider_fixed and constraint == PROVIDER_CONSTRAINT:
                break
    raise SlotUnavailable()
