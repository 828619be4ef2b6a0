"""Writes of GFE management: routing settings, requests (manual and for bookings), decisions by a clearer
or a self-clearing provider, expiry, and the gate that refuses treatment without a valid clearance."""

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django_scopes import scopes_disabled

from gfe import emails, selectors
from gfe.models import (
    CLEARANCE_TRANSITIONS,
    OPEN_REQUEST_STATUSES,
    Clearance,
    ClearanceStatus,
    GfeExam,
    GfeRequest,
    GfeSettings,
    RequestStatus,
    Routing,
)
from medspa import clock, images
from medspa.celery import task_queue
from medspa.errors import DomainError
from medspa.models import Medspa, Membership, Patient, User
from medspa.models.patients import PatientStatus
from medspa.registry import Registry
from medspa.selectors.masquerade import SignatureNotPersonal, signature_personal_require
from services_catalog.models import Service

DECISIONS = (ClearanceStatus.CLEARED, ClearanceStatus.NOT_INDICATED, ClearanceStatus.DEFERRED)
REVIEW_FLAGS = ("history_reviewed", "medications_reviewed", "allergies_reviewed")


class GfeRuleBroken(DomainError):
    """A GFE action the rules do not allow; the message says why."""


class ClearanceMissing(GfeRuleBroken):
    """The gate: a service needs a valid clearance the patient does not have (a 409 for the API, naming the
    services to request a GFE for)."""

    status_code = 409

    def __init__(self, services: list[Service]):
        self.services = services
        names = ", ".join(service.display_name for service in services)
        pronoun = "it" if len(services) == 1 else "them"
        super().__init__(f"No valid GFE clearance for {names}: request a GFE for {pronoun} first.")

    def api_data(self) -> dict:
        return {"detail": self.message, "missing": [service.pk for service in self.services]}


class ExamNotPersonal(GfeRuleBroken, SignatureNotPersonal):
    """A GFE exam signed while masquerading: the clearer's licence and signature are theirs alone."""


# Said on the self-clearance page and by the services while an admin masquerades.
EXAM_NOT_PERSONAL = (
    "sign a GFE exam under their licence and signature. If you are licensed to clear, stop masquerading "
    "and clear the patient under your own licence"
)


class ReviewLinkInvalid(GfeRuleBroken):
    """The clearer's link has expired or was already used."""


@dataclass(frozen=True)
class Decision:
    status: str  # cleared, not_indicated or deferred
    reason: str = ""


def months_after(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter: Jan 31 + 1 → Feb 28)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def settings_for(medspa: Medspa) -> GfeSettings:
    """The medspa's GFE settings, or the defaults (unsaved) until its admin saves a choice: only saving
    the GFE Management tab makes the row, which is what marks the onboarding step done."""
    return GfeSettings.objects.filter(medspa=medspa).first() or GfeSettings(medspa=medspa)


@transaction.atomic
def gfe_settings_update(*, medspa: Medspa, data: dict) -> GfeSettings:
    """Changes the routing; clearing their own patients needs a provider who may clear."""
    gfe_settings = settings_for(medspa)
    if data.get("routing") == Routing.SELF and not selectors.self_clearing_providers(medspa):
        raise GfeRuleBroken(
            "Clearing your own patients needs a provider who may clear (MD, DO, NP, or PA where allowed) "
            "with a current licence on file."
        )
    if data.get("routing") == Routing.OWN_CLEARER and not (
        data.get("clearer_email") or gfe_settings.clearer_email
    ):
        raise GfeRuleBroken("Give your clearing provider's email: requests are sent there.")
    for name, value in data.items():
        setattr(gfe_settings, name, value)
    gfe_settings.full_clean(validate_unique=False)
    gfe_settings.save()
    return gfe_settings


def urgent_fee() -> Decimal:
    return Decimal(str(getattr(settings, "GFE_URGENT_FEE", "75.00")))


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
    requested are left out; None when nothing is left to request."""
    medspa = patient.medspa
    if any(service.medspa_id != medspa.pk for service in services):
        raise GfeRuleBroken("Request clearance only for this medspa's services.")
    gfe_settings = settings_for(medspa)
    pending = selectors.services_with_open_request(patient)
    wanted = [s for s in services if s.pk not in pending and selectors.clearance_valid(patient, s) is None]
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
    if not service.effective_requires_gfe or selectors.clearance_valid(patient, service, on) is not None:
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


def _transition(clearance: Clearance, to: str) -> None:
    if to not in CLEARANCE_TRANSITIONS.get(clearance.status, set()):
        raise GfeRuleBroken(
            f"A clearance that is {clearance.get_status_display().lower()} cannot become "
            f"{ClearanceStatus(to).label.lower()}."
        )
    clearance.status = to


@transaction.atomic
def gfe_review_start(*, request: GfeRequest) -> GfeRequest:
    """A clearer opened the request: sent → in review (and its clearances with it)."""
    request = GfeRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.SENT:
        return request
    request.status = RequestStatus.IN_REVIEW
    request.save(update_fields=["status"])
    for clearance in request.clearances.filter(status=ClearanceStatus.REQUESTED):
        _transition(clearance, ClearanceStatus.IN_REVIEW)
        clearance.save(update_fields=["status"])
    return request


@transaction.atomic
def gfe_decide(
    *,
    request: GfeRequest,
    decisions: dict[int, Decision],
    exam: dict,
    clearer: Membership | None = None,
    clearer_name: str = "",
    clearer_credential: str = "",
    clearer_licence: str = "",
    signature_png: bytes | None = None,
    notify: bool = True,
) -> GfeExam:
    """Signs the exam and decides each requested service: cleared (until the validity ends), not indicated
    or deferred (with a reason). The request's status follows the decisions. Never while masquerading: the
    exam carries the clearer's own name, licence and signature."""
    signature_personal_require(EXAM_NOT_PERSONAL, error=ExamNotPersonal)
    request = GfeRequest.objects.select_for_update().get(pk=request.pk)
    if request.status not in OPEN_REQUEST_STATUSES:
        raise GfeRuleBroken(f"This request was already {request.get_status_display().lower()}.")
    # Deciding starts the review when nobody pressed Start review; a refused decision undoes it with the rest.
    request = gfe_review_start(request=request)
    clearances = list(request.clearances.select_related("service"))
    if {c.service_id for c in clearances} != set(decisions):
        raise GfeRuleBroken("Decide every requested service.")
    if clearer is not None:
        refusal = selectors.provider_clearing_refusal(clearer)
        if refusal:
            raise GfeRuleBroken(refusal)
        profile = clearer.provider_profile
        licence = (
            profile.licences.filter(expires_on__gte=clock.today(request.medspa))
            .order_by("-expires_on")
            .first()
        )
        clearer_name, clearer_credential = clearer.user.get_full_name(), profile.credential
        clearer_licence = f"{licence.state} {licence.number}" if licence else ""
    if not clearer_name or not clearer_credential:
        raise GfeRuleBroken("The exam must be signed with the clearer's name and credentials.")
    for decision in decisions.values():
        if decision.status not in DECISIONS:
            raise GfeRuleBroken("Each service is cleared, not indicated or deferred.")
        if (
            decision.status in (ClearanceStatus.NOT_INDICATED, ClearanceStatus.DEFERRED)
            and not decision.reason
        ):
            raise GfeRuleBroken("Give the reason for every service not cleared.")
    signed = GfeExam(
        medspa_id=request.medspa_id,
        patient=request.patient,
        request=request,
        clearer=clearer,
        clearer_name=clearer_name,
        clearer_credential=clearer_credential,
        clearer_licence=clearer_licence,
        **{key: exam.get(key, "") for key in ("diagnoses", "icd10_codes", "contraindications", "notes")},
        **{key: bool(exam.get(key)) for key in REVIEW_FLAGS},
    )
    if not signature_png and clearer is not None and clearer.provider_profile.signature:
        with clearer.provider_profile.signature.open("rb") as on_file:
            signature_png = on_file.read()
    if signature_png:
        # Drawn or on file (one stored before uploads were re-encoded), the exam keeps a small clean PNG
        # that its PDF embeds cheaply.
        try:
            signature_png = images.signature_normalise(signature_png)
        except images.ImageRefused as refused:
            raise GfeRuleBroken(f"The signature could not be used: {refused} Draw it instead.") from None
        signed.signature.save(f"gfe-{request.pk}.png", ContentFile(signature_png), save=False)
    signed.save()
    now = timezone.now()
    valid_until = months_after(clock.today(request.medspa), settings_for(request.medspa).validity_months)
    for clearance in clearances:
        decision = decisions[clearance.service_id]
        _transition(clearance, decision.status)
        clearance.exam, clearance.decided_at, clearance.reason = signed, now, decision.reason[:300]
        if decision.status == ClearanceStatus.CLEARED:
            clearance.valid_until = valid_until
        clearance.save()
    outcomes = {d.status for d in decisions.values()}
    request.status = (
        RequestStatus.APPROVED
        if ClearanceStatus.CLEARED in outcomes
        else RequestStatus.DEFERRED
        if ClearanceStatus.DEFERRED in outcomes
        else RequestStatus.REJECTED
    )
    request.decided_at = now
    request.token_used_at = request.token_used_at or now
    owed = emails.DECISION_EMAILS.queued(now) if notify else {}  # the decision's email, queued below
    for name, value in owed.items():
        setattr(request, name, value)
    request.save(update_fields=["status", "decided_at", "token_used_at", *owed])
    patient_status_refresh(patient=request.patient)
    if notify:
        transaction.on_commit(
            partial(task_queue, "gfe.tasks.gfe_request_notify_decided", request.pk, request.medspa_id)
        )
    return signed


@transaction.atomic
def gfe_self_clear(
    *,
    membership: Membership,
    patient: Patient,
    decisions: dict[int, Decision],
    exam: dict,
    signature_png: bytes | None = None,
    notify: bool = True,
) -> GfeExam:
    """A licensed provider clears their own patient ("Approve services and diagnoses"): the request and
    the signed exam in one step. Never while masquerading (see gfe_decide)."""
    signature_personal_require(EXAM_NOT_PERSONAL, error=ExamNotPersonal)
    refusal = selectors.provider_clearing_refusal(membership)
    if refusal:
        raise GfeRuleBroken(refusal)
    services = list(Service.objects.filter(pk__in=decisions, medspa=patient.medspa))
    if len(services) != len(decisions) or not services:
        raise GfeRuleBroken("Choose the services to clear among your medspa's active services.")
    if any(not service.is_active for service in services):
        raise GfeRuleBroken("Only active services can be cleared.")
    _supersede_open_requests(patient=patient, services=services)
    request = GfeRequest.objects.create(
        medspa=patient.medspa,
        patient=patient,
        route=Routing.SELF,
        requested_by=membership.user,
        status=RequestStatus.IN_REVIEW,
    )
    request.services.set(services)
    for service in services:
        Clearance.objects.create(
            medspa=patient.medspa,
            patient=patient,
            service=service,
            request=request,
            status=ClearanceStatus.IN_REVIEW,
        )
    return gfe_decide(
        request=request,
        decisions=decisions,
        exam=exam,
        clearer=membership,
        signature_png=signature_png,
        notify=notify,
    )


def _supersede_open_requests(*, patient: Patient, services: list[Service]) -> None:
    """A self-clearance answers any open request for the same services: those clearances are closed (as
    expired, with the reason) and a request left with nothing open is closed too, so no clearer decides
    it a second time."""
    pending = Clearance.objects.select_for_update().filter(
        patient=patient,
        service__in=services,
        request__status__in=OPEN_REQUEST_STATUSES,
        status__in=[ClearanceStatus.REQUESTED, ClearanceStatus.IN_REVIEW],
    )
    requests = set()
    for clearance in pending:
        _transition(clearance, ClearanceStatus.EXPIRED)
        clearance.reason = "Superseded by a provider's self-clearance."
        clearance.save(update_fields=["status", "reason"])
        requests.add(clearance.request_id)
    for request in GfeRequest.objects.select_for_update().filter(pk__in=requests):
        still_open = request.clearances.filter(
            status__in=[ClearanceStatus.REQUESTED, ClearanceStatus.IN_REVIEW]
        )
        if not still_open.exists():
            request.status, request.decided_at = RequestStatus.EXPIRED, timezone.now()
            request.save(update_fields=["status", "decided_at"])


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


@transaction.atomic
def patient_status_refresh(*, patient: Patient) -> Patient:
    """ "To Clear" while any requested or booked service lacks a valid clearance; otherwise active.
    Archived patients stay archived."""
    if patient.status == PatientStatus.ARCHIVED:
        return patient
    to_clear = selectors.open_requests(patient).exists() or bool(_booked_uncleared(patient))
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
        Clearance.objects.filter(
            patient=patient, service__in={service for service, _ in booked}, status=ClearanceStatus.CLEARED
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
    missing = selectors.gate_missing(patient, services, on)
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
        due = Clearance.objects.select_related("patient", "medspa").select_for_update(of=("self",))
        for clearance in due.filter(status=ClearanceStatus.CLEARED, valid_until__lt=latest):
            if clearance.valid_until >= (today or clock.today(clearance.medspa)):
                continue
            _transition(clearance, ClearanceStatus.EXPIRED)
            clearance.save(update_fields=["status"])
            expired += 1
            patients.add(clearance.patient)
        stale = GfeRequest.objects.filter(
            status__in=OPEN_REQUEST_STATUSES, token_expires_at__lt=timezone.now()
        )
        for request in stale.filter(route=Routing.OWN_CLEARER).select_related("patient"):
            patients.add(request.patient)
            request.status = RequestStatus.EXPIRED
            request.save(update_fields=["status"])
            for clearance in request.clearances.filter(
                status__in=[ClearanceStatus.REQUESTED, ClearanceStatus.IN_REVIEW]
            ):
                _transition(clearance, ClearanceStatus.EXPIRED)
                clearance.save(update_fields=["status"])
        for patient in patients:
            patient_status_refresh(patient=patient)
    return expired
