"""Acuity Scheduling (API v1, https://acuityscheduling.com/api/v1; HTTP basic: user id + API key).

Sources: Acuity's API reference, https://developers.acuityscheduling.com/reference/get-appointments,
https://developers.acuityscheduling.com/reference/get-calendars,
https://developers.acuityscheduling.com/reference/get-appointment-types, its errors
(https://developers.acuityscheduling.com/reference/api-errors: `{"status_code", "message", "error"}`), and the
official examples https://github.com/AcuityScheduling/acuity-js. Recorded examples:
transition/tests/vendor_docs/acuity/.

Documented calls used (all reads): `GET /appointments?minDate=&maxDate=&calendarID=&max=` (canceled ones
are left out unless asked for; at most `max` rows, 100 by default), `GET /appointment-types`,
`GET /calendars`. Fields read: id, datetime (ISO 8601 with offset), duration (minutes), calendarID /
calendar, appointmentTypeID / type, firstName, lastName, email, phone, notes, canceled, and the intake form
answers forms[].values[] (name, value).

Acuity's API has no call that manages users or a calendar's access (users are managed in Acuity's app):
revoking access is a Portrait staff step (transition.services.vendors), which `list_calendars` can verify
(a calendar removed from the account is no longer listed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import httpx
from django.conf import settings

from transition.integrations.base import BaseClient, IntegrationError

# Acuity answers at most `max` appointments (default 100): a range that fills a page is split in two.
PAGE_MAX = 1000


class PageFull(IntegrationError):
    """Acuity answered `max` appointments: the range may hold more, and must be narrowed."""


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
    form_answers: tuple[tuple[str, str], ...] = ()  # (question, answer) of the intake forms, in order

    @property
    def intake_text(self) -> str:
        return "\n".join(f"{question}: {answer}" for question, answer in self.form_answers)


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
        Raises PageFull when Acuity returns a full page (the range must then be split)."""
        params: dict = {"minDate": min_date.isoformat(), "maxDate": max_date.isoformat(), "max": PAGE_MAX}
        if calendar_id is not None:
            params["calendarID"] = calendar_id
        rows = self.get("appointments", params=params)
        if not isinstance(rows, list):
            raise IntegrationError("Acuity answered without a list of appointments.", retryable=False)
        if len(rows) >= PAGE_MAX:
            raise PageFull(
                f"Acuity has {PAGE_MAX} or more appointments in this range: split it.", retryable=False
            )
        appointments = [_appointment(row) for row in rows if not row.get("canceled")]
        return sorted(appointments, key=lambda appointment: appointment.start)

    def appointments_between(
        self, min_date: date, max_date: date, *, calendar_id: int | None = None
    ) -> list[AcuityAppointment]:
        """Every booked appointment from min_date to max_date inclusive, however many: a window that fills
        Acuity's page is split in halves until none does (a single day that still fills one is an error)."""
        try:
            return self.list_appointments(min_date, max_date, calendar_id=calendar_id)
        except PageFull:
            if min_date >= max_date:
                raise
        middle = min_date + (max_date - min_date) // 2
        first = self.appointments_between(min_date, middle, calendar_id=calendar_id)
        return first + self.appointments_between(
            middle + timedelta(days=1), max_date, calendar_id=calendar_id
        )

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
        form_answers=tuple(
            (str(value.get("name") or ""), str(value.get("value")))
            for form in row.get("forms") or []
            for value in form.get("values") or []
            if value.get("value") not in (None, "")
        ),
    )
