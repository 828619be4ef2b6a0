"""Delivery receipts: Twilio's status callbacks update the message log row of the text they are about.

Each text is sent with StatusCallback = the URL of its own row (medspa.messaging.sms.status_callback_url),
and Twilio POSTs MessageSid, MessageStatus and, on failure, ErrorCode there as the text moves on
(https://www.twilio.com/docs/messaging/guides/track-outbound-message-status). A receipt is believed only
when signed (medspa.messaging.webhooks), and only for the message the row sent last (its provider_id): a
text sent again has a new sid, and the old one's late receipts change nothing. Callbacks can arrive out of
order and more than once: a status never goes back (delivered, then a late "sent", stays delivered), and the
same receipt twice changes nothing more. A text that failed or was not delivered marks its row failed, with
Twilio's error code, for the To-Do to offer "Send again"."""

import logging

from django.apps import apps
from django.db import transaction
from django_scopes import scopes_disabled

from medspa.models.messages import DeliveryStatus, MessageLog

logger = logging.getLogger(__name__)

# How far along each status is: a receipt that would move a row back is late, and ignored.
PROGRESS = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.UNDELIVERED: 2,
    DeliveryStatus.FAILED: 2,
}
FAILURES = {DeliveryStatus.UNDELIVERED, DeliveryStatus.FAILED}


def message_log_model(label: str) -> type[MessageLog] | None:
    """The concrete message log model a callback URL names ("scheduling.notificationlog"), or None."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return None
    return model if issubclass(model, MessageLog) and not model._meta.abstract else None


def receipt_record(*, model: type[MessageLog], pk: int, sid: str, status: str, error_code: str = "") -> bool:
    """Records one status callback on its row; True when it changed the row. Waits for the row's lock, so a
    receipt that overtakes the commit of its own send finds the sid the send stored."""
    if status not in PROGRESS:
        return False  # accepted, scheduled, sending, read…: steps this log does not keep
    code = int(error_code) if error_code.isdigit() else None
    with scopes_disabled(), transaction.atomic():
        row = model.objects.select_for_update().filter(pk=pk).first()
        if row is None or not sid or row.provider_id != sid:
            return False
        current = PROGRESS.get(row.delivery_status, -1)
        if PROGRESS[status] <= current:
            return False  # the same receipt again, or a late one: the row already says more
        row.delivery_status = status
        row.error_code = code
        fields = ["delivery_status", "error_code", "updated_at"]
        if status in FAILURES:
            row.status = row.Status.FAILED
            row.detail = f"the text was {status} (Twilio error {code or 'unknown'})"
            fields += ["status", "detail"]
        row.save(update_fields=fields)
    if status in FAILURES:
        logger.warning("%s %s: text %s (Twilio error %s)", model.__name__, pk, status, code)
    return True
