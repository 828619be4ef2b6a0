"""Celery tasks of GFE management: they take ids, re-enter the medspa's scope and call services; the nightly
jobs work across medspas.

Emails say as little of the patient as they can: never the name in a subject, at most the first name and
the last initial in the body; the clinical details stay behind the secure link or in the portal."""

from zoneinfo import ZoneInfo

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from gfe import jobs, services
from gfe.models import ClearanceStatus, GfeRequest, GfeSettings, Routing
from medspa.once import send_once
from medspa.tenancy import medspa_scope

PREFIX = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX


def _local_expiry(request: GfeRequest) -> str:
    moment = request.token_expires_at.astimezone(ZoneInfo(request.medspa.time_zone))
    hour = f"{moment:%I}".lstrip("0")
    return f"{jobs.long_date(moment.date())} at {hour}:{moment:%M %p} {moment.tzname()}"


def _email_once(request: GfeRequest, claim: str, subject: str, message: str, to: list[str]) -> None:
    """Sends unless the request's `claim` column says it went (a message delivered twice sends once)."""

    def send() -> None:
        send_mail(subject=subject, message=message, from_email=None, recipient_list=to)

    send_once(GfeRequest.objects.filter(pk=request.pk), claim, send)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def gfe_request_notify_clearer(request_id: int, medspa_id: int) -> None:
    """Emails the medspa's own clearing provider the secure review link of a new request (it expires and
    works once). Nothing is sent once the request is no longer open."""
    with medspa_scope(medspa_id):
        request = (
            GfeRequest.objects.select_related("patient", "medspa")
            .prefetch_related("services__library_service")
            .filter(pk=request_id, medspa_id=medspa_id)
            .first()
        )
        if request is None or request.route != Routing.OWN_CLEARER or not request.is_open:
            return
        gfe_settings = GfeSettings.objects.filter(medspa_id=medspa_id).first()
        if gfe_settings is None or not gfe_settings.clearer_email:
            return
        link = settings.SITE_URL.rstrip("/") + reverse("gfe_review", args=[request.review_token])
        services_list = "\n".join(f"- {service.display_name}" for service in request.services.all())
        greeting = f"Hello {gfe_settings.clearer_name}," if gfe_settings.clearer_name else "Hello,"
        message = (
            f"{greeting}\n\n"
            f"{request.medspa.name} requests a Good Faith Exam of "
            f"{jobs.patient_short_name(request.patient)} for:\n\n{services_list}\n\n"
            "Review the patient's intake, decide each service and sign, through this secure link. It "
            f"works once and expires on {_local_expiry(request)}:\n{link}\n\n"
            "Please do not forward this email: anyone with the link can open the request.\n"
        )
        subject = f"{PREFIX}New Good Faith Exam request from {request.medspa.name}"
        _email_once(request, "clearer_notified_at", subject, message, [gfe_settings.clearer_email])


def _outcome_line(clearance) -> str:
    name = clearance.service.display_name
    if clearance.status == ClearanceStatus.CLEARED and clearance.valid_until:
        return f"- {name}: cleared, valid until {jobs.long_date(clearance.valid_until)}"
    reason = f" ({clearance.reason})" if clearance.reason else ""
    return f"- {name}: {clearance.get_status_display().lower()}{reason}"


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def gfe_request_notify_decided(request_id: int, medspa_id: int) -> None:
    """Tells whoever requested the GFE, and the patient's assigned providers, that it was decided: the
    request's status and each service's outcome (with its expiry when cleared)."""
    with medspa_scope(medspa_id):
        request = (
            GfeRequest.objects.select_related("patient", "medspa", "requested_by")
            .filter(pk=request_id, medspa_id=medspa_id)
            .first()
        )
        if request is None or request.decided_at is None:
            return
        recipients = set(jobs.patient_provider_emails(request.patient))
        requester = request.requested_by
        if requester is not None and requester.is_active and requester.email:
            recipients.add(requester.email)
        if not recipients:
            return
        clearances = request.clearances.select_related("service__library_service").order_by("pk")
        lines = "\n".join(_outcome_line(clearance) for clearance in clearances)
        message = (
            "Hello,\n\n"
            f"The Good Faith Exam of {jobs.patient_short_name(request.patient)} was decided: "
            f"{request.get_status_display().lower()}.\n\n{lines}\n\n"
            "The signed exam is on the patient's record in the portal.\n"
        )
        subject = f"{PREFIX}GFE {request.get_status_display().lower()} at {request.medspa.name}"
        _email_once(request, "decision_notified_at", subject, message, sorted(recipients))


@shared_task
def clearances_expire_nightly() -> int:
    """Nightly (Celery beat): clearances past their date, and requests nobody decided in time, expire."""
    return services.clearances_expire()


@shared_task
def clearance_expiry_reminders() -> int:
    """Daily (Celery beat): a reminder 30 days before a clearance expires, once per clearance."""
    return jobs.clearance_expiry_reminders_send()
