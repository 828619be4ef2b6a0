"""What the apps below scheduling read of a patient's appointments, through the registries they own
(SchedulingConfig.ready registers these functions): the services a patient has booked (the GFE app's "To
Clear" status), the appointments panel of a patient's profile, and which patients are a provider's."""

from django.db.models import Exists, OuterRef
from django.utils import timezone

from scheduling.models import ACTIVE_STATUSES, Appointment


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
