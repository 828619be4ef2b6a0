"""Stripe through its official Python package (`stripe`, https://github.com/stripe/stripe-python), the one
way the product talks to Stripe: a `StripeClient` with the configured key and address, every POST with an
idempotency key, and Stripe's errors turned into domain errors a person can act on
(https://docs.stripe.com/api/errors: 402 `card_error` for a declined card, `idempotency_error`, …).

Amounts: Stripe counts USD in cents (integers, https://docs.stripe.com/currencies#zero-decimal); the
product counts Decimal dollars. `to_cents` and `from_cents` convert, exactly."""

from __future__ import annotations

import logging
from decimal import Decimal

import stripe
from django.conf import settings

from medspa.errors import DomainError
from medspa.money import cents

logger = logging.getLogger(__name__)

# Retries of a call that failed on the network: Stripe replays a POST's answer for its idempotency key,
# so a retry never charges twice (https://docs.stripe.com/error-low-level#idempotency).
NETWORK_RETRIES = 2


class PaymentError(DomainError):
    """Stripe refused or could not be reached; the message says what to do."""


class StripeNotConfigured(PaymentError):
    def __init__(self, message: str = "Card payments through Stripe are not set up for Portrait yet."):
        super().__init__(message)


class CardDeclined(PaymentError):
    """The card was declined (or needs its holder's authentication, which an off-session charge cannot
    ask for): nothing was paid."""

    status_code = 402


class StripeUnavailable(PaymentError):
    """Stripe could not be reached or answered with an error of its own: nothing is known to be paid; the
    same request later (same key) gets Stripe's one answer."""

    status_code = 503

    def __init__(self, message: str = "Stripe could not be reached: nothing was charged. Please try again."):
        super().__init__(message)


def configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def client() -> stripe.StripeClient:
    if not configured():
        raise StripeNotConfigured()
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_URL, "connect": settings.STRIPE_API_URL},
        max_network_retries=NETWORK_RETRIES,
    )


def options(*, idempotency_key: str | None = None, account: str = "") -> dict:
    """The request options of one call: its idempotency key and the connected account it acts on."""
    found: dict = {}
    if idempotency_key:
        found["idempotency_key"] = idempotency_key[:255]
    if account:
        found["stripe_account"] = account
    return found


def to_cents(amount: Decimal) -> int:
    return int(cents(amount) * 100)


def from_cents(amount: int) -> Decimal:
    return cents(Decimal(amount) / 100)


DECLINE_MESSAGES = {
    "insufficient_funds": "The card was declined: insufficient funds.",
    "expired_card": "The card has expired.",
    "incorrect_cvc": "The card's security code is wrong.",
    "authentication_required": "The card's bank asks the cardholder to approve this payment, which cannot be "
    "done without them: take the card in person.",
}


def translate(error: stripe.StripeError) -> PaymentError:
    """The domain error for one of Stripe's: the card's own refusal in Stripe's words (they are written
    for the cardholder), anything else as "try again"."""
    if isinstance(error, stripe.CardError):
        code = getattr(error, "code", "") or ""
        decline = (error.error.decline_code if error.error else None) or ""
        message = DECLINE_MESSAGES.get(decline) or DECLINE_MESSAGES.get(code) or error.user_message
        return CardDeclined(message or "The card was declined.")
    if isinstance(error, stripe.IdempotencyError):
        logger.error("Stripe refused a reused idempotency key: %s", error)
        return PaymentError(
            "This payment was already asked for with other details: reload the page and try again."
        )
    if isinstance(error, stripe.InvalidRequestError):
        logger.error("Stripe refused a request: %s", error)
        return PaymentError(f"Stripe refused the request: {error.user_message or error}")
    logger.warning("Stripe unavailable: %s", error)
    return StripeUnavailable()


def decline_code(error: PaymentError) -> str:
    """A short code for a failed charge's row."""
    return "card_declined" if isinstance(error, CardDeclined) else "unavailable"
