"""What the race scenario checks in the database afterwards, independently of the exclusion constraints that
should make it impossible: no two active appointments of one provider (or of one room) whose blocked times,
buffers included, overlap."""

from dataclasses import dataclass

from django.db import connection

from scheduling.models import ACTIVE_STATUSES, Appointment


@dataclass(frozen=True)
class DoubleBooking:
    holder: str  # "provider" or "room"
    holder_id: int
    first_id: int
    second_id: int


def double_bookings(medspa_id: int | None = None) -> list[DoubleBooking]:
    """Every pair of active appointments of one provider, or one room, whose blocked times overlap (of one
    medspa, or of all). Empty when the calendar holds."""
    table = Appointment._meta.db_table
    found = []
    for holder, column in (("provider", "provider_id"), ("room", "resource_id")):
        sql = f"""
            SELECT a.{column}, a.id, b.id
            FROM {table} a
            JOIN {table} b ON b.{column} = a.{column} AND b.id > a.id
            WHERE a.status = ANY(%(active)s) AND b.status = ANY(%(active)s)
              AND a.{column} IS NOT NULL
              AND tstzrange(a.blocked_start, a.blocked_end) && tstzrange(b.blocked_start, b.blocked_end)
              AND (%(medspa)s::bigint IS NULL OR a.medspa_id = %(medspa)s::bigint)
            ORDER BY a.{column}, a.id, b.id
        """  # noqa: S608 (the table and column names are ours, the values are parameters)
        with connection.cursor() as cursor:
            cursor.execute(sql, {"active": [str(status) for status in ACTIVE_STATUSES], "medspa": medspa_id})
            found += [DoubleBooking(holder, *row) for row in cursor.fetchall()]
    return found
