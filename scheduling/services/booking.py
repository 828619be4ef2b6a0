"""Booking, rescheduling, cancelling and moving appointments through their statuses. The rules live here
for the calendar pages, the public booking page and the API alike; the database's exclusion constraints
are the last word on double booking, whatever races happen between the check and the insert."""

import functools
from contextlib import nullcontext
from dataclasses import replace
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from medspa.models import Membership, Patient, User
from scheduling.models import Appointment, AppointmentStatus, AppointmentType, Resource
from scheduling.selectors import slots, start_check
from scheduling.selectors.statuses import status_refusal
from scheduling.services import hooks, placing
from scheduling.services.booking_errors import BookingError, BookingInvalid, SlotUnavailable


def _check_request(
    *,
    appointment_type: AppointmentType,
    start: datetime,
    now: datetime,
    online: bool,
    provider: Membership | None,
    exclude_appointment_id: int | None = None,
) -> list[slots.Slot]:
    """Checks the request in the order its errors are told, and returns the slots at exactly `start` (one
    per free provider); a clear error when there is none. The minimum notice binds patients booking online;
    the front desk may book a walk-in inside it. One query (scheduling.selectors.start_check) reads
    whether the provider offers the type, the start's hours and what is booked around it."""
    if not isinstance(start, datetime) or timezone.is_naive(start):
        raise BookingInvalid("Give the time with its time zone (for example 2026-03-10T10:00:00-07:00).")
    location = appointment_type.location
    if not location.is_active:
        raise BookingInvalid(f"{location.name} is not taking bookings.")
    if not appointment_type.is_active or (online and not appointment_type.online_bookable):
        raise BookingInvalid(f"{appointment_type.name} cannot be booked {'online' if online else 'now'}.")
    check = start_check.start_check(
        appointment_type,
        start,
        provider_id=provider.pk if provider else None,
        offered_id=provider.pk if provider else None,
        now=now,
        exclude_appointment_id=exclude_appointment_id,
        notice=online,
    )
    if not check.offered:
        raise BookingInvalid(f"{provider.user.get_full_name()} does not offer {appointment_type.name}.")
    if start < now:
        raise BookingInvalid("That time is in the past.")
    if online and start < now + timedelta(minutes=appointment_type.min_notice_minutes):
        hours = appointment_type.min_notice_minutes / 60
        raise BookingInvalid(f"{appointment_type.name} needs at least {hours:g} hours' notice.")
    if start > now + timedelta(days=appointment_type.horizon_days):
        raise BookingInvalid(
            f"{appointment_type.name} can be booked up to {appointment_type.horizon_days} days ahead."
        )
    if check.slots:
        return check.slots
    if check.in_hours:
        raise SlotUnavailable()
    raise BookingInvalid("That time is outside the hours when this appointment can be booked.")


def _in_a_transaction(function):
    """Runs `function` in the caller's transaction if any (a request's: the locks last until it commits), else
    in a new one; never in a savepoint: the insert has its own (_insert_retrying), a refusal wrote nothing."""

    @functools.wraps(function)
    def inner(*args, **kwargs):
        with nullcontext() if connection.in_atomic_block else transaction.atomic():
            return function(*args, **kwargs)

    return inner


def appointment_book(
    *,
    appointment_type: AppointmentType,
    start: datetime,
    patient: Patient,
    provider: Membership | None = None,
    source: str = Appointment.Source.STAFF,
    by: User | None = None,
    idempotency_key: str | None = None,
    notes: str = "",
    now: datetime | None = None,
    notify: bool = True,
) -> Appointment:
    """Books `patient` into `appointment_type` at `start` with `provider` (or whoever is free). The same
    idempotency key books once: a double-click or a retry returns the first booking. notify=False (demo
    data, imports) sends the patient nothing."""
    appointment, _ = appointment_book_or_find(
        appointment_type=appointment_type,
        start=start,
        patient=patient,
        provider=provider,
        source=source,
        by=by,
        idempotency_key=idempotency_key,
        notes=notes,
        now=now,
        notify=notify,
    )
    return appointment


@_in_a_transaction
def appointment_book_or_find(
    *,
    appointment_type: AppointmentType,
    start: datetime,
    patient: Patient,
    provider: Membership | None = None,
    source: str = Appointment.Source.STAFF,
    by: User | None = None,
    idempotency_key: str | None = None,
    notes: str = "",
    now: datetime | None = None,
    notify: bool = True,
    resource: Resource | None = None,
) -> tuple[Appointment, bool]:
    """appointment_book, saying whether it booked now (True) or found the booking its idempotency key made
    before (False: the API then answers 200, not 201); in the room `resource` when given (a time clicked
    in a room's column), else in the first room free. Either way the appointment comes with its type,
    location, patient and provider (with the provider's user) in hand: the answer reads nothing again."""
    now = now or timezone.now()
    medspa_id = appointment_type.medspa_id
    try:
        if patient.medspa_id != medspa_id:
            raise BookingInvalid("This patient is not one of this medspa's.")
        online = source == Appointment.Source.ONLINE
        candidates = _check_request(
            appointment_type=appointment_type, start=start, now=now, online=online, provider=provider
        )
        if resource is not None:
            candidates = _in_room(appointment_type, resource, candidates)
        appointment = Appointment(
            medspa_id=medspa_id,
            location=appointment_type.location,
            patient=patient,
            appointment_type=appointment_type,
            source=source,
            created_by=by,
            notes=notes,
            idempotency_key=idempotency_key or None,
        )
        placing.place(appointment, candidates, provider_fixed=provider is not None)
    except (BookingError, IntegrityError):
        # The same key booked before (a retry, a double-click, one that won a race): that booking is the
        # answer, whatever this request meets now (that very booking in the way, a time since past). The key
        # is looked up only then, not before every booking: a new booking's insert meets the key's unique
        # constraint (an IntegrityError) if it was used meanwhile.
        existing = _booked_with_key(medspa_id, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return existing, False
    if provider is not None and provider.pk == appointment.provider_id:
        appointment.provider = provider  # in hand already (the slot set only its id)
    if notify:
        transaction.on_commit(lambda: hooks.appointment_changed(appointment, "confirmation"))
    return appointment, True


def _in_room(
    appointment_type: AppointmentType, resource: Resource, candidates: list[slots.Slot]
) -> list[slots.Slot]:
    """The candidate slots, in the room asked for: one the type is not given in (or an inactive one) is
    refused; whether it is free then is the room's exclusion constraint's word (SlotUnavailable)."""
    if not appointment_type.rooms.filter(pk=resource.pk, is_active=True).exists():
        raise BookingInvalid(f"{appointment_type.name} is not given in {resource.name}.")
    return [replace(slot, resource_id=resource.pk) for slot in candidates]


def _booked_with_key(medspa_id: int, idempotency_key: str) -> Appointment | None:
    return (
        Appointment.objects.select_related("location", "appointment_type", "patient", "provider__user")
        .filter(medspa_id=medspa_id, idempotency_key=idempotency_key)
        .first()
    )


@transaction.atomic
def appointment_reschedule(
    *,
    appointment: Appointment,
    start: datetime,
    provider: Membership | None = None,
    by_patient: bool = False,
    now: datetime | None = None,
) -> Appointment:
    """Moves an appointment to another time (and provider); the old time is free again at once."""
    now = now or timezone.now()
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if not appointment.is_active or appointment.status == AppointmentStatus.COMPLETED:
        raise BookingInvalid("Only a booked appointment can be rescheduled.")
    if by_patient:
        _check_patient_window(appointment, now, "reschedule")
    provider = provider or appointment.provider
    candidates = _check_request(
        appointment_type=appointment.appointment_type,
        start=start,
        now=now,
        online=by_patient,
        provider=provider,
        exclude_appointment_id=appointment.pk,
    )
    placing.place(appointment, candidates, provider_fixed=True)
    transaction.on_commit(lambda: hooks.appointment_changed(appointment, "reschedule"))
    return appointment


def _check_patient_window(appointment: Appointment, now: datetime, what: str) -> None:
    window = timedelta(hours=appointment.appointment_type.cancellation_window_hours)
    if appointment.start - now < window:
        hours = appointment.appointment_type.cancellation_window_hours
        raise BookingInvalid(
            f"It is too late to {what} online (less than {hours} hours before): please call us."
        )


@transaction.atomic
def appointment_cancel(
    *,
    appointment: Appointment,
    reason: str,
    by_patient: bool = False,
    now: datetime | None = None,
    notify: bool = True,
) -> Appointment:
    """Cancels an appointment with its reason; patients may do so online only within the policy.
    notify=False (a booking undone before it was confirmed to anyone) sends nothing and runs no hook."""
    now = now or timezone.now()
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED):
        raise BookingInvalid(f"A {appointment.get_status_display().lower()} appointment cannot be cancelled.")
    if by_patient:
        _check_patient_window(appointment, now, "cancel")
    if not reason.strip():
        raise BookingInvalid("Give a reason for the cancellation.")
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancel_reason = reason.strip()[:300]
    appointment.cancelled_at = now
    appointment.save(update_fields=["status", "cancel_reason", "cancelled_at", "updated_at"])
    if notify:
        transaction.on_commit(lambda: hooks.appointment_changed(appointment, "cancellation"))
    return appointment


@transaction.atomic
def appointment_status_set(
    *, appointment: Appointment, status: str, now: datetime | None = None
) -> Appointment:
    """Confirmed, checked in, completed, no-show: only the transitions that make sense, at a time when they
    make sense (no check-in days ahead, no no-show before the appointment)."""
    now = now or timezone.now()
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if status == AppointmentStatus.CANCELLED:
        raise BookingInvalid("Cancel with a reason instead.")
    refusal = status_refusal(appointment, status, now)
    if refusal:
        raise BookingInvalid(refusal)
    appointment.status = status
    appointment.save(update_fields=["status", "updated_at"])
    if status == AppointmentStatus.NO_SHOW:
        transaction.on_commit(lambda: hooks.appointment_changed(appointment, "no-show"))
    return appointment


@transaction.atomic
def appointment_import(
    *,
    appointment_type: AppointmentType,
    provider: Membership,
    patient: Patient,
    start: datetime,
    end: datetime,
    idempotency_key: str,
    notes: str = "",
) -> Appointment:
    """Places an appointment another system already booked (Acuity, when a medspa leaves Legacy) at its
    own time: the patient chose it there, so the booking rules (hours, notice, horizon) are not applied
    again, and the patient is not notified again. Double booking stays impossible: the database's exclusion
    constraint refuses an overlap (SlotUnavailable). The same key imports once."""
    existing = Appointment.objects.filter(
        medspa_id=appointment_type.medspa_id, idempotency_key=idempotency_key
    ).first()
    if existing is not None:
        return existing
    if patient.medspa_id != appointment_type.medspa_id or provider.medspa_id != appointment_type.medspa_id:
        raise BookingInvalid("The patient, the provider and the appointment type must be of one medspa.")
    if end <= start:
        raise BookingInvalid("The appointment ends before it starts.")
    appointment = Appointment(
        medspa_id=appointment_type.medspa_id,
        location=appointment_type.location,
        patient=patient,
        provider=provider,
        appointment_type=appointment_type,
        source=Appointment.Source.ACUITY,
        start=start,
        end=end,
        notes=notes,
        idempotency_key=idempotency_key,
        blocked_start=start - timedelta(minutes=appointment_type.buffer_before_minutes),
        blocked_end=end + timedelta(minutes=appointment_type.buffer_after_minutes),
    )
    rooms = list(appointment_type.rooms.filter(is_active=True).order_by("pk"))
    for room in rooms or [None]:  # a type that needs a room gets the first one free
        appointment.resource = room
        try:
            with transaction.atomic():
                appointment.save()
            return appointment
        except IntegrityError as error:
            constraint = placing.constraint_of(error)
            if constraint == placing.KEY_CONSTRAINT:
                medspa_id = appointment_type.medspa_id
                return Appointment.objects.get(medspa_id=medspa_id, idempotency_key=idempotency_key)
            if constraint == placing.PROVIDER_CONSTRAINT:
                raise SlotUnavailable(
                    f"{provider.user.get_full_name()} already has an appointment in the EHR at that time."
                ) from error
            if constraint != placing.ROOM_CONSTRAINT:
                raise
    raise SlotUnavailable(f"No room for {appointment_type.name} is free in the EHR at that time.")


# --- Changes made on the calendar's grid -------------------------------------------------------------------


def _open_for_change(appointment: Appointment, what: str) -> Appointment:
    """The appointment, locked; refused when it is closed (completed, no-show) or cancelled."""
    appointment = (
        Appointment.objects.select_for_update().select_related("appointment_type").get(pk=appointment.pk)
    )
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED):
        raise BookingInvalid(f"A {appointment.get_status_display().lower()} appointment cannot be {what}.")
    return appointment


def _save_placed(appointment: Appointment, fields: list[str]) -> None:
    """Saves the new place of an appointment; the exclusion constraints have the last word: the provider or
    the room busy then is SlotUnavailable (409), never a 500."""
    try:
        with transaction.atomic():
            appointment.save(update_fields=[*fields, "updated_at"])
    except IntegrityError as error:
        if placing.constraint_of(error) == placing.PROVIDER_CONSTRAINT:
            raise SlotUnavailable(
                f"{appointment.provider.user.get_full_name()} has another appointment then."
            ) from error
        if placing.constraint_of(error) == placing.ROOM_CONSTRAINT:
            raise SlotUnavailable(f"{appointment.resource.name} is taken then.") from error
        raise


@transaction.atomic
def appointment_resize(
    *, appointment: Appointment, end: datetime, now: datetime | None = None
) -> Appointment:
    """Makes an appointment end at `end` (the grid's edge dragged): the start stays, the time blocked for
    the provider and the room follows with the type's buffer after. A time that overlaps another
    appointment of the provider or of the room is SlotUnavailable (409); an end at or before the start, or
    a closed or cancelled appointment, is refused. The patient is told as after a reschedule."""
    now = now or timezone.now()
    if not isinstance(end, datetime) or timezone.is_naive(end):
        raise BookingInvalid("Give the end with its time zone.")
    appointment = _open_for_change(appointment, "resized")
    if end <= appointment.start:
        raise BookingInvalid("The appointment must end after it starts.")
    if appointment.start < now:
        raise BookingInvalid("An appointment that has begun cannot be resized.")
    if end - appointment.start > timedelta(hours=12):
        raise BookingInvalid("An appointment lasts at most 12 hours.")
    after = timedelta(minutes=appointment.appointment_type.buffer_after_minutes)
    appointment.end, appointment.blocked_end = end, end + after
    placing.lock_candidates(
        [
            slots.Slot(
                start=appointment.start,
                end=end,
                provider_id=appointment.provider_id,
                resource_id=appointment.resource_id,
            )
        ]
    )
    _save_placed(appointment, ["end", "blocked_end"])
    transaction.on_commit(lambda: hooks.appointment_changed(appointment, "reschedule"))
    return appointment


@transaction.atomic
def appointment_room_set(*, appointment: Appointment, resource: Resource) -> Appointment:
    """Puts an appointment in another of its type's rooms at the same time (a drop on a room's column).
    A room the type is not given is refused (BookingInvalid); a room busy then is SlotUnavailable (409)."""
    appointment = _open_for_change(appointment, "moved")
    if appointment.resource_id == resource.pk:
        return appointment
    if not appointment.appointment_type.rooms.filter(pk=resource.pk, is_active=True).exists():
        raise BookingInvalid(f"{appointment.appointment_type.name} is not given in {resource.name}.")
    appointment.resource = resource
    placing.lock_candidates(
        [
            slots.Slot(
                start=appointment.start,
                end=appointment.end,
                provider_id=appointment.provider_id,
                resource_id=resource.pk,
            )
        ]
    )
    _save_placed(appointment, ["resource"])
    return appointment
