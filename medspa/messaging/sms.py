"""Sending SMS: a tiny backend interface, chosen by settings.SMS_BACKEND (a dotted path).

- ConsoleSmsBackend (the default) writes each message to the log: nothing leaves the machine.
- LocmemSmsBackend keeps messages in `medspa.messaging.sms.outbox` (tests, like Django's locmem email
  backend).
- HttpSmsBackend posts JSON {"to", "from", "body"} to SMS_API_URL with `Authorization: Bearer SMS_API_KEY`:
  the adapter for a real provider (or a small relay in front of one).

A backend's send() returns normally when the provider accepted the message and raises SmsError otherwise.
Backends never retry: whether and when to try again is the caller's (Celery's) decision."""

import logging

import httpx
from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 10.0

# What LocmemSmsBackend sent: dicts {"to", "from", "body"}; tests clear it.
outbox: list[dict] = []


class SmsError(Exception):
    """The message was not accepted: the provider refused it, answered with an error, or did not answer."""


class BaseSmsBackend:
    def send(self, to: str, body: str) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Development: logs the message instead of sending it."""

    def send(self, to: str, body: str) -> None:
        logger.info("SMS to %s from %s:\n%s", to, settings.SMS_FROM or "(default sender)", body)


class LocmemSmsBackend(BaseSmsBackend):
    """Tests: appends the message to `outbox`."""

    def send(self, to: str, body: str) -> None:
        outbox.append({"to": to, "from": settings.SMS_FROM, "body": body})


class HttpSmsBackend(BaseSmsBackend):
    """A provider's HTTP API: one JSON POST per message, bearer-token authentication, a bounded wait."""

    def __init__(
        self, *, url: str | None = None, api_key: str | None = None, sender: str | None = None
    ) -> None:
        self.url = url if url is not None else settings.SMS_API_URL
        self.api_key = api_key if api_key is not None else settings.SMS_API_KEY
        self.sender = sender if sender is not None else settings.SMS_FROM
        self.timeout = float(getattr(settings, "SMS_TIMEOUT", DEFAULT_TIMEOUT_SECONDS))
        if not self.url:
            raise SmsError("SMS_API_URL is not set.")

    def send(self, to: str, body: str) -> None:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        payload = {"to": to, "from": self.sender, "body": body}
        try:
            response = httpx.post(self.url, json=payload, headers=headers, timeout=self.timeout)
        except httpx.TimeoutException:
            raise SmsError(f"The SMS provider did not answer within {self.timeout:g} s.") from None
        except httpx.HTTPError as error:
            raise SmsError(f"The SMS provider could not be reached: {type(error).__name__}.") from None
        if not response.is_success:
            # The status only: a provider's error body may echo the number or the text back.
            raise SmsError(
                f"The SMS provider answered {response.status_code} {response.reason_phrase}".strip()
            )


def get_sms_backend() -> BaseSmsBackend:
    """The backend settings.SMS_BACKEND names, ready to send."""
    return import_string(settings.SMS_BACKEND)()
