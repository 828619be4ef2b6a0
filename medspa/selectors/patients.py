"""Reads of the core app about patients: who may see which, searches and lists."""

from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q, QuerySet

from medspa.models import Membership, Patient, PatientProvider
from medspa.models.patients import PatientStatus
from medspa.registry import Registry


def patient_records(patient: Patient) -> QuerySet[Patient]:
    """The patient's own record and every record merged into it: what was signed on a merged-away record
    (charts, exams, consents, which the database never lets move) still belongs to the person."""
    return Patient._base_manager.filter(Q(pk=patient.pk) | Q(merged_into_id=patient.pk))


def patient_search(queryset: QuerySet[Patient], query: str) -> QuerySet[Patient]:
    """Every word must match a name, the email or the phone (trigram-indexed)."""
    for word in query.split()[:5]:
        queryset = queryset.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(phone__icontains=word)
        )
    return queryset


def patient_list(*, query: str = "", status: str = "") -> QuerySet[Patient]:
    """The medspa's patients for the admin list: archived ones only when asked for."""
    queryset = Patient.objects.all()
    if status in PatientStatus.values:
        queryset = queryset.filter(status=status)
    else:
        queryset = queryset.exclude(status=PatientStatus.ARCHIVED)
    if query.strip():
        queryset = patient_search(queryset, query)
    return queryset.order_by("last_name", "first_name", "id")


# Apps built on the core say what else makes a patient a provider's own (an appointment with them, a visit
# by them): each registers a function giving an EXISTS condition on Patient for a membership.
PROVIDER_PATIENT_LINKS: Registry[Callable[[Membership], Exists]] = Registry("provider patient links")


def patients_of_provider(membership: Membership) -> QuerySet[Patient]:
    """The patients a provider sees in their dashboard: assigned to them, or linked to them by what the
    apps above registered (each an EXISTS subquery, so nobody is listed twice); archived ones left out."""
    condition = Exists(PatientProvider.objects.filter(patient=OuterRef("pk"), membership=membership))
    for link in PROVIDER_PATIENT_LINKS:
        condition |= link(membership)
    return Patient.objects.filter(condition, medspa_id=membership.medspa_id).exclude(
        status=PatientStatus.ARCHIVED
    )


def patients_open_to(membership: Membership | None) -> QuerySet[Patient]:
    """The patients a member may open anywhere outside a dashboard (the API): an admin every patient of the
    medspa, as in the admin dashboard; a provider their own (patients_of_provider, as in the provider
    dashboard); anyone else none."""
    if membership is None:
        return Patient.objects.none()
    if membership.is_admin:
        return Patient.objects.filter(medspa_id=membership.medspa_id)
    if membership.is_provider:
        return patients_of_provider(membership)
    return Patient.objects.none()
