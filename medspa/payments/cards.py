"""Cards on file (https://docs.stripe.com/payments/save-and-reuse): a Stripe customer per patient on the
medspa's connected account (or for the medspa itself on Portrait's account), a SetupIntent that Stripe.js
confirms in the browser with the card typed into Stripe's own field (the number never reaches the product),
then the saved PaymentMethod's brand and last four kept here. Removing a card detaches it at Stripe."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import stripe
from django.db import IntegrityError, transaction
from django.utils import timezone

from medspa.models import Medspa, Patient, User
from medspa.models.payments import SavedCard, StripeCustomer
from medspa.payments.client import PaymentError, client, options, translate
from medspa.payments.connect import account_id_for


@dataclass(frozen=True)
class CardSetup:
    """What the page hands Stripe.js: the publishable key, the SetupIntent's client secret, the account."""

    setup_intent_id: str
    client_secret: str
    account_id: str


def customer_for(*, medspa: Medspa, patient: Patient | None = None) -> StripeCustomer:
    """The patient's customer on the medspa's connected account, or (patient None) the medspa's own on
    Portrait's platform account; made at Stripe the first time (one, however many ask at once)."""
    account = account_id_for(medspa) if patient is not None else ""
    found = StripeCustomer.objects.filter(medspa=medspa, patient=patient, account_id=account).first()
    if found is not None:
        return found
    if patient is not None:
        params = {
            "name": patient.full_name,
            "email": patient.email or None,
            "metadata": {"medspa": str(medspa.pk), "patient": str(patient.pk)},
        }
        key = f"customer-{medspa.pk}-patient-{patient.pk}-{account}"
    else:
        params = {"name": medspa.display_name, "metadata": {"medspa": str(medspa.pk)}}
        key = f"customer-{medspa.pk}-platform"
    params = {name: value for name, value in params.items() if value is not None}
    try:
        made = client().v1.customers.create(params, options(idempotency_key=key, account=account))
    except stripe.StripeError as error:
        raise translate(error) from error
    try:
        with transaction.atomic():
            return StripeCustomer.objects.create(
                medspa=medspa, patient=patient, account_id=account, customer_id=made.id
            )
    except IntegrityError:
        return StripeCustomer.objects.get(medspa=medspa, patient=patient, account_id=account)


def card_setup_start(
    *, customer: StripeCustomer | None = None, medspa: Medspa | None = None, metadata: dict | None = None
) -> CardSetup:
    """A SetupIntent for saving a card for later, off-session charges (deposits, fees, bills): for a known
    customer, or (customer None) on the medspa's connected account for a patient not known yet (the public
    booking page), its `metadata` then proving later which form it was made for."""
    medspa_id = customer.medspa_id if customer is not None else medspa.pk
    account = customer.account_id if customer is not None else account_id_for(medspa)
    params: dict = {
        "usage": "off_session",
        "payment_method_types": ["card"],
        "metadata": {"medspa": str(medspa_id), **(metadata or {})},
    }
    if customer is not None:
        params["customer"] = customer.customer_id
    try:
        intent = client().v1.setup_intents.create(
            params, options(idempotency_key=f"setup-{uuid.uuid4()}", account=account)
        )
    except stripe.StripeError as error:
        raise translate(error) from error
    return CardSetup(intent.id, intent.client_secret, account)


def patient_card(*, medspa: Medspa, patient: Patient) -> SavedCard | None:
    """The patient's live card on file at the medspa, if any."""
    return (
        SavedCard.objects.filter(medspa=medspa, customer__patient=patient, removed_at__isnull=True)
        .select_related("customer")
        .first()
    )


def medspa_card(medspa: Medspa) -> SavedCard | None:
    """The medspa's own card on file with Portrait (platform account), which pays Portrait's bills."""
    return (
        SavedCard.objects.filter(medspa=medspa, customer__patient__isnull=True, removed_at__isnull=True)
        .select_related("customer")
        .first()
    )


def card_save(
    *,
    customer: StripeCustomer,
    setup_intent_id: str,
    via: str,
    by: User | None = None,
    expected_metadata: dict | None = None,
    keep_replaced: bool = False,
) -> SavedCard:
    """Keeps the card a SetupIntent saved, once Stripe says it succeeded for this customer (or, made before
    the customer was known, for the form its metadata names: `expected_metadata`); the card is attached to
    the customer and replaces its card on file (the old one is detached). The same SetupIntent twice keeps
    one card."""
    api = client()
    account = customer.account_id
    try:
        intent = api.v1.setup_intents.retrieve(setup_intent_id, options=options(account=account))
    except stripe.StripeError as error:
        raise translate(error) from error
    if intent.customer:
        if intent.customer != customer.customer_id:
            raise PaymentError("That card was not set up for this patient.")
    else:
        metadata = intent.metadata.to_dict() if intent.metadata else {}
        if not expected_metadata or any(
            metadata.get(key) != str(value) for key, value in expected_metadata.items()
        ):
            raise PaymentError("That card was not set up on this form: please enter it again.")
    if intent.status != "succeeded" or not intent.payment_method:
        raise PaymentError("The card was not saved: please enter it again.")
    method_id = intent.payment_method if isinstance(intent.payment_method, str) else intent.payment_method.id
    existing = SavedCard.objects.filter(payment_method_id=method_id).first()
    if existing is not None:
        return existing
    try:
        method = api.v1.payment_methods.retrieve(method_id, options=options(account=account))
        if not method.customer:  # Stripe attaches it on success; a server that does not is asked to
            method = api.v1.payment_methods.attach(
                method_id,
                {"customer": customer.customer_id},
                options(idempotency_key=f"attach-{method_id}", account=account),
            )
    except stripe.StripeError as error:
        raise translate(error) from error
    with transaction.atomic():
        old = list(customer.cards.select_for_update().filter(removed_at__isnull=True))
        now = timezone.now()
        for card in old:
            card.removed_at, card.removed_by = now, by
            card.save(update_fields=["removed_at", "removed_by"])
        try:
            with transaction.atomic():
                card = SavedCard.objects.create(
                    medspa_id=customer.medspa_id,
                    customer=customer,
                    payment_method_id=method_id,
                    brand=method.card.brand,
                    last4=method.card.last4,
                    exp_month=method.card.exp_month,
                    exp_year=method.card.exp_year,
                    via=via,
                    added_by=by,
                )
        except IntegrityError:
            return SavedCard.objects.get(payment_method_id=method_id)
    card.replaced = old
    if not keep_replaced:
        card_replacement_keep(card)
    return card


def card_replacement_keep(card: SavedCard) -> None:
    """The new card stands: the cards it replaced are detached at Stripe, never to be charged again."""
    for replaced in getattr(card, "replaced", []):
        _detach(replaced)


def card_replacement_undo(card: SavedCard) -> None:
    """The new card failed its first charge (a booking's deposit): it leaves the file, detached at Stripe,
    and the card it replaced (kept attached meanwhile) is the card on file again."""
    with transaction.atomic():
        card.removed_at = timezone.now()
        card.save(update_fields=["removed_at"])
        for replaced in getattr(card, "replaced", []):
            replaced.removed_at = replaced.removed_by = None
            replaced.save(update_fields=["removed_at", "removed_by"])
    _detach(card)


def _detach(card: SavedCard) -> None:
    try:
        client().v1.payment_methods.detach(
            card.payment_method_id,
            options=options(
                idempotency_key=f"detach-{card.payment_method_id}", account=card.customer.account_id
            ),
        )
    except stripe.InvalidRequestError:
        pass  # already detached at Stripe: it is off file either way
    except stripe.StripeError as error:
        raise translate(error) from error


def card_remove(*, card: SavedCard, by: User | None) -> SavedCard:
    """Takes the card off file: detached at Stripe first (so it can never be charged again), then marked."""
    if card.removed_at is not None:
        return card
    _detach(card)
    card.removed_at, card.removed_by = timezone.now(), by
    card.save(update_fields=["removed_at", "removed_by"])
    return card
