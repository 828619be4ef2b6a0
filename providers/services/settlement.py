"""The arithmetic of a sale and its settlement: the lines, discount, tax on taxable items and tip of a
visit's checkout or a retail checkout, paid at once by one or several payment methods.

The arithmetic, all in Decimal cents rounded half up:
- subtotal = Σ lines; discount ≤ subtotal; revenue = subtotal - discount.
- tax = tax% × (taxable lines - their share of the discount).
- total = revenue + tax + tip, and the payments add up to it exactly.
- On Flex, Portrait's share = split% × revenue (tax and tip are not revenue); the medspa keeps the rest.
(A refund's parts are providers.services.checkout.sale_refund's.)"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.utils import timezone

from medspa.errors import DomainError
from medspa.models import User
from medspa.models.payments import CardPayment, SavedCard
from medspa.models.tenancy import BusinessModel
from medspa.money import MAX_MONEY, ZERO, cents, money_format, percent_of, share
from medspa.payments import charges
from medspa.payments.client import PaymentError
from medspa.payments.refunds import card_refund, card_refundable
from providers.models import Payment, PaymentMethod, Sale, SaleLine, SaleStatus
from providers.services.charting import ChartingRefused

logger = logging.getLogger(__name__)


class CheckoutRefused(ChartingRefused):
    """A charging rule said no; the message says why."""


@dataclass(frozen=True)
class Tender:
    """One method's part of a payment. A card tender with `card` is charged to that card on file through
    Stripe before the sale is settled; one with `card_payment` is money Stripe already took (that charge,
    or the booking's deposit). A card tender with neither was taken on the medspa's own terminal."""

    method: str
    amount: Decimal
    reference: str = ""
    card: SavedCard | None = None
    card_payment: CardPayment | None = None


@dataclass(frozen=True)
class LineDraft:
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    taxable: bool = False
    service_id: int | None = None
    retail_product_id: int | None = None

    @property
    def amount(self) -> Decimal:
        return cents(self.quantity * self.unit_price)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    tip: Decimal

    @property
    def revenue(self) -> Decimal:
        return self.subtotal - self.discount

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount + self.tax + self.tip


def totals_for(lines: list[LineDraft], *, discount: Decimal, tip: Decimal, tax_percent: Decimal) -> Totals:
    """The sale's figures for these lines; raises when the discount or tip make no sense."""
    subtotal = sum((line.amount for line in lines), ZERO)
    discount, tip = cents(discount), cents(tip)
    if max([subtotal, tip, subtotal + tip, *(line.amount for line in lines)]) > MAX_MONEY:
        raise CheckoutRefused(f"That is more than one sale can hold ({money_format(MAX_MONEY)}).")
    if discount < 0 or tip < 0:
        raise CheckoutRefused("A discount or tip cannot be negative.")
    if discount > subtotal:
        raise CheckoutRefused(
            f"The discount ({money_format(discount)}) is more than the subtotal ({money_format(subtotal)})."
        )
    taxable = sum((line.amount for line in lines if line.taxable), ZERO)
    taxable_after_discount = taxable - share(discount, taxable, subtotal)
    figures = Totals(subtotal, discount, percent_of(taxable_after_discount, tax_percent), tip)
    if figures.total > MAX_MONEY:
        raise CheckoutRefused(f"That is more than one sale can hold ({money_format(MAX_MONEY)}).")
    return figures


@dataclass(frozen=True)
class RunningTotal:
    """A checkout's figures while the provider is still filling it in: the totals of the lines with the
    discount and tip typed so far, what the payments typed (and a deposit taken) cover, or why the figures
    make no sale yet (`refusal`)."""

    totals: Totals | None
    paid: Decimal
    tax_percent: Decimal
    refusal: str = ""

    @property
    def due(self) -> Decimal:
        """What is still to pay (negative: paid over)."""
        return (self.totals.total if self.totals else ZERO) - self.paid

    @property
    def over(self) -> Decimal:
        """What the payments typed exceed the total by."""
        return -self.due


def running_total(lines: list[LineDraft], *, discount, tip, tax_percent: Decimal, paid) -> RunningTotal:
    """The figures the charge would settle with (totals_for's own arithmetic), nothing charged or saved."""
    try:
        figures = totals_for(lines, discount=discount, tip=tip, tax_percent=tax_percent)
    except CheckoutRefused as refusal:
        return RunningTotal(None, cents(paid), tax_percent, refusal=str(refusal))
    return RunningTotal(figures, cents(paid), tax_percent)


def _portrait_percent(sale: Sale) -> Decimal:
    medspa = sale.medspa
    if medspa.business_model == BusinessModel.FLEX and medspa.flex_revenue_split_percent is not None:
        return medspa.flex_revenue_split_percent
    return ZERO


def _tenders_check(tenders: list[Tender], total: Decimal) -> list[Tender]:
    tenders = [replace(t, amount=cents(t.amount), reference=t.reference.strip()[:100]) for t in tenders]
    tenders = [tender for tender in tenders if tender.amount]
    for tender in tenders:
        if tender.method not in PaymentMethod.values:
            raise CheckoutRefused(f"Unknown payment method: {tender.method}.")
        if tender.amount < 0:
            raise CheckoutRefused("A payment cannot be negative: refund instead.")
        if (tender.card is not None or tender.card_payment is not None) and tender.method != "card":
            raise CheckoutRefused("Only a card payment goes through Stripe.")
    paid = sum((tender.amount for tender in tenders), ZERO)
    if paid != total:
        difference = total - paid
        if difference > 0:
            raise CheckoutRefused(
                f"The payments are {money_format(difference)} short of the total ({money_format(total)})."
            )
        raise CheckoutRefused(
            f"The payments are {money_format(-difference)} more than the total ({money_format(total)})."
        )
    return tenders


def charge_check(
    lines: list[LineDraft], *, discount, discount_reason: str, tip, tenders, tax_percent: Decimal
) -> tuple[Totals, list[Tender]]:
    """Everything about a charge that can be refused, checked before any card is charged: the figures,
    the discount's reason, and payments that add up to the total."""
    figures = totals_for(lines, discount=discount, tip=tip, tax_percent=tax_percent)
    tenders = _tenders_check(tenders, figures.total)
    if figures.discount and not discount_reason.strip():
        raise CheckoutRefused("Say why there is a discount.")
    return figures, tenders


def sale_settle(
    sale: Sale, lines: list[LineDraft], *, discount, discount_reason: str, tip, tenders, by: User
) -> Sale:
    """Writes the lines, the figures and the payments, and marks the sale paid: all or nothing. A card
    tender must already be paid through Stripe (`card_payment`) or have been taken on the terminal."""
    figures, tenders = charge_check(
        lines,
        discount=discount,
        discount_reason=discount_reason,
        tip=tip,
        tenders=tenders,
        tax_percent=sale.tax_percent,
    )
    for tender in tenders:
        if tender.card is not None and tender.card_payment is None:
            raise CheckoutRefused("The card on file was not charged: nothing is recorded as paid.")
        payment = tender.card_payment
        if payment is not None and (
            payment.status != CardPayment.Status.SUCCEEDED or payment.amount != tender.amount
        ):
            raise CheckoutRefused(
                "That card payment did not go through for this amount: nothing is recorded."
            )
    sale.lines.all().delete()
    SaleLine.objects.bulk_create(
        SaleLine(
            medspa_id=sale.medspa_id,
            sale=sale,
            kind=line.kind,
            description=line.description[:250],
            service_id=line.service_id,
            retail_product_id=line.retail_product_id,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            taxable=line.taxable,
        )
        for line in lines
    )
    sale.subtotal, sale.discount, sale.tax, sale.tip = (
        figures.subtotal,
        figures.discount,
        figures.tax,
        figures.tip,
    )
    sale.discount_reason = discount_reason.strip()[:200] if figures.discount else ""
    sale.total = figures.total
    sale.portrait_percent = _portrait_percent(sale)
    sale.portrait_share = percent_of(figures.revenue, sale.portrait_percent)
    sale.status, sale.paid_at = SaleStatus.PAID, timezone.now()
    sale.save()
    Payment.objects.bulk_create(
        Payment(
            medspa_id=sale.medspa_id,
            sale=sale,
            method=tender.method,
            amount=tender.amount,
            reference=tender.reference,
            card_payment=tender.card_payment,
            recorded_by=by,
        )
        for tender in tenders
    )
    return sale


# --- A card on file, charged before the sale is settled --------------------------------------------------


CHECKOUT_KEY_PREFIX = "checkout-"


def sale_of(payment: CardPayment) -> Sale | None:
    row = Payment.objects.filter(card_payment=payment).select_related("sale").first()
    return row.sale if row is not None else None


def sale_of_key(idempotency_key: str, *, prefix: str = CHECKOUT_KEY_PREFIX) -> Sale | None:
    """The sale a form with this key already paid by card (a retried request, a double click)."""
    if not idempotency_key:
        return None
    payment = CardPayment.objects.filter(
        idempotency_key=f"{prefix}{idempotency_key}", status=CardPayment.Status.SUCCEEDED
    ).first()
    return sale_of(payment) if payment is not None else None


def card_then_settle(
    *,
    medspa,
    tenders: list[Tender],
    by: User,
    idempotency_key: str,
    description: str,
    settle: Callable[[list[Tender]], Sale],
    purpose: str = CardPayment.Purpose.CHECKOUT,
    key_prefix: str = "",
) -> Sale:
    """Charges the tender on a card on file through Stripe (outside any transaction: the charge's row must
    outlive what follows), then `settle`s the sale with that charge. A form sent twice charges once (the
    key is the form's); if settling is refused after the card was charged, the charge is refunded at once
    and nothing is recorded as paid, unless the same form already settled the sale (then that sale)."""
    on_file = [tender for tender in tenders if tender.card is not None and tender.card_payment is None]
    if not on_file:
        return settle(tenders)
    if len(on_file) > 1:
        raise CheckoutRefused("Charge the card on file once.")
    if not idempotency_key:
        raise CheckoutRefused("This form is out of date: reload the page and charge again.")
    tender = on_file[0]
    try:
        payment = charges.card_charge(
            medspa=medspa,
            purpose=purpose,
            amount=cents(tender.amount),
            card=tender.card,
            description=description,
            idempotency_key=f"{key_prefix or CHECKOUT_KEY_PREFIX}{idempotency_key}",
            by=by,
        )
    except PaymentError as error:  # declined, or Stripe out of reach: nothing is paid
        raise CheckoutRefused(str(error)) from error
    if payment.status != CardPayment.Status.SUCCEEDED:
        raise CheckoutRefused(
            "Stripe has not confirmed the card payment yet: nothing is recorded as paid. Try again in a "
            "minute (the card is not charged twice)."
        )
    paid = [replace(t, card_payment=payment) if t is tender else t for t in tenders]
    try:
        return settle(paid)
    except Exception as error:
        settled = sale_of(payment)
        if settled is not None:
            return settled
        _charge_undo(payment, by=by)
        reason = str(error) if isinstance(error, DomainError) else "The sale could not be recorded."
        raise CheckoutRefused(
            f"{reason} The card charge of {money_format(payment.amount)} was refunded at once: nothing is "
            "recorded as paid."
        ) from error


def _charge_undo(payment: CardPayment, *, by: User | None) -> None:
    try:
        card_refund(
            payment=payment,
            amount=card_refundable(payment),
            reason="The sale could not be recorded after the charge",
            idempotency_key=f"undo-{payment.idempotency_key}"[:100],
            by=by,
        )
    except PaymentError as error:
        logger.exception("Card payment %s could not be refunded after a refused checkout", payment.pk)
        raise CheckoutRefused(
            f"The card was charged {money_format(payment.amount)} but the sale could not be recorded, and "
            f"Stripe did not take the refund ({error}). Refund it from Stripe's dashboard: nothing is "
            "recorded as paid here."
        ) from error
