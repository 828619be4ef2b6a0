"""Decisions on GFE requests: a clearer's review and signed exam, and a provider clearing their own patient.
Never while masquerading: the exam carries the clearer's own name, licence and signature."""

import calendar
from dataclasses import dataclass
from datetime import date
from functools import partial

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from gfe.models import (
    OPEN_REQUEST_STATUSES,
    Clearance,
    ClearanceStatus,
    GfeExam,
    GfeRequest,
    RequestStatus,
    Routing,
)
from gfe.models.exams import EXAM_REVIEW_FLAGS, EXAM_TEXTS
from gfe.selectors import clearances as clearance_selectors
from gfe.services import emails
from gfe.services.clearances import _transition, patient_status_refresh
from gfe.services.errors import EXAM_NOT_PERSONAL, ExamNotPersonal, GfeRuleBroken
from gfe.services.routing import settings_for
from medspa import clock, images
from medspa.celery import task_queue
from medspa.models import Membership, Patient
from medspa.selectors.masquerade import signature_personal_require
from services_catalog.models import Service

DECISIONS = (ClearanceStatus.CLEARED, ClearanceStatus.NOT_INDICATED, ClearanceStatus.DEFERRED)


@dataclass(frozen=True)
class Decision:
    status: str  # cleared, not_indicated or deferred
    reason: str = ""


def months_after(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter: Jan 31 + 1 → Feb 28)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


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
        refusal = clearance_selectors.provider_clearing_refusal(clearer)
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
        **{key: exam.get(key, "") for key in EXAM_TEXTS},
        **{key: bool(exam.get(key)) for key in EXAM_REVIEW_FLAGS},
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
    refusal = clearance_selectors.provider_clearing_refusal(membership)
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
