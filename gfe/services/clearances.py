"""Clearances over time: the allowed transitions, the patient's To Clear status, the gate before treatment
and the nightly expiry."""

from collections.abc import Callable
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django_scopes import scopes_disabled

from gfe import models
from gfe.selectors import clearances as clearance_selectors
from gfe.services.errors import ClearanceMissing, GfeRuleBroken
from medspa import clock
from medspa.models import Patient
from medspa.models.patients import PatientStatus
from medspa.registry import Registry
from services_catalog.models import Service


def _transition(clearance: models.Clearance, to: str) -> None:
    if to not in models.CLEARANCE_TRANSITIONS.get(clearance.status, set()):
        raise GfeRuleBroken(
            f"A clearance that is {clearance.get_status_display().lower()} cannot become "
            f"{models.ClearanceStatus(to).label.lower()}."
        )
    clearance.status = to


@transaction.atomic
def patient_status_refresh(*, patient: Patient) -> Patient:
    """ "To Clear" while any requested or booked service lacks a valid clearance; otherwise active.
    Archived patients stay archived."""
    if patient.status == PatientStatus.ARCHIVED:
        return patient
    to_clear = clearance_selectors.open_requests(patient).exists() or bool(_booked_uncleared(patient))
    status = PatientStatus.TO_CLEAR if to_clear else PatientStatus.ACTIVE
    if patient.status != status:
        patient.status = status
        patient.save(update_fields=["status", "updated_at"])
    return patient


# Scheduling registers how to list a patient's booked (service, day) pairs: the GFE app sits below
# scheduling and never imports it.
BOOKED_SERVICES: Registry[Callable[[Patient], list[tuple[Service, date]]]] = Registry("booked services")


def _booked_uncleared(patient: Patient) -> list[Service]:
    booked = [
        (service, day)
        for listed in BOOKED_SERVICES
        for service, day in listed(patient)
        if service.effective_requires_gfe
    ]
    if not booked:
        return []
    # One query for all bookings: a service is cleared on a day when its latest clearance lasts until then.
    cleared_until = dict(
        models.Clearance.objects.filter(
            patient=patient,
            service__in={service for service, _ in booked},
            status=models.ClearanceStatus.CLEARED,
        )
        .order_by()
        .values("service_id")
        .annotate(until=Max("valid_until"))
        .values_list("service_id", "until")
    )
    return [
        service
        for service, day in booked
        if cleared_until.get(service.pk) is None or cleared_until[service.pk] < day
    ]


def gate_check(*, patient: Patient, services: list[Service], on: date | None = None) -> None:
    """The gate before treatment: raises ClearanceMissing naming every service without a valid clearance."""
    missing = clearance_selectors.gate_missing(patient, services, on)
    if missing:
        raise ClearanceMissing(missing)


@transaction.atomic
def clearances_expire(*, today: date | None = None) -> int:
    """Nightly: cleared clearances past their date become expired; requests sent to an own clearer that
    nobody decided within the link's life become expired with their clearances (Portrait's queue keeps its
    requests until they are decided). Returns how many clearances expired.

    A clearance is valid through its date in its medspa's zone: each clearance counts from its medspa's
    today (the server's date is already tomorrow in a US evening), or from `today` when given."""
    with scopes_disabled():
        expired, patients = 0, set()
        # No zone is more than 14 hours ahead of UTC: no medspa's today is after the server's date plus one.
        latest = today or timezone.now().date() + timedelta(days=1)
        due = models.Clearance.objects.select_related("patient", "medspa").select_for_update(of=("self",))
        for clearance in due.filter(status=models.ClearanceStatus.CLEARED, valid_until__lt=latest):
            if clearance.valid_until >= (today or clock.today(clearance.medspa)):
                continue
            _transition(clearance, models.ClearanceStatus.EXPIRED)
            clearance.save(update_fields=["status"])
            expired += 1
            patients.add(clearance.patient)
        stale = models.GfeRequest.objects.filter(
            status__in=models.OPEN_REQUEST_STATUSES, token_expires_at__lt=timezone.now()
        )
        for request in stale.filter(route=models.Routing.OWN_CLEARER).select_related("patient"):
            patients.add(request.patient)
            request.status = models.RequestStatus.EXPIRED
            request.save(update_fields=["status"])
            for clearance in request.clearances.filter(
                status__in=[models.ClearanceStatus.REQUESTED, models.ClearanceStatus.IN_REVIEW]
            ):
                _transition(clearance, models.ClearanceStatus.EXPIRED)
                clearance.save(update_fields=["status"])
        for patient in patients:
            patient_status_refresh(patient=patient)
    return expired
