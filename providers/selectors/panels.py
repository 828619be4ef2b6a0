"""The Provider dashboard's sections of a patient's profile: the patient's visits, the consents they signed
and the care messages sent to them (photos are shown on the visit's chart only). Registered with the core's
profile (by ProvidersConfig.ready), in both the Provider dashboard ("provider": with links to the charts) and
the admin's ("admin")."""

from django.db.models import Prefetch

from medspa.models import Patient
from medspa.selectors.patients import patient_records
from providers.models import CareMessageLog, Visit, VisitService
from services_catalog.models import ConsentSignature


def visits_panel_context(patient: Patient, area: str) -> dict:
    """Every visit of the patient, newest first, with its services: two queries however many there are.
    (A chart opens to its own provider only; the chart page says 404 to anyone else.)"""
    visits = (
        Visit.objects.filter(patient__in=patient_records(patient))
        .select_related("provider__user", "location")
        .prefetch_related(
            Prefetch("services", queryset=VisitService.objects.select_related("service__library_service"))
        )
        .order_by("-started_at", "-pk")
    )
    return {"visits": list(visits)}


def consents_panel_context(patient: Patient, area: str) -> dict:
    """The consents the patient signed (each an exact version) and the care messages sent: one query each."""
    records = patient_records(patient)
    signatures = ConsentSignature.objects.filter(patient__in=records).select_related("version__consent")
    care_logs = (
        CareMessageLog.objects.filter(visit__patient__in=records)
        .select_related("care_message")
        .order_by("-created_at", "-pk")
    )
    return {"signatures": list(signatures.order_by("-signed_at", "-pk")), "care_logs": list(care_logs)}
