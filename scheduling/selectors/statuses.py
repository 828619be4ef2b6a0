"""Which status an appointment may move to, and when: the rule the booking services enforce and the
calendar pages read to offer their buttons (check in, complete, no-show)."""

from datetime import datetime

from django.utils import timezone

from scheduling.models import Appointment, AppointmentStatus

TRANSITIONS = {
    AppointmentStatus.BOOKED: {
        AppointmentStatus.CONFIRMED,
        AppointmentStatus.CHECKED_IN,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.NO_SHOW,
    },
    AppointmentStatus.CONFIRMED: {
        AppointmentStatus.CHECKED_IN,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.NO_SHOW,
    },
    AppointmentStatus.CHECKED_IN: {AppointmentStatus.COMPLETED},
}


def status_refusal(appointment: Appointment, status: str, now: datetime) -> str:
    """Why `appointment` cannot move to `status` at `now`, or "" when it can. A patient is checked in on the
    appointment's own day (in its location's time zone), and is a no-show only once the time has come."""
    if status not in TRANSITIONS.get(appointment.status, set()):
        return (
            f"A {appointment.get_status_display().lower()} appointment cannot become "
            f"{AppointmentStatus(status).label.lower()}."
        )
    if status == AppointmentStatus.CHECKED_IN and now.astimezone(appointment.location.tz).date() != (
        appointment.local_start.date()
    ):
        return "A patient can be checked in only on the day of the appointment."
    if status == AppointmentStatus.NO_SHOW and now < appointment.start:
        return "An appointment can be marked a no-show only once its time has come."
    return ""


def appointment_statuses_allowed(*, appointment: Appointment, now: datetime | None = None) -> set[str]:
    """The statuses `appointment` may move to now (cancelling aside): what the pages offer as buttons."""
    now = now or timezone.now()
    return {
        status
        for status in TRANSITIONS.get(appointment.status, set())
        if status != AppointmentStatus.CANCELLED and not status_refusal(appointment, status, now)
    }
