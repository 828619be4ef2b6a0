"""Reads of a service visit's chart: when the visit happened, whether a service may be performed in it (the
GFE gate and the medical director's standing orders), the consents it needs and the signatures that cover
them, who may sign the chart and how its signatures print, and how long it has waited for one."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from gfe.models import Clearance, ClearanceStatus
from gfe.services.errors import ClearanceMissing
from medspa import clock
from medspa.models import Membership, User
from medspa.selectors.masquerade import acting_impersonator_id
from medspa.selectors.patients import patient_records
from providers.models import Visit, VisitConsent
from providers.models.visits import VisitStatus
from services_catalog.models import ConsentSignature, ConsentVersion, Service
from services_catalog.selectors import catalog as catalog_selectors
from services_catalog.selectors import consents as consent_selectors

# The field's norm: a chart is finished (signed) within 72 hours of the visit.
CHART_DUE_WITHIN = timedelta(hours=72)


# --- When ---------------------------------------------------------------------------------------------------


def visit_moment(visit: Visit) -> datetime:
    """When the treatment happened: the appointment's start, or when a walk-in was started (a completed
    appointment may be charted days later; its day is still the appointment's)."""
    if visit.appointment_id is not None:
        return visit.appointment.start
    return visit.started_at or timezone.now()


def visit_day(visit: Visit) -> date:
    """The visit's date where it happens: clearances and lot expiries are dates there."""
    return visit_moment(visit).astimezone(visit.location.tz).date()


# --- Services -----------------------------------------------------------------------------------------------


def service_refusal(visit: Visit, service: Service) -> str:
    """Why `service` cannot be performed in `visit`, or ""."""
    if service.medspa_id != visit.medspa_id or not service.is_active:
        return f"{service.display_name} is not an active service of this medspa."
    if service.effective_requires_gfe and not _cleared_on_visit_day(visit, service):
        return str(ClearanceMissing([service]))
    standing_order = service.effective_standing_order
    if standing_order is not None and not catalog_selectors.standing_order_is_signed(
        visit.medspa, standing_order
    ):
        return (
            f"The standing order for {service.display_name} is not signed off by the medical director yet: "
            "it cannot be performed until it is."
        )
    return ""


def _cleared_on_visit_day(visit: Visit, service: Service) -> bool:
    """The GFE gate on the visit's day: a clearance valid that day, including one that has expired by date
    since (a visit charted or checked out after the nightly expiry still happened while it was valid)."""
    return Clearance.objects.filter(
        patient_id=visit.patient_id,
        service=service,
        valid_until__gte=visit_day(visit),
        status__in=[ClearanceStatus.CLEARED, ClearanceStatus.EXPIRED],
    ).exists()


def services_of_visit(visit: Visit) -> list[Service]:
    return [row.service for row in visit.services.select_related("service__library_service")]


# --- Consents -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentNeed:
    """A consent the visit needs: its current version, and the signature that covers it (if any)."""

    version: ConsentVersion
    covered_by: ConsentSignature | None
    signed_in_visit: bool

    @property
    def consent(self):
        return self.version.consent

    @property
    def is_covered(self) -> bool:
        return self.covered_by is not None


def consents_needed(visit: Visit) -> list[ConsentNeed]:
    """Every consent of the visit's services at its current version, each with the signature that covers
    it: one taken in this visit, or the patient's earlier signature of the same version within a year."""
    rows = visit.services.select_related("service__library_service").prefetch_related(
        "service__consents__versions", "service__library_service__consents__versions"
    )
    versions: dict[int, ConsentVersion] = {}
    for row in rows:
        for consent in row.service.effective_consents():
            version = consent.current_version
            if version is not None:
                versions.setdefault(version.pk, version)
    if not versions:
        return []
    in_visit = {
        row.version_id: row
        for row in VisitConsent.objects.filter(visit=visit, version_id__in=versions).select_related(
            "signature"
        )
    }
    earlier = consent_selectors.covering_signatures(
        patient_ids=patient_records(visit.patient).values_list("pk", flat=True),
        version_ids=versions,
        at=visit_moment(visit),
    )
    needs = []
    for version_id, version in versions.items():
        if version_id in in_visit:
            needs.append(
                ConsentNeed(version, in_visit[version_id].signature, in_visit[version_id].signed_in_visit)
            )
        else:
            needs.append(ConsentNeed(version, earlier.get(version_id), False))
    return sorted(needs, key=lambda need: need.consent.title)


# --- Signing ------------------------------------------------------------------------------------------------


def sign_refusal(visit: Visit, user: User) -> str:
    """Why `user` (or the admin masquerading as them) cannot sign the chart now, or ""."""
    if visit.status == VisitStatus.VOIDED:
        return "This visit was voided."
    if visit.is_signed:
        return "The chart is already signed."
    if visit.provider.user_id != user.pk:
        return "Only the provider who performed the visit signs its chart."
    if visit.awaits_cosign and acting_impersonator_id() is not None:
        return (
            f"Signed by {visit.signed_on_behalf_by.get_full_name()} on behalf of {user.get_full_name()}: "
            "the chart waits for their co-signature."
        )
    if not visit.services.exists():
        return "Record at least one service performed before signing."
    return ""


def on_behalf_refusal(visit: Visit) -> str:
    """Why the person masquerading (if anyone) cannot sign on the provider's behalf, or "": only an admin of
    the visit's medspa may; Portrait staff never sign a medspa's chart."""
    impersonator = acting_impersonator_id()
    if (
        impersonator is None
        or Membership.objects.filter(
            user_id=impersonator, medspa_id=visit.medspa_id, is_admin=True, is_active=True
        ).exists()
    ):
        return ""
    return "Only the provider, or an admin of this medspa on their behalf, signs the chart."


def _when(moment: datetime, visit: Visit) -> str:
    """A signature's time in the medspa's zone, as the chart and its PDF print it."""
    local = clock.local(moment, visit.medspa)
    return f"{local:%b %-d, %Y %-I:%M %p} ({visit.medspa.time_zone})"


def chart_signature_lines(visit: Visit) -> list[str]:
    """Who signed the chart, as the chart page and its PDF print it: the provider, or an admin on the
    provider's behalf and then the provider's co-signature (or that it is still awaited)."""
    provider = visit.provider.user.get_full_name()
    lines = []
    if visit.signed_on_behalf_at is not None:
        lines.append(
            f"Signed by {visit.signed_on_behalf_by.get_full_name()} on behalf of "
            f"{visit.signed_on_behalf_of.user.get_full_name()} on {_when(visit.signed_on_behalf_at, visit)}."
        )
        if visit.is_signed:
            cosigner = visit.chart_signed_by.get_full_name()
            lines.append(f"Co-signed by {cosigner} at {_when(visit.chart_signed_at, visit)}.")
        else:
            lines.append(f"Waiting for the co-signature of {provider}.")
    elif visit.is_signed:
        lines.append(
            f"Signed by {visit.chart_signed_by.get_full_name()} on {_when(visit.chart_signed_at, visit)}."
        )
    return lines


def chart_age(visit: Visit, now=None) -> timedelta:
    """How long the chart has waited for its signature."""
    return (now or timezone.now()) - visit_moment(visit)


def chart_overdue(visit: Visit, now=None) -> bool:
    return not visit.is_signed and chart_age(visit, now) > CHART_DUE_WITHIN
