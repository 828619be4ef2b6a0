"""What the top bar's search finds in scheduling (medspa.search.SEARCH, registered by SchedulingConfig.ready):
appointments by their patient's name and by a day typed in the query ("12/8", "Dec 8", "2026-12-08", on
each location's wall clock), upcoming first; and, in the coordinator's dashboard, the patients they may
book (they open no profile: a patient found opens the booking form for them). Each is one query."""

from django.db.models import Case, DateField, F, Func, IntegerField, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from medspa.models import Medspa, Patient
from medspa.models.patients import PatientStatus
from medspa.search import SearchResult, patient_subtitle, query_date, query_words
from medspa.selectors.patients import patient_search
from scheduling.models import Appointment


class LocalDate(Func):
    """The day of a timestamp on the wall clock of a time zone named by another column."""

    template = "((%(expressions)s)::date)"
    arg_joiner = " AT TIME ZONE "
    output_field = DateField()


def appointments_matching(query: str) -> QuerySet[Appointment]:
    """The request's medspa's appointments (cancelled ones too) whose patient's name holds every word of
    `query` and that fall on the day it names, if any: upcoming ones first (soonest first), then past ones
    (latest first). None for a query with neither a word nor a day."""
    day, rest = query_date(query)
    words = query_words(rest)
    appointments = Appointment.objects.select_related(
        "location", "patient", "appointment_type", "provider__user"
    )
    if not words and day is None:
        return appointments.none()
    for word in words:
        appointments = appointments.filter(
            Q(patient__first_name__icontains=word) | Q(patient__last_name__icontains=word)
        )
    if day is not None:
        appointments = appointments.annotate(local_day=LocalDate("start", "location__time_zone")).filter(
            local_day__month=day.month, local_day__day=day.day
        )
        if day.year is not None:
            appointments = appointments.filter(local_day__year=day.year)
    now = timezone.now()
    upcoming = Q(start__gte=now)
    return appointments.order_by(
        Case(When(upcoming, then=Value(0)), default=Value(1), output_field=IntegerField()),
        Case(When(upcoming, then=F("start"))).asc(),
        F("start").desc(),
        "pk",
    )


def appointment_subtitle(appointment: Appointment) -> str:
    """ "Tue Dec 8, 10:30 AM · Neurotoxin · Dana Lee · Confirmed", on the location's clock (the year said when
    it is not this one)."""
    start = appointment.local_start
    when = date_format(start, "D M j, g:i A")
    if start.year != timezone.now().astimezone(start.tzinfo).year:
        when = date_format(start, "D M j, Y, g:i A")
    return " · ".join(
        (
            when,
            appointment.appointment_type.name,
            appointment.provider.user.get_full_name(),
            appointment.get_status_display(),
        )
    )


def appointment_results(appointments, url) -> list[SearchResult]:
    """Each appointment as a result naming its patient; `url(appointment)` its page in the dashboard."""
    return [
        SearchResult(
            appointment.patient.full_name,
            appointment_subtitle(appointment),
            url(appointment),
            appointment.patient,
        )
        for appointment in appointments
    ]


def appointments_found(request, query: str, *, limit: int, offset: int = 0) -> list[SearchResult]:
    """The admin's and the coordinator's: every appointment of the medspa, opening on the calendar's page."""
    appointments = appointments_matching(query)[offset : offset + limit]
    return appointment_results(
        appointments, lambda appointment: reverse("scheduling:appointment_detail", args=[appointment.pk])
    )


def patients_bookable(medspa: Medspa) -> QuerySet[Patient]:
    """The patients an appointment may be booked for: the medspa's, archived ones left out."""
    return Patient.objects.filter(medspa=medspa).exclude(status=PatientStatus.ARCHIVED)


def patients_to_book(request, query: str, *, limit: int, offset: int = 0) -> list[SearchResult]:
    """The coordinator's: the patients they may book (those of the booking form), each opening the booking
    form with them chosen."""
    patients = patient_search(patients_bookable(request.medspa), query).order_by(
        "last_name", "first_name", "pk"
    )
    book = reverse("scheduling:appointment_new")
    return [
        SearchResult(patient.full_name, patient_subtitle(patient), f"{book}?patient={patient.pk}", patient)
        for patient in patients[offset : offset + limit]
    ]
