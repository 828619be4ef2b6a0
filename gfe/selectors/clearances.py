"""Reads of GFE management: who may clear, and where a patient stands for each service."""

from datetime import date

from django.db.models import QuerySet

from gfe.models import OPEN_REQUEST_STATUSES, Clearance, ClearanceStatus, GfeRequest
from medspa import clock
from medspa.models import Medspa, Membership, Patient
from medspa.models.tenancy import CLEARING_CREDENTIALS
from services_catalog.models import Service


def provider_clearing_refusal(membership: Membership | None) -> str:
    """Why this member may not clear GFEs (empty when they may): the licence rule, said plainly."""
    if membership is None or not membership.is_provider or not membership.is_active:
        return "Only a provider of the medspa can clear patients."
    profile = getattr(membership, "provider_profile", None)
    if profile is None or profile.credential not in CLEARING_CREDENTIALS:
        return "Only an MD, DO, NP or PA may clear; an RN may gather the information but not clear."
    if not profile.can_clear_gfe:
        return "Your profile does not allow clearing GFEs: ask your medspa's admin."
    today = clock.today(membership.medspa)
    # .all(): the licences prefetched with a list of providers, else one query, as .exists() would be.
    if not any(licence.expires_on >= today for licence in profile.licences.all()):
        return "You have no current licence on file: add it in your profile."
    return ""


def self_clearing_providers(medspa: Medspa) -> list[Membership]:
    """The medspa's providers who may clear their own patients."""
    candidates = (
        Membership.objects.filter(
            medspa=medspa, is_provider=True, is_active=True, provider_profile__can_clear_gfe=True
        )
        .select_related("user", "provider_profile", "medspa")
        .prefetch_related("provider_profile__licences")
    )
    return [membership for membership in candidates if not provider_clearing_refusal(membership)]


def clearance_latest(patient: Patient, service: Service) -> Clearance | None:
    return Clearance.objects.filter(patient=patient, service=service).order_by("-created_at", "-pk").first()


def clearance_valid(patient: Patient, service: Service, on: date | None = None) -> Clearance | None:
    """The clearance that lets `service` be performed on `patient` on day `on` (today in the medspa's time
    zone by default)."""
    on = on or clock.today(patient.medspa)
    return (
        Clearance.objects.filter(
            patient=patient, service=service, status=ClearanceStatus.CLEARED, valid_until__gte=on
        )
        .order_by("-valid_until")
        .first()
    )


def clearances_by_service(patient: Patient) -> dict[int, Clearance]:
    """The newest clearance of each service for a patient (the one that counts), in one query."""
    latest: dict[int, Clearance] = {}
    for clearance in (
        Clearance.objects.filter(patient=patient)
        .select_related("service__library_service", "request")
        .order_by("created_at", "pk")
    ):
        latest[clearance.service_id] = clearance
    return latest


def gate_missing(patient: Patient, services: list[Service], on: date | None = None) -> list[Service]:
    """The services among `services` that need clearance and lack a valid one: what the gate refuses."""
    on = on or clock.today(patient.medspa)
    needing = [service for service in services if service.effective_requires_gfe]
    if not needing:
        return []
    cleared = set(
        Clearance.objects.filter(
            patient=patient, service__in=needing, status=ClearanceStatus.CLEARED, valid_until__gte=on
        ).values_list("service_id", flat=True)
    )
    return [service for service in needing if service.pk not in cleared]


def open_requests(patient: Patient) -> QuerySet[GfeRequest]:
    return GfeRequest.objects.filter(patient=patient, status__in=OPEN_REQUEST_STATUSES)


def services_with_open_request(patient: Patient) -> set[int]:
    return set(
        Clearance.objects.filter(
            patient=patient,
            request__status__in=OPEN_REQUEST_STATUSES,
            status__in=[ClearanceStatus.REQUESTED, ClearanceStatus.IN_REVIEW],
        ).values_list("service_id", flat=True)
    )


def profile_panel_context(patient: Patient, area: str) -> dict:
    """The clearances panel of a patient's profile (admin and provider dashboards alike), with the active
    services that need clearance and have none yet."""
    latest = clearances_by_service(patient)
    needing = Service.objects.filter(medspa=patient.medspa, is_active=True).select_related("library_service")
    return {
        "clearances": list(latest.values()),
        "never_requested": sorted(
            (s for s in needing if s.effective_requires_gfe and s.pk not in latest),
            key=lambda s: s.display_name,
        ),
        "open_requests": open_requests(patient).prefetch_related("services__library_service"),
        "today": clock.today(patient.medspa).isoformat(),
    }
