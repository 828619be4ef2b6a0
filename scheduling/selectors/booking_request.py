"""What a booking request names (its appointment type, patient and provider), read in one statement written
out and scoped to the medspa: the API's booking serializer looked each up with a queryset of its own, and the
ORM spent more CPU composing the three statements than PostgreSQL spent running them."""

import functools
from dataclasses import dataclass

from django.db import connection

from medspa.models import Membership, Patient, User
from medspa.rows import ModelColumns, instances
from scheduling.models import AppointmentType, Location


@dataclass(frozen=True)
class BookingParties:
    """The rows a booking request names, None where its id is not one of the medspa's (or not given): the
    appointment type with its location, the patient, the provider (a providing member) with their user."""

    appointment_type: AppointmentType | None
    patient: Patient | None
    provider: Membership | None


@functools.cache
def _statement() -> tuple[str, list[ModelColumns]]:
    """Built once, from the models: the statement costs no composing per request."""
    tables = [
        ModelColumns(AppointmentType, "t"),
        ModelColumns(Location, "l"),
        ModelColumns(Patient, "p"),
        ModelColumns(Membership, "m"),
        ModelColumns(User, "u"),
    ]
    names = {model: model._meta.db_table for model in (AppointmentType, Location, Patient, Membership, User)}
    # Every row is looked for in the medspa only (as the tenant scope would add it); the provider must be a
    # providing member, as the serializer's field asked. The location and the user come with the row that
    # points to them, as select_related would join them.
    sql = f"""
        SELECT {", ".join(table.sql for table in tables)} FROM (VALUES (1)) AS one (x)
        LEFT JOIN "{names[AppointmentType]}" t ON t.id = %(type)s::bigint AND t.medspa_id = %(medspa)s
        LEFT JOIN "{names[Location]}" l ON l.id = t.location_id
        LEFT JOIN "{names[Patient]}" p ON p.id = %(patient)s::bigint AND p.medspa_id = %(medspa)s
        LEFT JOIN "{names[Membership]}" m
            ON m.id = %(provider)s::bigint AND m.medspa_id = %(medspa)s AND m.is_provider
        LEFT JOIN "{names[User]}" u ON u.id = m.user_id
    """  # noqa: S608 (table and column names from the models; every value is a parameter)
    return sql, tables


def booking_parties(
    *, medspa_id: int, appointment_type_id: int | None, patient_id: int | None, provider_id: int | None
) -> BookingParties:
    """The appointment type (with its location), the patient and the provider (with their user) of the
    medspa that these ids name, in one statement; an id of another medspa, or None, finds None."""
    sql, tables = _statement()
    parameters = {
        "medspa": medspa_id,
        "type": appointment_type_id,
        "patient": patient_id,
        "provider": provider_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        row = cursor.fetchone()
    appointment_type, location, patient, provider, user = instances(row, tables)
    if appointment_type is not None:
        appointment_type.location = location
    if provider is not None:
        provider.user = user
    return BookingParties(appointment_type, patient, provider)
