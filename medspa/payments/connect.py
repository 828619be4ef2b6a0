"""Each medspa's own Stripe account, Portrait being the Connect platform (https://docs.stripe.com/connect):
made once (POST /v1/accounts), onboarded on Stripe's hosted pages (POST /v1/account_links, type
account_onboarding), and read back (GET /v1/accounts/{id}, or its `account.updated` event) to know when it
can take charges."""

from __future__ import annotations

import uuid

import stripe
from django.db import IntegrityError, transaction
from django.utils import timezone

from medspa.models import Medspa, User
from medspa.models.payments import StripeAccount
from medspa.payments.client import PaymentError, client, options, translate


class NotConnected(PaymentError):
    """The medspa has no Stripe account that can take charges."""

    def __init__(self, medspa: Medspa):
        super().__init__(
            f"{medspa.display_name} has not connected a Stripe account that can take payments yet "
            "(Account settings → Payments)."
        )


def ready_account(medspa: Medspa) -> StripeAccount | None:
    """The medspa's connected account when it can take charges, else None."""
    account = StripeAccount.objects.filter(medspa=medspa).first()
    return account if account is not None and account.charges_enabled else None


def account_id_for(medspa: Medspa) -> str:
    account = ready_account(medspa)
    if account is None:
        raise NotConnected(medspa)
    return account.account_id


def account_connect(
    *, medspa: Medspa, by: User | None, account_type: str, return_url: str, refresh_url: str
) -> str:
    """The link to Stripe's onboarding for the medspa's account, made first if it has none (a second click,
    or two at once, find the one account). The link is single-use and expires in minutes: asked for anew
    each time."""
    account = StripeAccount.objects.filter(medspa=medspa).first()
    if account is None:
        if account_type not in StripeAccount.Type.values:
            raise PaymentError("Choose Standard or Express.")
        params: dict = {
            "type": account_type,
            "country": "US",
            "email": (by.email if by is not None else None) or None,
            "business_profile": {"name": medspa.display_name},
            "metadata": {"medspa": str(medspa.pk)},
        }
        if account_type == StripeAccount.Type.EXPRESS:
            params["capabilities"] = {"card_payments": {"requested": True}, "transfers": {"requested": True}}
        params = {key: value for key, value in params.items() if value is not None}
        try:
            made = client().v1.accounts.create(
                params, options(idempotency_key=f"medspa-{medspa.pk}-account-{account_type}")
            )
        except stripe.StripeError as error:
            raise translate(error) from error
        try:
            with transaction.atomic():
                account = StripeAccount.objects.create(
                    medspa=medspa, account_id=made.id, account_type=account_type, connected_by=by
                )
        except IntegrityError:
            account = StripeAccount.objects.get(medspa=medspa)
    try:
        link = client().v1.account_links.create(
            {
                "account": account.account_id,
                "type": "account_onboarding",
                "return_url": return_url,
                "refresh_url": refresh_url,
            },
            options(idempotency_key=f"account-link-{uuid.uuid4()}"),
        )
    except stripe.StripeError as error:
        raise translate(error) from error
    return link.url


def account_state_save(account: StripeAccount, data: dict) -> StripeAccount:
    """Keeps what Stripe says of the account (its answer or an account.updated event)."""
    account.charges_enabled = bool(data.get("charges_enabled"))
    account.payouts_enabled = bool(data.get("payouts_enabled"))
    account.details_submitted = bool(data.get("details_submitted"))
    account.checked_at = timezone.now()
    account.save(update_fields=["charges_enabled", "payouts_enabled", "details_submitted", "checked_at"])
    return account


def account_refresh(*, medspa: Medspa) -> StripeAccount | None:
    """Asks Stripe for the account's state (after onboarding returns, or from Account settings)."""
    account = StripeAccount.objects.filter(medspa=medspa).first()
    if account is None:
        return None
    try:
        data = client().v1.accounts.retrieve(account.account_id)
    except stripe.StripeError as error:
        raise translate(error) from error
    return account_state_save(account, data.to_dict())
