"""Reads of the calendar's quick-booking panel: the patients a type-ahead lists, the namesakes a new patient
may be, the open times of a day for a type (and provider), why a clicked time is not one of them, and what
the front desk should know before booking (GFE, deposit, paperwork, notice, no way to confirm)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from gfe.selectors import clearances as gfe_selectors
from medspa.messaging import opt_out
from medspa.models import Membership, Patient
from medspa.models.patients import PatientStatus
from medspa.money import money_format
from medspa.selectors.patients import patient_list
from scheduling.models import Appointment, AppointmentType, Resource
from scheduling.selectors import slots
from scheduling.selectors.paperwork import paperwork_of

PATIENTS_LISTED = 10  # options in the type-ahead: enough to tell namesakes apart, few enough to read
NEAREST = 3  # open times offered when the clicked one is not open


def patients_matching(query: str) -> list[Patient]:
    """Up to PATIENTS_LISTED of the medspa's patients (not archived) matching every word of `query`, by name:
    one query, on the trigram-indexed search of the Patients tab."""
    if len(query.strip()) < 2:
        return []
    fields = ("pk", "medspa_id", "first_name", "last_name", "date_of_birth", "phone", "email")
    return list(patient_list(query=query).only(*fields)[:PATIENTS_LISTED])


def patient_namesakes(*, first_name: str, last_name: str, date_of_birth: date) -> list[Patient]:
    """The medspa's patients (not archived) with this name and date of birth: whom a new record would twin."""
    return list(
        Patient.objects.filter(
            first_name__iexact=first_name.strip(),
            last_name__iexact=last_name.strip(),
            date_of_birth=date_of_birth,
        )
        .exclude(status=PatientStatus.ARCHIVED)
        .order_by("pk")
    )


def phone_tail(phone: str) -> str:
    """The last four digits of a phone number, enough to tell two namesakes apart: "•••0123"."""
    digits = "".join(character for character in phone if character.isdigit())
    return f"•••{digits[-4:]}" if len(digits) >= 4 else ""


def types_at(location, *, resource_id: int | None = None) -> QuerySet[AppointmentType]:
    """The active appointment types of a location; those needing the room `resource_id` when some do."""
    types = AppointmentType.objects.filter(location=location, is_active=True).select_related("service")
    if resource_id is not None and types.filter(rooms=resource_id).exists():
        types = types.filter(rooms=resource_id)
    return types.order_by("name")


def providers_offering(appointment_type: AppointmentType) -> QuerySet[Membership]:
    """The active providers who offer the type at its location, by name."""
    return (
        appointment_type.providers.filter(is_active=True, locations=appointment_type.location)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )


@dataclass(frozen=True)
class OpenTime:
    """A time the front desk can book: the value the form sends (the wall-clock time with its offset, so a
    time the clocks read twice is still one moment) and its label."""

    start: datetime  # aware, in the location's zone

    @property
    def value(self) -> str:
        return self.start.isoformat(timespec="minutes")

    @property
    def label(self) -> str:
        return date_format(self.start, "g:i A")


def open_times(
    appointment_type: AppointmentType,
    day: date,
    *,
    provider: Membership | None = None,
    now: datetime | None = None,
) -> list[OpenTime]:
    """The day's open times for the type, with the provider or whoever is free. The minimum notice is the
    online rule: the front desk may book a walk-in inside it (notice=False)."""
    found = slots.open_slots(
        appointment_type, day, provider_id=provider.pk if provider else None, now=now, notice=False
    )
    tz = appointment_type.location.tz
    return [OpenTime(slot.start.astimezone(tz)) for slot in slots.distinct_times(found)]


def time_refusal(
    appointment_type: AppointmentType,
    start: datetime,
    *,
    provider: Membership | None = None,
    now: datetime | None = None,
) -> str:
    """Why `start` is not an open time of the type (with the provider, or anyone), for the front desk."""
    now = now or timezone.now()
    if start < now:
        return "That time has passed."
    if start > now + timedelta(days=appointment_type.horizon_days):
        return f"{appointment_type.name} can be booked up to {appointment_type.horizon_days} days ahead."
    day = start.astimezone(appointment_type.location.tz).date()
    in_hours = slots.open_slots(
        appointment_type,
        day,
        provider_id=provider.pk if provider else None,
        now=now,
        notice=False,
        ignore_bookings=True,
    )
    who = provider.user.get_full_name() if provider else f"Nobody who offers {appointment_type.name}"
    if not any(slot.start == start for slot in in_hours):
        return f"{who} is not working at {appointment_type.location.name} then."
    if provider:
        return f"{who} is booked then (or the room {appointment_type.name} needs is taken)."
    return f"Everyone who offers {appointment_type.name} is booked then (or the room it needs is taken)."


def room_refusal(appointment_type: AppointmentType, room: Resource | None, resource_id: int | None) -> str:
    """Why the room clicked on the calendar (`resource_id`, `room` when it is one of the location's active
    rooms) cannot take the type; empty when it can, or when no room was clicked."""
    if resource_id is None:
        return ""
    if room is None:
        return "That room takes no bookings here: click a time in its column again."
    if not appointment_type.rooms.filter(pk=room.pk).exists():
        return f"{appointment_type.name} is not given in {room.name}: choose a service given there."
    return ""


def room_free(times: list[OpenTime], appointment_type: AppointmentType, room: Resource) -> list[OpenTime]:
    """The open times at which `room` is free for the type, its buffers included (one query): the times a
    booking forced into that room can take."""
    if not times:
        return []
    before = timedelta(minutes=appointment_type.buffer_before_minutes)
    after = timedelta(minutes=appointment_type.buffer_after_minutes + appointment_type.duration_minutes)
    busy = slots.busy_intervals(
        slots.busy_statement(room.medspa_id, [], [room.pk], times[0].start - before, times[-1].start + after)
    )
    return [
        time
        for time in times
        if not any(start < time.start + after and time.start - before < end for _, _, start, end in busy)
    ]


def nearest_times(times: list[OpenTime], start: datetime) -> list[OpenTime]:
    """The NEAREST open times to `start`, earlier or later, in the day's order."""
    nearest = sorted(times, key=lambda time: abs(time.start - start))[:NEAREST]
    return sorted(nearest, key=lambda time: time.start)


def _reachable(patient: Patient) -> bool:
    """Whether the booking's confirmation can reach the patient by email or by text."""
    by_email = bool(patient.email.strip()) and patient.consent_email
    by_text = bool(patient.phone.strip()) and not opt_out.patient_sms_refusal(patient)
    return by_email or by_text


def booking_warnings(
    *,
    appointment_type: AppointmentType,
    start: datetime | None,
    patient: Patient | None,
    now: datetime | None = None,
) -> list[str]:
    """What the front desk should know before booking, one sentence each: a GFE the patient lacks on the day,
    a deposit left due, paperwork to do, a time inside the minimum notice, no way to send the confirmation.
    `patient` may be a new one not saved yet (it has no clearance nor signature then)."""
    now = now or timezone.now()
    warnings = []
    service = appointment_type.service
    name = patient.full_name if patient is not None else "the patient"
    if service.effective_requires_gfe and patient is not None:
        day = (start or now).astimezone(appointment_type.location.tz).date()
        on = date_format(day, "M j")
        if patient.pk is None:
            warnings.append(f"{service.name} needs a GFE: {name} is new, so not cleared on {on}.")
        elif gfe_selectors.clearance_valid(patient, service, day) is None:
            pending = service.pk in gfe_selectors.services_with_open_request(patient)
            warnings.append(
                f"{service.name} needs a GFE and {name} is not cleared on {on}"
                + (": one has been requested." if pending else ": request one before the visit.")
            )
    deposit = appointment_type.deposit_due
    if deposit > 0:
        warnings.append(
            f"{appointment_type.name} asks a {money_format(deposit)} deposit: booked here, it is left due "
            "and the patient pays it from the link in their confirmation."
        )
    if start is not None:
        paperwork = _paperwork(appointment_type, start, patient)
        to_do = [form.title for form, response in paperwork.forms if response is None]
        to_do += [version.consent.title for version, signature in paperwork.consents if signature is None]
        if to_do:
            warnings.append(f"Paperwork to do before the visit: {', '.join(to_do)}.")
        notice = timedelta(minutes=appointment_type.min_notice_minutes)
        if now <= start < now + notice:
            hours = appointment_type.min_notice_minutes / 60
            warnings.append(
                f"Inside the {hours:g}-hour minimum notice of {appointment_type.name}: the front desk may "
                "book it, patients online could not."
            )
    if patient is not None and not _reachable(patient):
        warnings.append(f"{name} has no email or mobile number we may use: no confirmation will be sent.")
    return warnings


def _paperwork(appointment_type: AppointmentType, start: datetime, patient: Patient | None):
    """The paperwork the visit would ask, as for a booked appointment (an unsaved one, so no form is done)."""
    visit = Appointment(
        appointment_type=appointment_type,
        location=appointment_type.location,
        start=start,
        patient_id=patient.pk if patient is not None else None,
    )
    return paperwork_of([visit])[None]
