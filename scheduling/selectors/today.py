"""The admin's "Today" (medspa.views.panels.ADMIN_TODAY): the medspa's appointments of today by status, who
is late, and the paperwork still missing for the appointments to come.

Today is the calendar day at each appointment's location, in that location's time zone (a day of 23 or 25
hours when the clocks change). The whole section costs a fixed number of queries however many appointments
the day has: one for the day's appointments, then paperwork_of's for the paperwork of those to come."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from medspa import clock
from medspa.models import Medspa
from scheduling.models import Appointment, AppointmentStatus
from scheduling.selectors.paperwork import OPEN_STATUSES, paperwork_of
from scheduling.selectors.patient_paperwork import PaperworkDue

# An appointment still booked or confirmed this long after its start: the patient is late.
LATE_AFTER = timedelta(minutes=10)
# Today, in any zone on Earth, starts and ends within this of now (a day lasts at most 25 hours): the window
# fetched before each location's own today is picked out.
_ANY_TODAY = timedelta(hours=26)
# The statuses as the day goes: to come, under way, over.
STATUSES = [
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.COMPLETED,
    AppointmentStatus.NO_SHOW,
    AppointmentStatus.CANCELLED,
]
WAITING_STATUSES = [AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED]


@dataclass(frozen=True)
class StatusCount:
    """How many of today's appointments have a status, and the calendar's day view of them."""

    status: str
    label: str
    count: int
    url: str


@dataclass(frozen=True)
class Late:
    """An appointment of today whose patient has not been checked in LATE_AFTER past its start."""

    appointment: Appointment
    minutes: int

    @property
    def words(self) -> str:
        """How late, in words: "12 min late", "1 h 5 min late"."""
        hours, minutes = divmod(self.minutes, 60)
        return f"{hours} h {minutes} min late" if hours else f"{minutes} min late"


@dataclass(frozen=True)
class Today:
    """The medspa's day: `day` is the calendar's day its links open."""

    day: date
    appointments: list[Appointment]
    counts: list[StatusCount]
    late: list[Late]
    paperwork_missing: list[PaperworkDue]

    @property
    def total(self) -> int:
        """Today's appointments but the cancelled ones (counted apart): those the calendar's day shows."""
        return sum(1 for a in self.appointments if a.status != AppointmentStatus.CANCELLED)

    @property
    def calendar_url(self) -> str:
        return calendar_day_url(self.day)

    @property
    def patients(self) -> list:
        """The patients the section names: those late and those whose paperwork is missing."""
        return [item.appointment.patient for item in self.late] + [
            item.appointment.patient for item in self.paperwork_missing
        ]


def calendar_day_url(day: date, status: str = "") -> str:
    """The admin calendar's day view of `day`, of the appointments of `status` only when given."""
    params = {"view": "day", "date": day.isoformat()} | ({"status": status} if status else {})
    return reverse("scheduling:calendar") + "?" + urlencode(params)


def appointments_today(appointments: QuerySet[Appointment], *, now: datetime) -> list[Appointment]:
    """Of `appointments`, those of today at their location (whatever their status), by start: one query,
    with their patient, provider, location and type."""
    window = (
        appointments.filter(start__gte=now - _ANY_TODAY, start__lt=now + _ANY_TODAY)
        .select_related("patient", "location", "appointment_type", "provider__user")
        .order_by("start", "pk")
    )
    return [
        appointment
        for appointment in window
        if appointment.local_start.date() == now.astimezone(appointment.location.tz).date()
    ]


def today_of(appointments: QuerySet[Appointment], *, medspa: Medspa, now: datetime | None = None) -> Today:
    """The day of `appointments` (the medspa's): counts by status, who is late (longest waiting first), and
    the appointments still to come or under way whose paperwork is not complete (soonest first)."""
    now = now or timezone.now()
    day_of = appointments_today(appointments, now=now)
    # The calendar shows each appointment on its location's day: the day they all share, else the medspa's.
    days = {now.astimezone(appointment.location.tz).date() for appointment in day_of}
    day = days.pop() if len(days) == 1 else clock.today(medspa, now=now)
    counted = Counter(appointment.status for appointment in day_of)
    counts = [
        StatusCount(status.value, status.label, counted[status], calendar_day_url(day, status.value))
        for status in STATUSES
    ]
    late = [
        Late(appointment, int((now - appointment.start).total_seconds() // 60))
        for appointment in day_of
        if appointment.status in WAITING_STATUSES and now - appointment.start > LATE_AFTER
    ]
    to_come = [a for a in day_of if a.status in OPEN_STATUSES and a.end > now]
    paperwork = paperwork_of(to_come)
    missing = [
        PaperworkDue(appointment, paperwork[appointment.pk])
        for appointment in to_come
        if not paperwork[appointment.pk].complete
    ]
    return Today(day, day_of, counts, late, missing)


def admin_today_context(request) -> dict:
    """The admin's Today sections of appointments: the medspa's day, and the patients it names."""
    today = today_of(Appointment.objects.filter(medspa_id=request.medspa.pk), medspa=request.medspa)
    return {"today": today, "patients": today.patients}
