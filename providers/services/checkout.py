"""Charging: a visit's checkout and a retail checkout (cart, quantities, discount, tax on taxable items,
tip), settled at once by one or several payment methods (the arithmetic and the settlement are
providers.services.settlement's); refunds later, full or partial, with a reason.

A refund's parts of tax, tip and Portrait's share are proportional and cumulative, so the refunds of a whole
sale give back exactly its tax, tip and share."""

import logging
from datetime import datetime
from decimal import Decimal

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django_scopes import scopes_disabled

from medspa import once
from medspa.celery import task_queue
from medspa.models import Membership, Patient, User
from medspa.models.payments import CardPayment
from medspa.money import MAX_MONEY, ZERO, cents, money_format, share
from medspa.payments.client import PaymentError
from medspa.payments.refunds import card_refund
from providers.models import Payment, PaymentMethod, Refund, Sale, SaleKind, SaleLine, SaleStatus, Visit
from providers.models.visits import VisitStatus
from providers.selectors import charts
from providers.services import charting, fees, settlement
from providers.services.settlement import CheckoutRefused, LineDraft, Tender, sale_settle, totals_for
from scheduling.models import AppointmentStatus, Location
from scheduling.services import booking
from services_catalog.models import RetailProduct

logger = logging.getLogger(__name__)

MAX_QUANTITY = Decimal("999")


# --- Visits -------------------------------------------------------------------------------------------------


def visit_lines(visit: Visit) -> list[LineDraft]:
    """What the visit charges: its services at their prices, and the products used that have a price."""
    lines = [
        LineDraft("service", row.service.display_name, Decimal("1"), row.price, service_id=row.service_id)
        for row in visit.services.select_related("service__library_service")
    ]
    lines += [
        LineDraft(
            "product",
            f"{product.name} ({product.unit_label}, lot {product.lot_number})",
            product.units,
            product.unit_price,
        )
        for product in visit.products.all()
        if product.unit_price
    ]
    return lines


def _visit_check(visit: Visit, *, lock: bool) -> Visit:
    """The visit, refused unless it can be charged now: open, with services the GFE gate allows on the day
    and every consent signed. Only under the lock, in the transaction that settles the sale, are the
    earlier signatures that cover its consents recorded: the check before the charge writes nothing."""
    visits = Visit.objects.select_related("location", "patient", "medspa", "appointment")
    visit = (visits.select_for_update(of=("self",)) if lock else visits).get(pk=visit.pk)
    if visit.status != VisitStatus.OPEN:
        raise CheckoutRefused(
            f"This visit is {visit.get_status_display().lower()}: it cannot be charged again."
        )
    services = charts.services_of_visit(visit)
    if not services:
        raise CheckoutRefused("Record at least one service performed before checking out.")
    for service in services:
        refusal = charts.service_refusal(visit, service)
        if refusal:
            raise CheckoutRefused(refusal)
    if lock:
        charting.consents_settle(visit)
    else:
        charting.consents_check(visit)
    return visit


def _deposit_tender(visit: Visit) -> list[Tender]:
    """The booking's deposit, already taken through Stripe, as the first card payment of the visit."""
    deposit = fees.deposit_of(visit.appointment) if visit.appointment_id else None
    if deposit is None:
        return []
    if Payment.objects.filter(card_payment=deposit).exists():
        return []
    label = f"Deposit, {deposit.card_words}"
    return [Tender(PaymentMethod.CARD, deposit.amount, label[:100], card_payment=deposit)]


def visit_deposit(visit: Visit) -> CardPayment | None:
    """The deposit the visit's checkout applies (for the page: the rest is what is left to pay)."""
    tenders = _deposit_tender(visit)
    return tenders[0].card_payment if tenders else None


def visit_checkout(
    *,
    visit: Visit,
    tenders: list[Tender],
    by: User,
    discount=ZERO,
    discount_reason: str = "",
    tip=ZERO,
    idempotency_key: str = "",
) -> Sale:
    """Charges the visit and completes it: the GFE gate is checked again on the day, every consent must be
    signed, the payments (with the booking's deposit, if any) must add up to the total. Everything is
    checked before the card on file is charged (outside any transaction), then the sale is settled with
    that charge; the appointment is completed and the care messages go out after the commit."""
    done = settlement.sale_of_key(idempotency_key)
    if done is not None:
        return done
    checked = _visit_check(visit, lock=False)
    tenders = _deposit_tender(checked) + list(tenders)
    settlement.charge_check(
        visit_lines(checked),
        discount=discount,
        discount_reason=discount_reason,
        tip=tip,
        tenders=tenders,
        tax_percent=Decimal("0"),
    )

    @transaction.atomic
    def settle(paid: list[Tender]) -> Sale:
        locked = _visit_check(visit, lock=True)
        return _visit_settle(
            locked, tenders=paid, by=by, discount=discount, discount_reason=discount_reason, tip=tip
        )

    return settlement.card_then_settle(
        medspa=checked.medspa,
        tenders=tenders,
        by=by,
        idempotency_key=idempotency_key,
        description=f"Visit of {checked.patient.full_name}",
        settle=settle,
    )


def _visit_settle(visit: Visit, *, tenders, by, discount, discount_reason, tip) -> Sale:
    sale = Sale(
        medspa=visit.medspa,
        kind=SaleKind.VISIT,
        visit=visit,
        patient=visit.patient,
        provider=visit.provider,
        location=visit.location,
        created_by=by,
    )
    try:
        with transaction.atomic():
            sale.save()
    except IntegrityError:
        raise CheckoutRefused("This visit was already charged.") from None
    sale_settle(
        sale,
        visit_lines(visit),
        discount=discount,
        discount_reason=discount_reason,
        tip=tip,
        tenders=tenders,
        by=by,
    )
    visit.status, visit.completed_at = VisitStatus.COMPLETED, timezone.now()
    visit.save(update_fields=["status", "completed_at", "updated_at"])
    appointment = visit.appointment
    if appointment is not None and appointment.status == AppointmentStatus.CHECKED_IN:
        booking.appointment_status_set(appointment=appointment, status=AppointmentStatus.COMPLETED)
    transaction.on_commit(lambda: _care_messages_queue(visit))
    return sale


def _care_messages_queue(visit: Visit) -> None:
    task_queue("providers.tasks.visit_care_messages_send", visit.pk, visit.medspa_id)


# --- Retail -------------------------------------------------------------------------------------------------


@transaction.atomic
def retail_sale_open(
    *,
    provider: Membership,
    location: Location,
    by: User,
    patient: Patient | None = None,
    receipt_email: str = "",
) -> Sale:
    """An empty cart at a location, its tax rate taken from there; the receipt goes to `receipt_email` (a
    walk-in buyer's), else to the patient's address."""
    if location.medspa_id != provider.medspa_id or (
        patient is not None and patient.medspa_id != provider.medspa_id
    ):
        raise CheckoutRefused("The seller, the location and the customer must be of one medspa.")
    # A double-click or a resent form finds the empty cart it just opened instead of opening a second one.
    recent = Sale.objects.filter(
        kind=SaleKind.RETAIL,
        status=SaleStatus.OPEN,
        provider=provider,
        location=location,
        patient=patient,
        created_at__gte=timezone.now() - charting.RESTART_WINDOW,
        lines__isnull=True,
    ).first()
    if recent is not None:
        return recent
    return Sale.objects.create(
        medspa_id=provider.medspa_id,
        kind=SaleKind.RETAIL,
        provider=provider,
        location=location,
        patient=patient,
        tax_percent=location.sales_tax_percent,
        created_by=by,
        receipt_email=receipt_email.strip()[:254] or (patient.email if patient is not None else ""),
    )


def _open_retail(sale: Sale) -> Sale:
    sale = Sale.objects.select_for_update().select_related("medspa", "location").get(pk=sale.pk)
    if sale.kind != SaleKind.RETAIL:
        raise CheckoutRefused("This is a visit's bill: charge it from the visit.")
    if sale.status != SaleStatus.OPEN:
        raise CheckoutRefused(f"This sale is already {sale.get_status_display().lower()}.")
    return sale


@transaction.atomic
def retail_line_set(*, sale: Sale, product: RetailProduct, quantity: Decimal) -> Sale:
    """Puts `quantity` of a product in the cart (0 takes it out), at the product's price now."""
    sale = _open_retail(sale)
    if product.medspa_id != sale.medspa_id:
        raise CheckoutRefused(f"{product.name} is not a product of this medspa.")
    if quantity and not product.is_active:  # taking a since-deactivated product out is fine
        raise CheckoutRefused(f"{product.name} is not an active product of this medspa.")
    if quantity < 0 or quantity > MAX_QUANTITY or quantity != int(quantity):
        raise CheckoutRefused(f"The quantity must be a whole number from 0 to {MAX_QUANTITY}.")
    if quantity * product.price > MAX_MONEY:
        raise CheckoutRefused(f"That is more than one sale can hold ({money_format(MAX_MONEY)}).")
    if quantity == 0:
        sale.lines.filter(retail_product=product).delete()
    else:
        SaleLine.objects.update_or_create(
            sale=sale,
            retail_product=product,
            defaults={
                "medspa_id": sale.medspa_id,
                "kind": SaleLine.Kind.RETAIL,
                "description": product.name,
                "quantity": quantity,
                "unit_price": product.price,
                "taxable": product.taxable,
                "amount": cents(quantity * product.price),
            },
        )
    _cart_totals_refresh(sale)
    return sale


@transaction.atomic
def retail_line_add(*, sale: Sale, product: RetailProduct, quantity: Decimal) -> Sale:
    """Adds `quantity` of a product to what the cart holds (read under the cart's lock: two tabs adding one
    each make two)."""
    locked = _open_retail(sale)
    line = locked.lines.filter(retail_product=product).first()
    return retail_line_set(
        sale=locked, product=product, quantity=quantity + (line.quantity if line else ZERO)
    )


def _cart_lines(sale: Sale) -> list[LineDraft]:
    return [
        LineDraft(
            line.kind,
            line.description,
            line.quantity,
            line.unit_price,
            taxable=line.taxable,
            retail_product_id=line.retail_product_id,
        )
        for line in sale.lines.all()
    ]


def _cart_totals_refresh(sale: Sale) -> None:
    figures = totals_for(_cart_lines(sale), discount=ZERO, tip=ZERO, tax_percent=sale.tax_percent)
    sale.subtotal, sale.discount, sale.tax, sale.tip, sale.total = (
        figures.subtotal,
        ZERO,
        figures.tax,
        ZERO,
        figures.total,
    )
    sale.save(update_fields=["subtotal", "discount", "tax", "tip", "total", "updated_at"])


def retail_checkout(
    *,
    sale: Sale,
    tenders: list[Tender],
    by: User,
    discount=ZERO,
    discount_reason: str = "",
    tip=ZERO,
    receipt_email: str = "",
    idempotency_key: str = "",
) -> Sale:
    """Settles the cart (everything checked before a card on file is charged, outside any transaction);
    the receipt is emailed after the commit when there is an address."""
    done = settlement.sale_of_key(idempotency_key)
    if done is not None:
        return done
    with transaction.atomic():
        checked = _open_retail(sale)
        lines = _cart_lines(checked)
        if not lines:
            raise CheckoutRefused("The cart is empty.")
        settlement.charge_check(
            lines,
            discount=discount,
            discount_reason=discount_reason,
            tip=tip,
            tenders=tenders,
            tax_percent=checked.tax_percent,
        )

    @transaction.atomic
    def settle(paid: list[Tender]) -> Sale:
        locked = _open_retail(sale)
        cart = _cart_lines(locked)
        if not cart:
            raise CheckoutRefused("The cart is empty.")
        locked.receipt_email = receipt_email.strip()[:254]
        if locked.receipt_email:
            locked.receipt_next_attempt_at = RECEIPTS.queued()[RECEIPTS.next_attempt_at]
        sale_settle(
            locked, cart, discount=discount, discount_reason=discount_reason, tip=tip, tenders=paid, by=by
        )
        if locked.receipt_email:
            transaction.on_commit(lambda: _receipt_queue(locked))
        return locked

    customer = checked.patient.full_name if checked.patient_id else "a walk-in customer"
    return settlement.card_then_settle(
        medspa=checked.medspa,
        tenders=tenders,
        by=by,
        idempotency_key=idempotency_key,
        description=f"Retail sale {checked.number} to {customer}",
        settle=settle,
    )


@transaction.atomic
def retail_sale_void(*, sale: Sale) -> Sale:
    """Abandons an open cart (nothing was paid)."""
    sale = _open_retail(sale)
    sale.status = SaleStatus.VOIDED
    sale.save(update_fields=["status", "updated_at"])
    return sale


def _receipt_queue(sale: Sale) -> None:
    task_queue("providers.tasks.sale_receipt_send", sale.pk, sale.medspa_id)


# Where a sale keeps its receipt (medspa.once): owed while paid, unsent, with an address and a next attempt.
RECEIPTS = once.Outbox.stamped(
    "receipt_sent_at", prefix="receipt_", owed={"status": SaleStatus.PAID}, touch=("updated_at",)
)


def sale_receipt_send(*, sale_id: int) -> str:
    """Emails the receipt: marked sent in the transaction that holds the sale while the email goes, sent
    again by the sweep if a worker died or the mail server refused (medspa.once.deliver_once)."""
    row = Sale.objects.filter(pk=sale_id).exclude(receipt_email="")
    sale = RECEIPTS.owing(row).select_related("medspa", "location", "patient").first()
    if sale is None:
        return ""
    context = {"sale": sale, "lines": list(sale.lines.all()), "payments": list(sale.payments.all())}
    message = EmailMessage(
        subject=f"Your receipt from {sale.medspa.display_name} ({sale.number})",
        body=render_to_string("providers/email/receipt.txt", context),
        to=[sale.receipt_email],
    )
    return once.deliver_once(row, RECEIPTS, message.send)


def sale_receipts_sweep(*, now: datetime | None = None) -> list[tuple[int, int]]:
    """The (sale id, medspa id) of every receipt whose lease ran out or whose retry is due: one task each."""
    with scopes_disabled():
        return once.owed_sweep(Sale.objects.all(), RECEIPTS, now=now)


# --- Refunds ------------------------------------------------------------------------------------------------


def refundable(payment: Payment) -> Decimal:
    refunded = payment.refunds.aggregate(total=Sum("amount"))["total"] or ZERO
    return payment.amount - refunded


def sale_refund(
    *, sale: Sale, payment: Payment, amount: Decimal, reason: str, by: User, idempotency_key: str
) -> Refund:
    """Gives back `amount` of one payment, to its method. A payment charged through Stripe is refunded at
    Stripe first (outside any transaction; Stripe's reservation under the charge's lock keeps concurrent
    refunds within what was paid) and recorded only once Stripe accepted it. The same key twice makes one
    refund."""
    with transaction.atomic():
        locked, amount = _refund_check(
            sale=sale, payment=payment, amount=amount, reason=reason, idempotency_key=idempotency_key
        )
        if isinstance(locked, Refund):
            return locked
        if payment.card_payment_id is None:
            return _refund_record(locked, payment, amount, reason=reason, by=by, key=idempotency_key)
    try:
        card = card_refund(
            payment=CardPayment.objects.get(pk=payment.card_payment_id),
            amount=amount,
            reason=reason,
            idempotency_key=f"sale-{sale.pk}-refund-{idempotency_key}"[:100],
            by=by,
        )
    except PaymentError as error:  # Stripe refused (or could not be reached): nothing is recorded
        raise CheckoutRefused(f"Stripe did not refund it: {error}") from error
    if card.amount != amount:
        raise CheckoutRefused("This refund was already asked for with another amount: reload the page.")
    with transaction.atomic():
        locked = Sale.objects.select_for_update().get(pk=sale.pk)
        existing = Refund.objects.filter(sale=locked, idempotency_key=idempotency_key[:64]).first()
        if existing is not None:
            return existing
        # Stripe accepted it: it is recorded even if the page's checks would now say otherwise, since the
        # money went back (Stripe's reservation already kept it within what the card paid).
        return _refund_record(locked, payment, amount, reason=reason, by=by, key=idempotency_key, card=card)


def _refund_check(*, sale: Sale, payment: Payment, amount: Decimal, reason: str, idempotency_key: str):
    """The sale locked and the amount in cents, or the refund this key already made."""
    sale = Sale.objects.select_for_update().get(pk=sale.pk)
    existing = Refund.objects.filter(sale=sale, idempotency_key=idempotency_key[:64]).first()
    if existing is not None:
        return existing, amount
    if sale.status != SaleStatus.PAID:
        raise CheckoutRefused("Only a paid sale can be refunded.")
    if payment.sale_id != sale.pk:
        raise CheckoutRefused("That payment is not one of this sale's.")
    amount = cents(amount)
    if amount <= 0:
        raise CheckoutRefused("Refund more than $0.")
    if not reason.strip():
        raise CheckoutRefused("Say why the money is refunded.")
    left = refundable(payment)
    if amount > left:
        method = payment.get_method_display().lower()
        raise CheckoutRefused(f"At most {money_format(left)} of this {method} payment is left to refund.")
    return sale, amount


def _refund_record(
    sale: Sale, payment: Payment, amount: Decimal, *, reason: str, by: User, key: str, card=None
) -> Refund:
    # Each part is what the sale's refunds should have given back by now (proportional to what is refunded)
    # less what earlier refunds gave back, so the refunds of a whole sale give back exactly its tax, tip and
    # Portrait share. Tax and tip never take more than the refund itself: its revenue part is never negative.
    given = sale.refunds.aggregate(
        amount=Sum("amount"), tax=Sum("tax_part"), tip=Sum("tip_part"), portrait=Sum("portrait_part")
    )
    given = {name: value or ZERO for name, value in given.items()}
    after = given["amount"] + amount
    tax_part = min(max(share(after, sale.tax, sale.total) - given["tax"], ZERO), amount)
    tip_part = min(max(share(after, sale.tip, sale.total) - given["tip"], ZERO), amount - tax_part)
    revenue_after = after - (given["tax"] + tax_part) - (given["tip"] + tip_part)
    portrait_part = share(revenue_after, sale.portrait_share, sale.revenue) - given["portrait"]
    portrait_part = min(max(portrait_part, ZERO), amount - tax_part - tip_part)

    return Refund.objects.create(
        medspa_id=sale.medspa_id,
        sale=sale,
        payment=payment,
        amount=amount,
        reason=reason.strip()[:300],
        tax_part=tax_part,
        tip_part=tip_part,
        portrait_part=portrait_part,
        refunded_by=by,
        idempotency_key=key[:64],
        card_refund=card,
    )
