"""The two emails of a GFE request: the secure link to the medspa's own clearing provider, and the decision
to whoever asked. Each is owed by its request until sent (medspa.once): a worker killed mid-send, a lost
message or a mail server that refused is sent again by the sweep, and a message delivered twice sends once.

Emails say as little of the patient as they can: never the name in a subject, at most the first name and
the last initial in the body; the clinical details stay behind the secure link or in the portal."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django_scopes import scopes_disabled

from gfe.models import ClearanceStatus, GfeRequest, GfeSettings, Routing
from gfe.services import jobs
from medspa import once

PREFIX = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX

# Where a request keeps each of its emails: owed until sent or given up (or no longer to be sent).
CLEARER_EMAILS = once.Outbox.stamped("clearer_notified_at", prefix="clearer_email_")
DECISION_EMAILS = once.Outbox.stamped("decision_notified_at", prefix="decision_email_")


def _local_expiry(request: GfeRequest) -> str:
    moment = request.token_expires_at.astimezone(ZoneInfo(request.medspa.time_zone))
    hour = f"{moment:%I}".lstrip("0")
    return f"{jobs.long_date(moment.date())} at {hour}:{moment:%M %p} {moment.tzname()}"


def _deliver(row, outbox: once.Outbox, subject: str, message: str, to: list[str]) -> str:
    def send() -> None:
        send_mail(subject=subject, message=message, from_email=None, recipient_list=to)

    return once.deliver_once(row, outbox, send)


def gfe_request_notify_clearer(*, request_id: int) -> str:
    """Emails the medspa's own clearing provider the secure review link of a new request (it expires and
    works once). Nothing is sent, and nothing owed, once the request is no longer open."""
    row = GfeRequest.objects.filter(pk=request_id)
    request = (
        CLEARER_EMAILS.owing(row)
        .select_related("patient", "medspa")
        .prefetch_related("services__library_service")
        .first()
    )
    if request is None:
        return ""
    gfe_settings = GfeSettings.objects.filter(medspa_id=request.medspa_id).first()
    if (
        request.route != Routing.OWN_CLEARER
        or not request.is_open
        or gfe_settings is None
        or not gfe_settings.clearer_email
    ):
        row.update(clearer_email_next_attempt_at=None)
        return ""
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
    return _deliver(row, CLEARER_EMAILS, subject, message, [gfe_settings.clearer_email])


def _outcome_line(clearance) -> str:
    name = clearance.service.display_name
    if clearance.status == ClearanceStatus.CLEARED and clearance.valid_until:
        return f"- {name}: cleared, valid until {jobs.long_date(clearance.valid_until)}"
    reason = f" ({clearance.reason})" if clearance.reason else ""
    return f"- {name}: {clearance.get_status_display().lower()}{reason}"


def gfe_request_notify_decided(*, request_id: int) -> str:
    """Tells whoever requested the GFE, and the patient's assigned providers, that it was decided: the
    request's status and each service's outcome (with its expiry when cleared)."""
    row = GfeRequest.objects.filter(pk=request_id)
    request = DECISION_EMAILS.owing(row).select_related("patient", "medspa", "requested_by").first()
    if request is None:
        return ""
    recipients = set(jobs.patient_provider_emails(request.patient))
    requester = request.requested_by
    if requester is not None and requester.is_active and requester.email:
        recipients.add(requester.email)
    if request.decided_at is None or not recipients:
        row.update(decision_email_next_attempt_at=None)  # nothing to tell, or no one to tell
        return ""
    clearances = request.clearances.select_related("service__library_service").order_by("pk")
    lines = "\n".join(_outcome_line(clearance) for clearance in clearances)
    message = (
        "Hello,\n\n"
        f"The Good Faith Exam of {jobs.patient_short_name(request.patient)} was decided: "
        f"{request.get_status_display().lower()}.\n\n{lines}\n\n"
        "The signed exam is on the patient's record in the portal.\n"
    )
    subject = f"{PREFIX}GFE {request.get_status_display().lower()} at {request.medspa.name}"
    return _deliver(row, DECISION_EMAILS, subject, message, sorted(recipients))


def gfe_emails_sweep(*, now: datetime | None = None) -> tuple[list, list]:
    """The (request id, medspa id) of every clearer email, then of every decision email, whose lease ran
    out or whose retry is due."""
    with scopes_disabled():
        rows = GfeRequest.objects.all()
        return once.owed_sweep(rows, CLEARER_EMAILS, now=now), once.owed_sweep(rows, DECISION_EMAILS, now=now)
