"""Acuity Scheduling (API v1, https://acuityscheduling.com/api/v1; HTTP basic: user id + API key).

Documented calls used: `GET /appointments?minDate=&maxDate=&calendarID=&max=` (canceled ones are left out
unless asked for), `GET /appointment-types`, `GET /calendars`. Fields read: id, datetime (ISO 8601 with
offset), duration (minutes), calendarID / calendar, appointmentTypeID / type, firstName, lastName, email,
phone, notes, canceled.

Revoking a medspa's access: Acuity's public API has no user-management call, so we define one (a relay
in front of Acuity's account settings may speak it):

    POST /calendars/{calendarID}/revoke-access   (Idempotency-Key)  -> 200 {"calendarID", "access": "revoked"}

Revoking an already revoked calendar answers the same 200.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import httpx
from django.conf import settings

from transition.integrations.base import BaseClient, IntegrationError

# Acuity answers at most `max` appointments (default 100); a range with more must be narrowed.
PAGE_MAX = 1000


@dataclass(frozen=True)
class AcuityAppointment:
    id: int
    start: datetime  # timezone-aware
    duration_minutes: int
    calendar_id: int
    calendar: str
    appointment_type_id: int
    appointment_type: str
    first_name: str
    last_name: str
    email: str
    phone: str
    notes: str


@dataclass(frozen=True)
class AcuityAppointmentType:
    id: int
    name: str
    duration_minutes: int
    active: bool


@dataclass(frozen=True)
class AcuityCalendar:
    id: int
    name: str
    email: str
    timezone: str


class AcuityClient(BaseClient):
    name = "Acuity"
    url_setting = "ACUITY_API_URL"

    def auth_settings(self) -> dict[str, str]:
        return {"ACUITY_USER_ID": settings.ACUITY_USER_ID, "ACUITY_API_KEY": settings.ACUITY_API_KEY}

    def auth(self) -> httpx.Auth:
        return httpx.BasicAuth(settings.ACUITY_USER_ID, settings.ACUITY_API_KEY)

    def list_appointments(
        self, min_date: date, max_date: date, *, calendar_id: int | None = None
    ) -> list[AcuityAppointment]:
        """The booked (not cancelled) appointments from min_date to max_date inclusive, earliest first.
        Raises IntegrationError when Acuity returns a full page (the range must then be split)."""
        params: dict = {"minDate": min_date.isoformat(), "maxDate": max_date.isoformat(), "max": PAGE_MAX}
        if calendar_id is not None:
            params["calendarID"] = calendar_id
        rows = self.get("appointments", params=params)
        if not isinstance(rows, list):
            raise IntegrationError("Acuity answered without a list of appointments.", retryable=False)
        if len(rows) >= PAGE_MAX:
            raise IntegrationError(
                f"Acuity has {PAGE_MAX} or more appointments in this range: split it.", retryable=False
            )
        appointments = [_appointment(row) for row in rows if not row.get("canceled")]
        return sorted(appointments, key=lambda appointment: appointment.start)

    def list_appointment_types(self) -> list[AcuityAppointmentType]:
        return [
            AcuityAppointmentType(
                id=int(row["id"]),
                name=row.get("name") or "",
                duration_minutes=int(row.get("duration") or 0),
                active=bool(row.get("active", True)),
            )
            for row in self.get("appointment-types")
        ]

    def list_calendars(self) -> list[AcuityCalendar]:
        return [
            AcuityCalendar(
                id=int(row["id"]),
                name=row.get("name") or "",
                email=row.get("email") or "",
                timezone=row.get("timezone") or "",
            )
            for row in self.get("calendars")
        ]

    def revoke_access(self, calendar_id: int, *, idempotency_key: str) -> str:
        """Revokes the medspa's access to its Acuity calendar; the access after the call ("revoked")."""
        answer = self.post(f"calendars/{calendar_id}/revoke-access", idempotency_key=idempotency_key)
        access = answer.get("access") if isinstance(answer, dict) else None
        if access != "revoked":
            raise IntegrationError(f"Acuity answered access {access!r}.", retryable=False)
        return access


def _appointment(row: dict) -> AcuityAppointment:
    start = datetime.fromisoformat(row["datetime"])
    if start.tzinfo is None:
        raise IntegrationError("Acuity answered an appointment time without an offset.", retryable=False)
    return AcuityAppointment(
        id=int(row["id"]),
        start=start,
        duration_minutes=int(row.get("duration") or 0),
        calendar_id=int(row.get("calendarID") or 0),
        calendar=row.get("calendar") or "",
        appointment_type_id=int(row.get("appointmentTypeID") or 0),
        appointment_type=row.get("type") or "",
        first_name=row.get("firstName") or "",
        last_name=row.get("lastName") or "",
        email=row.get("email") or "",
        phone=row.get("phone") or "",
        notes=row.get("notes") or "",
    )
