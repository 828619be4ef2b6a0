"""Demo data of GFE management: the Launch medspa clears its own patients (Dr. Chen, MD, has cleared ten
of them for neurotoxin); the Flex medspa routes to Portrait and has one request in Portrait's queue.
Idempotent, like the rest of `seed_demo`."""

from gfe.models import GfeExam, GfeRequest, GfeSettings, Routing
from gfe.services import decisions as gfe_decisions
from gfe.services import requests, routing
from medspa.models import Medspa, Patient
from services_catalog.models import Service

EXAM = {
    "history_reviewed": True,
    "medications_reviewed": True,
    "allergies_reviewed": True,
    "diagnoses": "Dynamic rhytids of the glabella and forehead.",
    "icd10_codes": "L90.8",
    "notes": "No contraindications found. Discussed expected results and risks.",
}


def seed(medspas: dict[str, Medspa]) -> None:
    """GFE routing of both medspas, Dr. Chen's clearances and the Flex medspa's request to Portrait."""
    launch, flex = medspas["launch"], medspas["flex"]
    if not GfeSettings.objects.filter(medspa=launch).exists():
        routing.gfe_settings_update(medspa=launch, data={"routing": Routing.SELF})
    if not GfeSettings.objects.filter(medspa=flex).exists():
        routing.gfe_settings_update(medspa=flex, data={"routing": Routing.PORTRAIT})
    toxin = Service.objects.filter(
        medspa=launch, library_service__name__startswith="Neurotoxin", is_active=True
    ).first()
    director = launch.medical_director
    if director is not None and toxin and not GfeExam.objects.filter(medspa=launch).exists():
        for patient in Patient.objects.filter(medspa=launch).exclude(status="archived").order_by("pk")[:10]:
            decisions = {toxin.pk: gfe_decisions.Decision("cleared")}
            gfe_decisions.gfe_self_clear(
                membership=director, patient=patient, exam=EXAM, decisions=decisions, notify=False
            )
    flex_service = Service.objects.filter(
        medspa=flex, is_active=True, library_service__requires_gfe=True
    ).first()
    flex_patient = Patient.objects.filter(medspa=flex).order_by("pk").first()
    if flex_service and flex_patient and not GfeRequest.objects.filter(medspa=flex).exists():
        requests.gfe_request_create(patient=flex_patient, services=[flex_service], requested_by=None)
