"""The Acuity import: every future appointment of the medspa's Acuity calendars, placed in the EHR calendar
when its provider, appointment type and patient are found, or recorded as a conflict a person resolves."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from medspa import clock
from medspa.models import Membership, Patient
from medspa.models.patients import PatientStatus
from medspa.patient_match import email_key, name_key, phone_key
from medspa.validators import phone_kept
from scheduling.models import AppointmentType
from scheduling.services import booking as scheduling_booking
from transition.integrations.acuity import AcuityAppointment, AcuityCalendar, AcuityClient
from transition.models import AcuityBooking, Transition, TransitionStep
from transition.models.records import ImportStatus
from transition.models.transitions import StepStatus
from transition.services.base import Outcome, lease_keep, legacy_tools

IMPORT_DAYS = 730  # how far ahead the Acuity import looks (two years)


IMPORT_WINDOW_DAYS = 31  # one Acuity request per window; a window that fills Acuity's page is split


IMPORT_LEASE_EVERY = 100  # appointments placed between two renewals of the import's lease


def run_acuity_import(step: TransitionStep) -> Outcome:
    transition = step.transition
    medspa = transition.medspa
    tools = legacy_tools(medspa)
    today = clock.today(medspa)
    found: dict[int, AcuityAppointment] = {}
    with AcuityClient() as client:
        if not tools.acuity_calendar_ids:  # never the whole account: it holds every Legacy medspa's bookings
            return Outcome(
                StepStatus.WAITING,
                "No Acuity calendar is recorded for this medspa (Legacy tools): a Portrait staff member "
                "records it, then runs the import again.",
                needs_hand=True,
            )
        calendars = {calendar.id: calendar for calendar in client.list_calendars()}
        calendar_ids = tools.acuity_calendar_ids
        start = today
        while start <= today + timedelta(days=IMPORT_DAYS):
            end = start + timedelta(days=IMPORT_WINDOW_DAYS - 1)
            for calendar_id in calendar_ids:
                lease_keep(step)  # a window at a time: a slow but live import keeps the step
                for appointment in client.appointments_between(start, end, calendar_id=calendar_id):
                    found[appointment.id] = appointment
            start = end + timedelta(days=1)
    now = timezone.now()
    matcher = Matcher(calendars)
    for number, appointment in enumerate(sorted(found.values(), key=lambda a: a.start)):
        if number % IMPORT_LEASE_EVERY == 0:
            lease_keep(step)
        if appointment.start > now:
            _import_one(transition, appointment, matcher)
    conflicts = transition.acuity_bookings.filter(status=ImportStatus.CONFLICT).count()
    if conflicts:
        return Outcome(
            StepStatus.WAITING,
            f"{import_summary(transition)} {conflicts} need a person: "
            "see the list, book them by hand or call the patient, then mark each resolved.",
        )
    return Outcome(StepStatus.DONE, import_summary(transition))


def import_summary(transition: Transition) -> str:
    rows = transition.acuity_bookings
    imported = rows.filter(status=ImportStatus.IMPORTED).count()
    resolved = rows.filter(status=ImportStatus.RESOLVED).count()
    summary = (
        f"{imported} future Acuity appointment{'s' if imported != 1 else ''} imported into the EHR calendar."
    )
    if resolved:
        summary += f" {resolved} resolved by hand."
    return summary


class Matcher:
    """Finds the EHR's provider, appointment type and patient for Acuity appointments: built once per import
    (three queries), so a year of appointments costs no query per appointment to match."""

    def __init__(self, calendars: dict[int, AcuityCalendar]) -> None:
        self.calendars = calendars
        self.providers = list(
            Membership.objects.filter(is_provider=True, is_active=True).select_related("user")
        )
        self.types = list(
            AppointmentType.objects.filter(is_active=True)
            .prefetch_related("providers")
            .select_related("location")
        )
        self.by_email: dict[str, list[Patient]] = {}
        self.by_phone: dict[str, list[Patient]] = {}
        self.by_name: dict[tuple[str, str], list[Patient]] = {}
        for patient in Patient.objects.exclude(status=PatientStatus.ARCHIVED).order_by("pk"):
            if email_key(patient.email):
                self.by_email.setdefault(email_key(patient.email), []).append(patient)
            if phone_key(patient.phone):
                self.by_phone.setdefault(phone_key(patient.phone), []).append(patient)
            self.by_name.setdefault(name_key(patient.first_name, patient.last_name), []).append(patient)

    def provider(self, appointment: AcuityAppointment) -> tuple[Membership | None, str]:
        calendar = self.calendars.get(appointment.calendar_id)
        if calendar is not None and calendar.email:
            email = calendar.email.strip().lower()
            found = [m for m in self.providers if m.user.email.lower() == email]
            if found:
                return found[0], ""
        name = (calendar.name if calendar is not None else appointment.calendar).strip()
        matches = [m for m in self.providers if m.user.full_name.strip().lower() == name.lower()]
        if len(matches) == 1:
            return matches[0], ""
        return None, f"No provider of the medspa matches the Acuity calendar “{name}”."

    def appointment_type(self, name: str, provider: Membership) -> tuple[AppointmentType | None, str]:
        name = name.strip()
        types = [
            t
            for t in self.types
            if t.name.lower() == name.lower() and any(p.pk == provider.pk for p in t.providers.all())
        ]
        if len(types) == 1:
            return types[0], ""
        if not types:
            return None, f"No active appointment type “{name}” is offered by {provider.user.get_full_name()}."
        return (
            None,
            f"{len(types)} appointment types are called “{name}” (at different locations): choose by hand.",
        )

    def patient(self, appointment: AcuityAppointment) -> tuple[Patient | None, str]:
        """The one active patient Acuity's client is. Not patient_match.patient_strong_match: Acuity sends no
        date of birth, so the rule here is one record by email, else by phone, else (only when Acuity has
        neither) by name, compared with patient_match's keys; several records are left to a person."""
        who = f"{appointment.first_name} {appointment.last_name}".strip() or "(no name)"
        email, phone = email_key(appointment.email), phone_key(appointment.phone)
        first, last = name_key(appointment.first_name, appointment.last_name)
        tries = [self.by_email.get(email) if email else None, self.by_phone.get(phone) if phone else None]
        if not email and not phone and first and last:  # a name alone only when Acuity has nothing else
            tries.append(self.by_name.get((first, last)))
        for found in tries:
            if found and len(found) == 1:
                return found[0], ""
            if found:
                return None, f"Several patients match {who}: choose the right record by hand."
        return (
            None,
            f"No patient record matches {who}: add the patient (a date of birth is needed), then retry.",
        )


def _notes(appointment: AcuityAppointment) -> str:
    """The appointment's notes in the EHR: Acuity's notes, then the answers to its intake forms."""
    notes = f"Imported from Acuity (#{appointment.id}). {appointment.notes}".strip()
    if appointment.intake_text:
        notes += "\nIntake form answers:\n" + appointment.intake_text
    return notes[:2000]


def _import_one(transition: Transition, appointment: AcuityAppointment, matcher: Matcher) -> AcuityBooking:
    """Imports one Acuity appointment, or records why it could not be (a conflict a person resolves)."""
    booking, _ = AcuityBooking.objects.get_or_create(
        medspa_id=transition.medspa_id,
        acuity_id=appointment.id,
        defaults={
            "transition": transition,
            "status": ImportStatus.CONFLICT,
            "start": appointment.start,
            "duration_minutes": appointment.duration_minutes,
        },
    )
    if booking.status in (ImportStatus.IMPORTED, ImportStatus.RESOLVED):
        return booking
    booking.transition = transition
    booking.start, booking.duration_minutes = appointment.start, appointment.duration_minutes
    booking.calendar = (appointment.calendar or "")[:200]
    booking.appointment_type = (appointment.appointment_type or "")[:200]
    booking.first_name, booking.last_name = appointment.first_name[:100], appointment.last_name[:100]
    booking.email, booking.phone = appointment.email[:254], phone_kept(appointment.phone)[:40]
    provider, reason = matcher.provider(appointment)
    appointment_type = patient = None
    if provider is not None:
        appointment_type, reason = matcher.appointment_type(appointment.appointment_type, provider)
    if appointment_type is not None:
        patient, reason = matcher.patient(appointment)
    if patient is not None:
        minutes = appointment.duration_minutes or appointment_type.duration_minutes
        try:
            booking.appointment = scheduling_booking.appointment_import(
                appointment_type=appointment_type,
                provider=provider,
                patient=patient,
                start=appointment.start,
                end=appointment.start + timedelta(minutes=minutes),
                idempotency_key=f"acuity-{appointment.id}",
                notes=_notes(appointment),
            )
        except scheduling_booking.BookingError as error:
            reason = str(error)
    if booking.appointment_id:
        booking.status, booking.reason = ImportStatus.IMPORTED, ""
    else:
        booking.status, booking.reason = ImportStatus.CONFLICT, reason[:300]
    booking.save()
    return booking
