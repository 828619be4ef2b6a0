"""Sending SMS: a tiny backend interface, chosen by settings.SMS_BACKEND (a dotted path).

- ConsoleSmsBackend (the default) writes each message to the log: nothing leaves the machine.
- FileSmsBackend appends each message as a JSON line to settings.SMS_FILE_PATH (development).
- LocmemSmsBackend keeps messages in `medspa.messaging.sms.outbox` (tests, like Django's locmem email
  backend).
- TwilioSmsBackend sends through Twilio's Programmable Messaging API with the official `twilio` package.

`send(to, body, *, sender, status_callback="")` sends one text from `sender` (the medspa's own number, in
E.164) and returns the provider's id of the message (Twilio's "SM…" sid), which the message log keeps so
that a delivery receipt finds its row. `status_callback` is the absolute URL Twilio reports the message's
status to. send() returns when the provider accepted the message and raises SmsError otherwise. Backends
never retry: whether and when to try again is the caller's (Celery's) decision."""

import json
import logging
import uuid
from pathlib import Path

import requests
from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from medspa.validators import phone_kept

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 10.0
TWILIO_PRODUCTION_URL = "https://api.twilio.com"

# What LocmemSmsBackend sent: dicts {"to", "from", "body", "status_callback", "sid"}; tests clear it.
outbox: list[dict] = []


class SmsError(Exception):
    """The message was not accepted: the provider refused it, answered with an error, or did not answer.
    `code` is the provider's error code when it gave one (Twilio's, e.g. 21211 for an invalid To)."""

    def __init__(self, message: str, *, code: int | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent  # trying again cannot help: medspa.once gives up at once


def _local_sid() -> str:
    """An id shaped like Twilio's (SM + 32 hex digits) for the backends that send nothing."""
    return f"SM{uuid.uuid4().hex}"


class BaseSmsBackend:
    def send(self, to: str, body: str, *, sender: str, status_callback: str = "") -> str:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Development: logs the message instead of sending it."""

    def send(self, to: str, body: str, *, sender: str, status_callback: str = "") -> str:
        logger.info("SMS to %s from %s:\n%s", to, sender, body)
        return _local_sid()


class FileSmsBackend(BaseSmsBackend):
    """Development: appends {"sid", "to", "from", "body"} as one JSON line to settings.SMS_FILE_PATH."""

    def send(self, to: str, body: str, *, sender: str, status_callback: str = "") -> str:
        sid = _local_sid()
        path = Path(settings.SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as file:
            file.write(json.dumps({"sid": sid, "to": to, "from": sender, "body": body}) + "\n")
        return sid


class LocmemSmsBackend(BaseSmsBackend):
    """Tests: appends the message to `outbox`."""

    def send(self, to: str, body: str, *, sender: str, status_callback: str = "") -> str:
        sid = _local_sid()
        outbox.append(
            {"to": to, "from": sender, "body": body, "status_callback": status_callback, "sid": sid}
        )
        return sid


class _TwilioApiClient(TwilioHttpClient):
    """The package's HTTP client, pointed at settings.TWILIO_API_URL instead of https://api.twilio.com (a
    loopback double in tests; the production URL otherwise, when nothing changes)."""

    def __init__(self, *, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_PRODUCTION_URL):
            url = self.base_url + url[len(TWILIO_PRODUCTION_URL) :]
        return super().request(method, url, *args, **kwargs)


class TwilioSmsBackend(BaseSmsBackend):
    """Twilio's Messages resource, through the official `twilio` package: POST
    /2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded To, From, Body and StatusCallback, HTTP
    basic authentication with the account SID and auth token; 201 with the message resource (its `sid`,
    status "queued"), or an error body {"code", "message", "more_info", "status"}.
    https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
    https://www.twilio.com/docs/usage/twilios-response#response-formats-exceptions
    Twilio then POSTs the message's status (queued, sent, delivered, undelivered, failed) to StatusCallback:
    https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
    The package sends to https://api.twilio.com; its HTTP client is replaceable
    (https://www.twilio.com/docs/libraries/reference/twilio-python/custom-http-client), which is how
    settings.TWILIO_API_URL points it elsewhere."""

    def __init__(self) -> None:
        self.account_sid = settings.TWILIO_ACCOUNT_SID
        self.auth_token = settings.TWILIO_AUTH_TOKEN
        self.timeout = float(getattr(settings, "SMS_TIMEOUT", DEFAULT_TIMEOUT_SECONDS))
        if not self.account_sid or not self.auth_token:
            raise SmsError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set.")
        self.client = Client(
            self.account_sid,
            self.auth_token,
            http_client=_TwilioApiClient(base_url=settings.TWILIO_API_URL, timeout=self.timeout),
        )

    def send(self, to: str, body: str, *, sender: str, status_callback: str = "") -> str:
        extra = {"status_callback": status_callback} if status_callback else {}
        try:
            message = self.client.messages.create(to=to, from_=sender, body=body, **extra)
        except TwilioRestException as error:
            # Twilio's code and message only: its body names no patient data beyond the number it refused.
            # A 400 is the message itself refused (an invalid number, an opted-out one): sending it again
            # cannot help. Anything else (credentials, Twilio's own trouble) may pass.
            raise SmsError(
                f"Twilio refused the message: error {error.code} ({error.msg}), HTTP {error.status}",
                code=error.code,
                permanent=error.status == 400,
            ) from None
        except requests.Timeout:
            raise SmsError(f"Twilio did not answer within {self.timeout:g} s.") from None
        except (requests.RequestException, TwilioException) as error:
            raise SmsError(f"Twilio could not be reached: {type(error).__name__}.") from None
        return message.sid


def get_sms_backend() -> BaseSmsBackend:
    """The backend settings.SMS_BACKEND names, ready to send."""
    return import_string(settings.SMS_BACKEND)()


def medspa_sender(medspa) -> str:
    """The number a medspa's texts come from: its own (Medspa.sms_number, kept by Portrait staff in the
    admin), else settings.SMS_FROM where a development set-up names one; else the text cannot go, and the
    SmsError says why (permanent: the log row fails at once and shows on the To-Do)."""
    if medspa.sms_number:
        return str(medspa.sms_number)
    if settings.SMS_FROM:
        return settings.SMS_FROM
    raise SmsError(
        f"{medspa.display_name} has no texting number: Portrait staff set it on the medspa in the admin.",
        permanent=True,
    )


def status_callback_url(row) -> str:
    """The absolute URL the provider reports a message log row's delivery status to (signed by Twilio)."""
    path = reverse("twilio_status", args=[row._meta.label_lower, row.pk])
    return settings.SITE_URL.rstrip("/") + path


def send_text(row, *, medspa, to: str, body: str) -> str:
    """Sends the text a message log row owes, from the medspa's number, with receipts reported to the row;
    returns the provider's message id (medspa.models.messages.receipt_fields stores it on the row)."""
    sender = medspa_sender(medspa)
    # A number kept as typed (before the E.164 migration, or written by an import) goes out in E.164 when it
    # can be read; one that cannot is sent as it is, and Twilio's refusal (21211) fails the row with why.
    to = phone_kept(to)
    return get_sms_backend().send(to, body, sender=sender, status_callback=status_callback_url(row))
