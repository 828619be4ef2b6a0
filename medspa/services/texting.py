"""Writes of two-way texting: a text received (stored once, threaded by patient, STOP / START / HELP
recorded), a reply sent from the inbox, a thread read (its texts marked read, the read logged as a read of
patient data).

Twilio's incoming-message webhook (https://www.twilio.com/docs/messaging/guides/webhook-request) posts
MessageSid, AccountSid, From, To, Body and NumMedia (and OptOutType under Advanced Opt-Out); Twilio retries a
webhook that fails, so a text is stored once per MessageSid."""

import logging
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from django.db import IntegrityError, transaction
from django.db.models import F, Func, Value
from django.http import HttpRequest
from django.utils import timezone

from medspa.errors import DomainError
from medspa.messaging import opt_out, sms
from medspa.models import Medspa, Patient, TextMessage, TextThread, User
from medspa.models.patients import PatientStatus
from medspa.patient_match import phone_key
from medspa.services.patients import patient_access_record, patients_access_record

logger = logging.getLogger(__name__)

DEFAULT_REGION = "US"  # every medspa is in the US: a number written without +1 is a US number


class TextingError(DomainError):
    """A reply that may not go: the texter opted out, or the text is empty."""


def e164(raw: str) -> str:
    """The number in E.164 ("+16195550123"), or "" when it is not a possible phone number."""
    try:
        number = phonenumbers.parse(raw or "", DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def patients_with_phone(medspa: Medspa, phone: str):
    """The medspa's patients, merged-away records left out, whose phone on file (written however it was
    typed) is `phone` (E.164): oldest first. Found by the digits patient_match compares."""
    key = phone_key(phone)
    if not key:
        return []
    digits = Func(F("phone"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace")
    candidates = (
        Patient.objects.filter(medspa=medspa, merged_into__isnull=True)
        .annotate(phone_digits=digits)
        .filter(phone_digits__endswith=key)
        .order_by("pk")
    )
    return [patient for patient in candidates if phone_key(patient.phone) == key]


def _patient_for(medspa: Medspa, phone: str) -> Patient | None:
    """The patient a number belongs to: the oldest active record with it, else the oldest with it."""
    patients = patients_with_phone(medspa, phone)
    active = [patient for patient in patients if patient.status != PatientStatus.ARCHIVED]
    return (active or patients or [None])[0]


def _thread_for(medspa: Medspa, phone: str, now: datetime) -> TextThread:
    thread, _ = TextThread.objects.select_for_update().get_or_create(
        medspa=medspa, phone=phone, defaults={"last_message_at": now}
    )
    if thread.patient_id is None:  # a number the medspa learns later joins its patient's thread
        thread.patient = _patient_for(medspa, phone)
    return thread


@dataclass(frozen=True)
class Received:
    message: TextMessage
    created: bool
    keyword: str  # STOP, START, HELP or ""


def _record_keyword(medspa: Medspa, thread: TextThread, keyword: str, word: str, now: datetime) -> None:
    """A STOP (or START) is the number's: every patient of the medspa with that number follows it (a family
    sharing a phone stops together), and the thread keeps it for a number without a record."""
    if keyword not in (opt_out.STOP, opt_out.START):
        return
    stopping = keyword == opt_out.STOP
    thread.opted_out_at = now if stopping else None
    patients = patients_with_phone(medspa, str(thread.phone))
    for patient in patients:
        patient.sms_opted_out_at = now if stopping else None
        patient.sms_opt_out_keyword = word[:20] if stopping else ""
        patient.consent_sms = not stopping
        patient.save(update_fields=["sms_opted_out_at", "sms_opt_out_keyword", "consent_sms", "updated_at"])
    if stopping and patients:
        opt_out.owed_texts_skip([patient.pk for patient in patients])


def inbound_receive(
    *,
    medspa: Medspa,
    sid: str,
    from_number: str,
    to_number: str,
    body: str,
    opt_out_type: str = "",
    now: datetime | None = None,
) -> Received:
    """Stores a text received by `medspa`'s number, once per Twilio MessageSid, in the thread of its
    sender (a patient's, or a thread of its own for an unknown number), and records STOP / START. A second
    delivery of the same MessageSid changes nothing. Run it in the medspa's scope."""
    now = now or timezone.now()
    sender = e164(from_number) or from_number
    existing = TextMessage.objects.filter(provider_sid=sid).first()
    if existing is not None:
        return Received(existing, False, existing.keyword)
    keyword = opt_out.keyword_of(body, opt_out_type)
    try:
        with transaction.atomic():
            thread = _thread_for(medspa, sender, now)
            thread.last_message_at = now
            _record_keyword(medspa, thread, keyword, (body or "").strip().upper(), now)
            thread.save()
            message = TextMessage.objects.create(
                medspa=medspa,
                thread=thread,
                direction=TextMessage.Direction.INBOUND,
                from_number=sender,
                to_number=e164(to_number) or to_number,
                body=body or "",
                provider_sid=sid,
                keyword=keyword,
            )
    except IntegrityError:  # the same MessageSid, delivered twice at once: the other delivery stored it
        existing = TextMessage.objects.filter(provider_sid=sid).first()
        if existing is None:
            raise
        return Received(existing, False, existing.keyword)
    return Received(message, True, keyword)


def thread_refusal(thread: TextThread) -> str:
    """Why no reply may go to this thread, or "": the number (or its patient) texted STOP. A reply answers
    a conversation the texter started, so the patient's notification consent is not asked here."""
    if thread.opted_out_at is not None or (thread.patient and thread.patient.sms_opted_out_at is not None):
        return opt_out.OPTED_OUT
    return ""


def _sms_send(medspa, to: str, body: str) -> str:
    """The one place the inbox hands a text to the SMS backend: from the medspa's own number (the one the
    patient texted); returns the provider's message id."""
    return sms.get_sms_backend().send(to, body, sender=sms.medspa_sender(medspa))


def thread_reply(*, thread: TextThread, user: User, body: str, now: datetime | None = None) -> TextMessage:
    """Sends `body` to the thread's number from the medspa's number and keeps it in the thread, sent or
    with why it failed (TextMessage.failure). Raises TextingError, sending nothing, when the texter opted
    out or the text is empty."""
    body = (body or "").strip()
    if not body:
        raise TextingError("Write a message first.")
    if refusal := thread_refusal(thread):
        raise TextingError(f"Not sent: the {refusal}.")
    failure, sid = "", ""
    try:
        sid = _sms_send(thread.medspa, str(thread.phone), body)
    except sms.SmsError as error:
        failure = str(error)[:300]
    now = now or timezone.now()
    with transaction.atomic():
        message = TextMessage.objects.create(
            medspa_id=thread.medspa_id,
            thread=thread,
            direction=TextMessage.Direction.OUTBOUND,
            from_number=thread.medspa.sms_number or "",
            to_number=thread.phone,
            body=body,
            provider_sid=sid or None,
            sent_by=user,
            failure=failure,
        )
        TextThread.objects.filter(pk=thread.pk).update(last_message_at=now)
    return message


def thread_read(*, thread: TextThread, request: HttpRequest, viewed: str, now: datetime | None = None) -> int:
    """Marks the thread's unread received texts read by the request's user and logs the read of the
    patient's texts; returns how many were unread."""
    count = TextMessage.objects.filter(
        thread=thread, direction=TextMessage.Direction.INBOUND, read_at__isnull=True
    ).update(read_at=now or timezone.now(), read_by=request.user)
    if thread.patient is not None:
        patient_access_record(patient=thread.patient, request=request, viewed=viewed)
    return count


def threads_listed(*, threads, request: HttpRequest, viewed: str) -> None:
    """Logs the read of the patients whose threads (names, last texts) a list shows."""
    patients_access_record(
        patients=[thread.patient for thread in threads if thread.patient is not None],
        request=request,
        viewed=viewed,
    )
