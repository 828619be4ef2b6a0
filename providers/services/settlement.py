"""The arithmetic of a sale and its settlement: the lines, discount, tax on taxable items and tip of a
visit's checkout or a retail checkout, paid at once by one or several payment methods.

The arithmetic, all in Decimal cents rounded half up:
- subtotal = Σ lines; discount ≤ subtotal; revenue = subtotal - discount.
- tax = tax% × (taxable lines - their share of the discount).
- total = revenue + tax + tip, and the payments add up to it exactly.
- On Flex, Portrait's share = split% × revenue (tax and tip are not revenue); the medspa keeps the rest.
(A refund's parts are providers.services.checkout.sale_refund's.)"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from medspa.models import User
from medspa.models.tenancy import BusinessModel
from medspa.money import MAX_MONEY, ZERO, cents, money_format, percent_of, share
from providers.models import Payment, PaymentMethod, Sale, SaleLine, SaleStatus
from providers.services.charting import ChartingRefused


class CheckoutRefused(ChartingRefused):
    """A charging rule said no; the message says why."""


@dataclass(frozen=True)
class Tender:
    """One method's part of a payment."""

    method: str
    amount: Decimal
    reference: str = ""


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


def _portrait_percent(sale: Sale) -> Decimal:
    medspa = sale.medspa
    if medspa.business_model == BusinessModel.FLEX and medspa.flex_revenue_split_percent is not None:
        return medspa.flex_revenue_split_percent
    return ZERO


def _tenders_check(tenders: list[Tender], total: Decimal) -> list[Tender]:
    tenders = [Tender(t.method, cents(t.amount), t.reference.strip()[:100]) for t in tenders]
    tenders = [tender for tender in tenders if tender.amount]
    for tender in tenders:
        if tender.method not in PaymentMethod.values:
            raise CheckoutRefused(f"Unknown payment method: {tender.method}.")
        if tender.amount < 0:
            raise CheckoutRefused("A payment cannot be negative: refund instead.")
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


def sale_settle(
    sale: Sale, lines: list[LineDraft], *, discount, discount_reason: str, tip, tenders, by: User
) -> Sale:
    """Writes the lines, the figures and the payments, and marks the sale paid: all or nothing."""
    figures = totals_for(lines, discount=discount, tip=tip, tax_percent=sale.tax_percent)
    tenders = _tenders_check(tenders, figures.total)
    if figures.discount and not discount_reason.strip():
        raise CheckoutRefused("Say why there is a discount.")
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
            recorded_by=by,
        )
        for tender in tenders
    )
    return sale
