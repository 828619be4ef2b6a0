"""GFE requests: made by hand or for a booking, closed when the booking that asked is cancelled, and the
secret link an own clearer opens."""

from datetime import date
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from gfe.models import (
    OPEN_REQUEST_STATUSES,
    Clearance,
    ClearanceStatus,
    GfeRequest,
    RequestStatus,
    Routing,
)
from gfe.selectors import clearances as clearance_selectors
from gfe.services import emails
from gfe.services.clearances import BOOKED_SERVICES, _transition, patient_status_refresh
from gfe.services.errors import GfeRuleBroken, ReviewLinkInvalid
from gfe.services.routing import settings_for, urgent_fee
from medspa.celery import task_queue
from medspa.models import Patient, User
from services_catalog.models import Service


@transaction.atomic
def gfe_request_create(
    *,
    patient: Patient,
    services: list[Service],
    requested_by: User | None,
    urgent: bool = False,
    source: str = GfeRequest.Source.MANUAL,
) -> GfeRequest | None:
    """Requests a GFE for `services`, routed by the medspa's setting. Services already cleared or already
    requested are left out; None when nothing is left to request.

    The patient's row is locked first (as the status refresh below would lock it anyway), so that two runs
    at once (the GFE task delivered again while its first run works, two bookings of one patient) look for
    an open request one after the other: the second finds the first's request instead of making another."""
    medspa = patient.medspa
    if any(service.medspa_id != medspa.pk for service in services):
        raise GfeRuleBroken("Request clearance only for this medspa's services.")
    Patient.objects.select_for_update(no_key=True).filter(pk=patient.pk).values_list("pk").get()
    gfe_settings = settings_for(medspa)
    pending = clearance_selectors.services_with_open_request(patient)
    wanted = [
        s for s in services if s.pk not in pending and clearance_selectors.clearance_valid(patient, s) is None
    ]
    if any(not service.is_active for service in wanted):
        raise GfeRuleBroken("Only active services can be requested for clearance.")
    if not wanted:
        return None
    is_urgent = urgent and gfe_settings.routing == Routing.PORTRAIT
    request = GfeRequest.objects.create(
        medspa=medspa,
        patient=patient,
        route=gfe_settings.routing,
        source=source,
        urgent=is_urgent,
        urgent_fee=urgent_fee() if is_urgent else Decimal("0"),
        requested_by=requested_by,
        **(emails.CLEARER_EMAILS.queued() if gfe_settings.routing == Routing.OWN_CLEARER else {}),
    )
    request.services.set(wanted)
    for service in wanted:
        Clearance.objects.create(medspa=medspa, patient=patient, service=service, request=request)
    patient_status_refresh(patient=patient)
    if request.route == Routing.OWN_CLEARER:
        transaction.on_commit(
            partial(task_queue, "gfe.tasks.gfe_request_notify_clearer", request.pk, medspa.pk)
        )
    return request


def gfe_request_for_booking(*, patient: Patient, service: Service, on: date) -> GfeRequest | None:
    """Called when a patient is booked for `service`: requests a GFE automatically when the service needs
    one, the patient has no clearance valid on that day, and the medspa's setting says so."""
    if (
        not service.effective_requires_gfe
        or clearance_selectors.clearance_valid(patient, service, on) is not None
    ):
        return None
    if not settings_for(patient.medspa).auto_request_on_booking:
        return None  # the caller refreshes the patient's status after every booking
    return gfe_request_create(
        patient=patient, services=[service], requested_by=None, source=GfeRequest.Source.BOOKING
    )


@transaction.atomic
def gfe_requests_for_cancelled_booking(*, patient: Patient) -> int:
    """Called when a patient's booking is cancelled: an open request made automatically for a booking is
    closed (as expired, with the reason) when no upcoming booking of the patient still needs any of its
    services, so it leaves the clearers' and the provider's To-Do. Requests made by hand stay. Returns how
    many were closed."""
    still_booked = {service.pk for booked in BOOKED_SERVICES for service, _ in booked(patient)}
    requests = GfeRequest.objects.select_for_update().filter(
        patient=patient, source=GfeRequest.Source.BOOKING, status__in=OPEN_REQUEST_STATUSES
    )
    closed = 0
    for request in requests:
        if set(request.services.values_list("pk", flat=True)) & still_booked:
            continue
        for clearance in request.clearances.filter(
            status__in=[ClearanceStatus.REQUESTED, ClearanceStatus.IN_REVIEW]
        ):
            _transition(clearance, ClearanceStatus.EXPIRED)
            clearance.reason = "The booking that asked for it was cancelled."
            clearance.save(update_fields=["status", "reason"])
        request.status, request.decided_at = RequestStatus.EXPIRED, timezone.now()
        request.save(update_fields=["status", "decided_at"])
        closed += 1
    return closed


def review_link_open(token: str) -> GfeRequest:
    """The medspa's own clearer's request behind a secret link; refused once used or expired, and for any
    request that was not sent to an own clearer."""
    with scopes_disabled():
        request = GfeRequest.objects.select_related("patient", "medspa").filter(review_token=token).first()
    if request is None or request.route != Routing.OWN_CLEARER:
        raise ReviewLinkInvalid("This link is not valid.")
    decided = (RequestStatus.APPROVED, RequestStatus.REJECTED, RequestStatus.DEFERRED)
    if request.token_used_at is not None or request.status in decided:
        raise ReviewLinkInvalid("This link was already used: the exam has been signed.")
    if request.token_expires_at < timezone.now() or request.status not in OPEN_REQUEST_STATUSES:
        raise ReviewLinkInvalid("This link has expired: ask the medspa to send the request again.")
    return request
