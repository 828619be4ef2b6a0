"""What happens after an appointment changes (after the transaction commits): the patient's notification
is queued, and a booking of a service that needs clearance requests a GFE (the GFE app sits below
scheduling, so scheduling calls it and tells it, through a registered function, what a patient has booked).
SchedulingConfig.ready registers the functions here with the registries of the apps below."""

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from gfe.services import clearances as gfe_clearances
from gfe.services import requests as gfe_requests
from medspa.celery import task_queue
from medspa.tenancy import medspa_scope
from scheduling.models import ACTIVE_STATUSES, Appointment


def appointment_changed(appointment: Appointment, kind: str) -> None:
    """kind: confirmation, reschedule, cancellation or no-show."""
    if kind in ("confirmation", "reschedule"):
        gfe_for_booking(appointment)
    elif kind == "cancellation":
        with medspa_scope(appointment.medspa_id), transaction.atomic():
            gfe_requests.gfe_requests_for_cancelled_booking(patient=appointment.patient)
            gfe_clearances.patient_status_refresh(patient=appointment.patient)
    task_queue("scheduling.tasks.appointment_notify", appointment.pk, appointment.medspa_id, kind)


def gfe_for_booking(appointment: Appointment) -> None:
    """A booking of a service that needs clearance, without a valid one on the day, requests a GFE when
    the medspa's setting says so (and the patient shows "To Clear" either way)."""
    service = appointment.appointment_type.service
    day = appointment.local_start.date()
    with medspa_scope(appointment.medspa_id), transaction.atomic():
        gfe_requests.gfe_request_for_booking(patient=appointment.patient, service=service, on=day)
        gfe_clearances.patient_status_refresh(patient=appointment.patient)


def booked_services(patient) -> list:
    """The (service, day) pairs of a patient's upcoming active appointments, for the GFE app's
    "To Clear" status."""
    upcoming = Appointment.objects.filter(
        patient=patient, status__in=ACTIVE_STATUSES, start__gte=timezone.now()
    ).select_related("appointment_type__service__library_service", "location")
    return [
        (appointment.appointment_type.service, appointment.local_start.date()) for appointment in upcoming
    ]


def profile_panel_context(patient, area: str) -> dict:
    """The appointments panel of a patient's profile: the ten latest, in one query."""
    latest = Appointment.objects.filter(patient=patient).select_related("appointment_type", "location")
    return {"appointments": list(latest.order_by("-start")[:10])}


def appointment_link(membership) -> Exists:
    """A patient with an appointment with a provider is that provider's patient."""
    return Exists(Appointment.objects.filter(patient=OuterRef("pk"), provider=membership))
