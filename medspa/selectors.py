"""Reads of the core app: what pages and services ask of the data, in one place."""

from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from medspa.models import ApiToken, Invitation, Medspa, Membership, Patient, PatientProvider, ProviderProfile
from medspa.models.patients import PatientStatus
from medspa.models.tenancy import Credential
from medspa.registry import Registry

PHYSICIAN_CREDENTIALS = (Credential.MD, Credential.DO)


def profile_of(membership: Membership) -> ProviderProfile | None:
    return ProviderProfile.objects.filter(membership=membership).prefetch_related("licences").first()


def profile_missing(membership: Membership) -> list[str]:
    """What the member's profile still lacks for onboarding (empty when complete)."""
    profile = profile_of(membership)
    if profile is None:
        return ["headshot", "photo ID", "signature", "credential", "position", "a current licence"]
    missing = [
        label
        for label, value in (
            ("headshot", profile.headshot),
            ("photo ID", profile.photo_id),
            ("signature", profile.signature),
            ("credential", profile.credential),
            ("position", profile.position),
        )
        if not value
    ]
    if not any(licence.expires_on >= timezone.localdate() for licence in profile.licences.all()):
        missing.append("a current licence")
    return missing


def medspa_has_shipping_address(medspa: Medspa) -> bool:
    return all(
        [medspa.shipping_line1, medspa.shipping_city, medspa.shipping_state, medspa.shipping_postal_code]
    )


def medspa_shipping_address_lines(medspa: Medspa) -> list[str]:
    """The shipping address as it prints on an envelope: street lines, then "City, ST 12345"."""
    city = " ".join(part for part in (medspa.shipping_state, medspa.shipping_postal_code) if part)
    city = ", ".join(part for part in (medspa.shipping_city, city) if part)
    return [line for line in (medspa.shipping_line1, medspa.shipping_line2, city) if line]


def medspa_has_invited_providers(medspa: Medspa) -> bool:
    return (
        Invitation.objects.filter(medspa=medspa, as_provider=True).exists()
        or Membership.objects.filter(medspa=medspa, is_provider=True, is_admin=False).exists()
    )


def physicians_of(medspa: Medspa) -> QuerySet[Membership]:
    """Members who may be the medical director: active MD / DO providers."""
    return Membership.objects.filter(
        medspa=medspa, is_active=True, provider_profile__credential__in=PHYSICIAN_CREDENTIALS
    ).select_related("user")


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


def api_tokens_of(user) -> QuerySet[ApiToken]:
    """The user's API tokens that still work (not expired), newest first."""
    return ApiToken.objects.filter(user=user).exclude(expiry__lt=timezone.now()).order_by("-created")
