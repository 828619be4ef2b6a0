"""What happens after an appointment changes (after the transaction commits): the patient's notification
is queued, and so is the GFE's side (scheduling.tasks.appointment_gfe): a booking of a service that needs
clearance requests a GFE, a cancellation closes the request its booking made (the GFE app sits below
scheduling, so scheduling calls it and tells it, through a registered function, what a patient has booked).
Both are tasks, so that the request that booked answers without waiting for them.
The reads the apps below ask scheduling for (a patient's booked services, the appointments panel, a
provider's patients) live in scheduling.selectors.patient_appointments; SchedulingConfig.ready registers
them with those apps' registries."""

from django.db import transaction

from gfe.services import clearances as gfe_clearances
from gfe.services import requests as gfe_requests
from medspa.celery import task_queue, tasks_queue
from medspa.tenancy import medspa_scope
from scheduling.models import Appointment
from scheduling.selectors.notification_texts import appointment_place

# A reschedule notice waits this long before it goes: a move undone or corrected meanwhile (the calendar's
# Undo lasts a few seconds less) sends no message about a time that no longer stands.
RESCHEDULE_NOTICE_DELAY = 15

GFE_KINDS = ("confirmation", "reschedule", "cancellation")  # the changes the GFE's side follows


def appointment_changed(appointment: Appointment, kind: str) -> None:
    """kind: confirmation, reschedule, cancellation or no-show. A booking queues one task, which queues its
    two follow-ups from the worker (appointment_followups): the request that booked composes one message
    instead of two, and Celery's composing was most of a publish's CPU. A move's notice must wait out the
    Undo from the move itself, so a move queues its two tasks at once (in one write)."""
    ids = (appointment.pk, appointment.medspa_id, kind)
    if kind == "confirmation":
        task_queue("scheduling.tasks.appointment_followups", *ids)
        return
    calls = [("scheduling.tasks.appointment_gfe", ids, None)] if kind in GFE_KINDS else []
    if kind == "reschedule":
        notice = (*ids, appointment_place(appointment))
        calls.append(("scheduling.tasks.appointment_notify", notice, RESCHEDULE_NOTICE_DELAY))
    else:
        calls.append(("scheduling.tasks.appointment_notify", ids, None))
    tasks_queue(calls)


def followups(appointment_id: int, medspa_id: int, kind: str) -> list[tuple[str, tuple, None]]:
    """A booking's follow-up tasks as tasks_queue takes them: the GFE's side, the patient's notification."""
    ids = (appointment_id, medspa_id, kind)
    return [(f"scheduling.tasks.{name}", ids, None) for name in ("appointment_gfe", "appointment_notify")]


def appointment_gfe(*, appointment_id: int, kind: str) -> None:
    """The GFE's side of a change (in the appointment's medspa scope): a booking or a move requests a GFE
    when one is due, a cancellation closes the request its booking made. Run twice, it does it once: a GFE
    already requested is not requested again, a request already closed is not closed again."""
    appointment = (
        Appointment.objects.select_related(
            "appointment_type__service__library_service", "patient", "location"
        )
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        return
    if kind == "cancellation":
        with transaction.atomic():
            gfe_requests.gfe_requests_for_cancelled_booking(patient=appointment.patient)
            gfe_clearances.patient_status_refresh(patient=appointment.patient)
    elif kind in ("confirmation", "reschedule"):
        gfe_for_booking(appointment)


def gfe_for_booking(appointment: Appointment) -> None:
    """A booking of a service that needs clearance, without a valid one on the day, requests a GFE when
    the medspa's setting says so (and the patient shows "To Clear" either way)."""
    service = appointment.appointment_type.service
    day = appointment.local_start.date()
    with medspa_scope(appointment.medspa_id), transaction.atomic():
        gfe_requests.gfe_request_for_booking(patient=appointment.patient, service=service, on=day)
        gfe_clearances.patient_status_refresh(patient=appointment.patient)
