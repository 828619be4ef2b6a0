"""Care messages after a visit: each post-care message of the visit's services goes to the patient by email
and SMS, each at most once, ever, and the log says sent, failed or skipped (and why).

Exactly once works as for appointment notifications: the decision row, unique per (visit, care message,
channel), is committed before anything is sent, so a retried task or a second worker finds it and sends
nothing. A failure is never resent automatically (a lost answer does not say the message was not
delivered); the provider sees it on their To-Do and may send that one again by hand."""

import logging
from datetime import timedelta

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from medspa.messaging import sms
from providers.models import CareMessageLog, Visit, VisitStatus
from scheduling.selectors import notification_texts
from services_catalog.models import CareMessage

logger = logging.getLogger(__name__)

EMAIL, SMS = "email", "sms"
CHANNELS = (EMAIL, SMS)
# A row still "sending" after this long was left by a worker that died: the To-Do offers to send it again.
STUCK_AFTER = timedelta(minutes=15)


def _skip_reason(patient, channel: str) -> str:
    if channel == EMAIL:
        if not patient.consent_email:
            return "patient opted out of email"
        if not patient.email.strip():
            return "no email on file"
    else:
        if not patient.consent_sms:
            return "patient opted out of SMS"
        if not patient.phone.strip():
            return "no mobile number on file"
    return ""


def care_messages_of(visit: Visit) -> list[CareMessage]:
    """The post-care messages of the visit's services, each once, in title order."""
    messages: dict[int, CareMessage] = {}
    for row in visit.services.select_related("service__library_service").prefetch_related(
        "service__care_messages__versions", "service__library_service__care_messages__versions"
    ):
        for message in row.service.effective_care_messages():
            if message.timing == CareMessage.Timing.POST:
                messages.setdefault(message.pk, message)
    return sorted(messages.values(), key=lambda message: message.title)


def visit_care_messages_send(*, visit_id: int) -> int:
    """Sends the completed visit's care messages that were never decided; returns how many went out.
    Run it in the visit's medspa scope, outside any transaction (the Celery task does)."""
    visit = Visit.objects.select_related("patient", "medspa").filter(pk=visit_id).first()
    if visit is None or visit.status != VisitStatus.COMPLETED:
        return 0
    claimed: list[CareMessageLog] = []
    with transaction.atomic():
        for message in care_messages_of(visit):
            version = message.current_version
            if version is None:
                continue
            for channel in CHANNELS:
                reason = _skip_reason(visit.patient, channel)
                status = CareMessageLog.Status.SKIPPED if reason else CareMessageLog.Status.PENDING
                row, created = CareMessageLog.objects.get_or_create(
                    visit=visit,
                    care_message=message,
                    channel=channel,
                    defaults={
                        "medspa_id": visit.medspa_id,
                        "version": version,
                        "detail": reason,
                        "status": status,
                    },
                )
                if created and not reason:
                    claimed.append(row)
    return sum(_deliver(visit, row) for row in claimed)


def resendable() -> Q:
    """Failed rows, and rows left "sending" by a worker that died before it could say how it went."""
    return Q(status=CareMessageLog.Status.FAILED) | Q(
        status=CareMessageLog.Status.PENDING, updated_at__lt=timezone.now() - STUCK_AFTER
    )


def care_message_resend(*, log: CareMessageLog) -> bool:
    """Sends a failed (or stuck) care message again, by hand from the To-Do: claimed first, so two clicks
    send once, and skipped if the patient has opted out of that channel since."""
    with transaction.atomic():
        row = CareMessageLog.objects.select_for_update().filter(resendable(), pk=log.pk).first()
        if row is None:
            return False
        visit = Visit.objects.select_related("patient", "medspa").get(pk=row.visit_id)
        reason = _skip_reason(visit.patient, row.channel)
        row.status = CareMessageLog.Status.SKIPPED if reason else CareMessageLog.Status.PENDING
        row.detail = reason
        row.save(update_fields=["status", "detail", "updated_at"])
    if reason:
        return False
    return _deliver(visit, row)


def _deliver(visit: Visit, row: CareMessageLog) -> bool:
    patient, medspa = visit.patient, visit.medspa
    sender = medspa.display_name
    title = row.care_message.title
    # The placeholders the editor offers; anything else stays as written (the renderer never fails).
    text = notification_texts.render(
        row.version.text, {"patient_first_name": patient.first_name, "medspa_name": sender}
    )
    try:
        if row.channel == EMAIL:
            EmailMessage(
                subject=f"{title}: your care instructions from {sender}",
                body=text,
                to=[patient.email.strip()],
            ).send()
        else:
            sms.get_sms_backend().send(patient.phone.strip(), f"{sender}: {title}\n\n{text}")
    except Exception as error:  # whatever the backend raised: the row says so, the log has the trace
        logger.warning(
            "Care message %s by %s of visit %s failed",
            row.care_message_id,
            row.channel,
            visit.pk,
            exc_info=True,
        )
        row.status, row.detail = (
            CareMessageLog.Status.FAILED,
            (" ".join(str(error).split()) or type(error).__name__)[:300],
        )
        row.save(update_fields=["status", "detail", "updated_at"])
        return False
    row.status, row.detail = CareMessageLog.Status.SENT, ""
    row.save(update_fields=["status", "detail", "updated_at"])
    return True
