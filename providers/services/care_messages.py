"""Care messages after a visit: each post-care message of the visit's services goes to the patient by email
and SMS, each recorded once, and the log says sending, sent, failed or skipped (and why).

Delivered at least once, recorded once, as appointment notifications are: the decision row, unique per
(visit, care message, channel), is committed before anything is sent, so a retried task or a second
worker finds it and decides nothing more. Each row owed is then sent by `care_message_send`
(medspa.once.deliver_once): locked while the message goes, marked sent in the same transaction. A failed
send is recorded (the row shows as failed, with the reason, on the provider's To-Do) and tried again
after its backoff; a worker killed mid-send leaves the row owed, and `care_messages_sweep` (Celery beat,
every minute) queues one task per row whose lease ran out or whose retry is due, until the row is sent
or, after the last attempt, failed for good. The provider may send a failed one again by hand."""

from datetime import datetime

from django.core.mail import EmailMessage
from django.db import transaction
from django_scopes import scopes_disabled

from medspa import once
from medspa.messaging import opt_out, sms
from medspa.models.messages import receipt_fields
from providers.models import CareMessageLog, Visit, VisitStatus
from providers.selectors.care_messages import resendable
from scheduling.selectors import notification_texts
from services_catalog.models import CareMessage

EMAIL, SMS = "email", "sms"
CHANNELS = (EMAIL, SMS)


def _skip_reason(patient, channel: str) -> str:
    if channel == EMAIL:
        if not patient.consent_email:
            return "patient opted out of email"
        if not patient.email.strip():
            return "no email on file"
    else:
        if refusal := opt_out.patient_sms_refusal(patient):
            return refusal
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


def visit_care_messages_send(*, visit_id: int, now: datetime | None = None) -> int:
    """Sends the completed visit's care messages that were never decided; returns how many went out.
    Run it in the visit's medspa scope, outside any transaction (the Celery task does)."""
    visit = Visit.objects.select_related("patient", "medspa").filter(pk=visit_id).first()
    if visit is None or visit.status != VisitStatus.COMPLETED:
        return 0
    claimed: list[CareMessageLog] = []
    queued = CARE_MESSAGES.queued(now)
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
                        **({} if reason else queued),
                    },
                )
                if created and not reason:
                    claimed.append(row)
    return sum(_deliver(visit, row, now=now) == once.SENT for row in claimed)


# Where a CareMessageLog row keeps its message (medspa.once): owed while sending or failed with a retry due.
CARE_MESSAGES = once.Outbox(
    owed={"status__in": [CareMessageLog.Status.PENDING, CareMessageLog.Status.FAILED]},
    sent=lambda now: {"status": CareMessageLog.Status.SENT, "detail": "", "updated_at": now},
    retrying={"status": CareMessageLog.Status.FAILED},
    given_up={"status": CareMessageLog.Status.FAILED},
    receipt=receipt_fields,
)


def care_message_send(*, log_id: int, now: datetime | None = None) -> str:
    """Sends one owed care message (a row the sweep found), marking it sent once; returns medspa.once's
    outcome. Run it in the row's medspa scope and outside any transaction."""
    row = CARE_MESSAGES.owing(CareMessageLog.objects.filter(pk=log_id)).first()
    if row is None:
        return ""
    visit = Visit.objects.select_related("patient", "medspa").get(pk=row.visit_id)
    return _deliver(visit, row, now=now)


def care_messages_sweep(*, now: datetime | None = None) -> list[tuple[int, int]]:
    """The (row id, medspa id) of every care message whose lease ran out or whose retry is due, across every
    medspa: the caller queues one task each."""
    with scopes_disabled():
        return once.owed_sweep(CareMessageLog.objects.all(), CARE_MESSAGES, now=now)


def care_message_resend(*, log: CareMessageLog) -> bool:
    """Sends a failed (or stuck) care message again, by hand from the To-Do: claimed first, so two clicks
    send once, and skipped if the patient has opted out of that channel since. Run it outside any
    transaction (the view is not atomic, so the mark is not durable-checked: a test may wrap the request)."""
    with transaction.atomic():
        row = CareMessageLog.objects.select_for_update().filter(resendable(), pk=log.pk).first()
        if row is None:
            return False
        visit = Visit.objects.select_related("patient", "medspa").get(pk=row.visit_id)
        reason = _skip_reason(visit.patient, row.channel)
        row.status = CareMessageLog.Status.SKIPPED if reason else CareMessageLog.Status.PENDING
        row.detail = reason
        row.next_attempt_at = None if reason else CARE_MESSAGES.queued()[CARE_MESSAGES.next_attempt_at]
        row.save(update_fields=["status", "detail", "next_attempt_at", "updated_at"])
    if reason:
        return False
    return _deliver(visit, row, durable=False) == once.SENT


def _deliver(visit: Visit, row: CareMessageLog, *, now: datetime | None = None, durable: bool = True) -> str:
    patient, medspa = visit.patient, visit.medspa
    sender = medspa.display_name
    title = row.care_message.title
    # The placeholders the editor offers; anything else stays as written (the renderer never fails).
    text = notification_texts.render(
        row.version.text, {"patient_first_name": patient.first_name, "medspa_name": sender}
    )
    if row.channel == EMAIL:
        message = EmailMessage(
            subject=f"{title}: your care instructions from {sender}",
            body=text,
            to=[patient.email.strip()],
        )
        send = message.send
    else:
        phone, body = patient.phone.strip(), f"{sender}: {title}\n\n{text}"

        def send() -> str:
            return sms.send_text(row, medspa=medspa, to=phone, body=body)

    return once.deliver_once(
        CareMessageLog.objects.filter(pk=row.pk), CARE_MESSAGES, send, now=now, durable=durable
    )
