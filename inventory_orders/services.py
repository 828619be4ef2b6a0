"""Inventory ordering: the cart, submitting an order at the prices of the medspa's model, its review by
Portrait's inventory team, cancellation, "order again", and pricing tickets.

Prices are never stale:
- a cart line keeps the price it was shown at, for the model it was priced for;
- a change of the medspa's model reprices every line of its cart in the same transaction
  (`carts_reprice`, through `medspa.plan_changes`);
- submitting re-reads every line's catalog price for the medspa's model at that moment, under the cart's
  lock: if any differs from what the admin was shown, the cart is repriced and nothing is ordered
  (PricesChanged lists the changes; the admin reviews and submits again)."""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_scopes import scopes_disabled

from inventory_orders.models import (
    Cart,
    CartLine,
    CatalogProduct,
    Order,
    OrderEvent,
    OrderingRules,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    PricingIssue,
)
from inventory_orders.selectors import ordering_open
from medspa import clock, once
from medspa.celery import task_queue
from medspa.errors import DomainError
from medspa.models import Medspa, User

logger = logging.getLogger(__name__)

MAX_QUANTITY = 999
# Where each status may go next, and who takes it there.
TRANSITIONS = {
    OrderStatus.SUBMITTED: {
        OrderStatus.APPROVED,
        OrderStatus.CHANGED,
        OrderStatus.REJECTED,
        OrderStatus.CANCELLED,
    },
    OrderStatus.APPROVED: {OrderStatus.SHIPPED},
    OrderStatus.CHANGED: {OrderStatus.SHIPPED},
    OrderStatus.SHIPPED: {OrderStatus.DELIVERED},
}


class OrderingRefused(DomainError):
    """An ordering rule said no; the message is for the person at the screen."""


@dataclass(frozen=True)
class PriceChange:
    product: CatalogProduct
    was: Decimal
    now: Decimal | None  # None: no longer available


class PricesChanged(OrderingRefused):
    """Submitting found prices that differ from those shown: the cart was repriced, nothing was ordered."""

    def __init__(self, changes: list[PriceChange]):
        self.changes = changes
        super().__init__(
            "Prices changed since you saw them: review the cart's new prices, then submit again."
        )


# --- Catalog ------------------------------------------------------------------------------------------------


def ordering_rules() -> OrderingRules:
    return OrderingRules.objects.get_or_create(pk=1)[0]


def earliest_delivery(today: date | None = None, rules: OrderingRules | None = None) -> date:
    """The first day an order placed today can arrive: `lead_days` business days later (weekend days are
    skipped unless the rules allow weekend delivery)."""
    rules = rules or ordering_rules()
    day, left = today or timezone.localdate(), rules.lead_days
    while left > 0:
        day += timedelta(days=1)
        if rules.weekend_delivery or day.weekday() < 5:
            left -= 1
    while not rules.weekend_delivery and day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def delivery_date_refusal(day: date, today: date | None = None) -> str:
    rules = ordering_rules()
    today = today or timezone.localdate()
    if day < today:
        return "The delivery date is in the past."
    earliest = earliest_delivery(today, rules)
    if day < earliest:
        return f"The earliest delivery is {earliest:%A, %B %-d} ({rules.lead_days} business days' lead time)."
    if not rules.weekend_delivery and day.weekday() >= 5:
        return "Suppliers do not deliver on weekends: pick a weekday."
    if day > today + timedelta(days=180):
        return "Pick a delivery date within the next six months."
    return ""


def _orderable(medspa: Medspa) -> None:
    if not ordering_open(medspa):
        raise OrderingRefused("Inventory ordering opens on Launch and Flex.")


# --- Cart ---------------------------------------------------------------------------------------------------


def cart_of(medspa: Medspa) -> Cart:
    return Cart.objects.get_or_create(medspa=medspa)[0]


# Locks, always in this order, so that two requests never wait for each other: the medspa's row, then its
# cart's row, then lines. Both rows FOR NO KEY UPDATE (as the patient import takes the medspa): that still
# serialises cart changes, submits and model changes, yet lets the inserts of rows that point to the medspa
# or the cart (their foreign-key checks take FOR KEY SHARE) go on meanwhile; FOR UPDATE blocked those
# checks, and a cart add holding the cart then waited for a submit holding the medspa and waiting for the
# cart: a deadlock, answered 500.


def _medspa_locked(medspa: Medspa) -> Medspa:
    """The medspa's row, locked and read again (its model is the one prices are taken for)."""
    return Medspa.objects.select_for_update(no_key=True).get(pk=medspa.pk)


def _cart_locked(medspa: Medspa) -> Cart:
    """The medspa's cart (made when it has none), locked after the medspa (see above)."""
    return Cart.objects.select_for_update(no_key=True).get(pk=cart_of(medspa).pk)


@transaction.atomic
def cart_line_set(*, medspa: Medspa, product: CatalogProduct, quantity: int) -> Cart:
    """Puts `quantity` of a product in the cart (0 takes it out), at its price for the medspa's model now."""
    medspa = _medspa_locked(medspa)
    _orderable(medspa)
    return _line_set(_cart_locked(medspa), medspa, product, quantity)


@transaction.atomic
def cart_line_add(*, medspa: Medspa, product: CatalogProduct, quantity: int) -> Cart:
    """Adds to what the cart holds (read under the cart's lock)."""
    medspa = _medspa_locked(medspa)
    _orderable(medspa)
    cart = _cart_locked(medspa)
    line = cart.lines.filter(product=product).first()
    return _line_set(cart, medspa, product, quantity + (line.quantity if line else 0))


def _line_set(cart: Cart, medspa: Medspa, product: CatalogProduct, quantity: int) -> Cart:
    """Sets a line of the cart, which the caller holds locked."""
    if not 0 <= quantity <= MAX_QUANTITY:
        raise OrderingRefused(f"The quantity must be from 0 to {MAX_QUANTITY}.")
    if quantity == 0:
        cart.lines.filter(product=product).delete()
    else:
        if not (product.is_available and product.supplier.is_active):
            raise OrderingRefused(f"{product.name} is not available at the moment.")
        CartLine.objects.update_or_create(
            cart=cart,
            product=product,
            defaults={
                "medspa": medspa,
                "quantity": quantity,
                "priced_for": medspa.business_model,
                "unit_price": product.price_for(medspa.business_model),
            },
        )
    cart.save(update_fields=["updated_at"])
    return cart


def carts_reprice(*, medspa: Medspa) -> list[PriceChange]:
    """Reprices the medspa's cart for its model now; returns what changed. Lines no longer available are
    taken out (and reported with now=None). Call it inside the transaction that changed the price basis."""
    _medspa_locked(medspa)  # held already when called from a model change or a submit
    cart = Cart.objects.select_for_update(no_key=True).filter(medspa=medspa).first()
    if cart is None:
        return []
    changes = []
    for line in cart.lines.select_related("product__supplier"):
        product = line.product
        if not (product.is_available and product.supplier.is_active):
            changes.append(PriceChange(product, line.unit_price, None))
            line.delete()
            continue
        price = product.price_for(medspa.business_model)
        if price != line.unit_price or line.priced_for != medspa.business_model:
            if price != line.unit_price:
                changes.append(PriceChange(product, line.unit_price, price))
            line.unit_price, line.priced_for = price, medspa.business_model
            line.save(update_fields=["unit_price", "priced_for"])
    return changes


def carts_follow_plan(medspa: Medspa, before: dict | None) -> None:
    """Reprices the cart when a saved medspa changed its model (registered with medspa.plan_changes); a new
    medspa has no cart yet. In the save's transaction when there is one (the model-change service, Django
    admin), in its own otherwise (a bare save in autocommit: the locks need one)."""
    if before is not None and before.get("business_model", medspa.business_model) != medspa.business_model:
        with transaction.atomic():
            carts_reprice(medspa=medspa)


# --- Submitting ---------------------------------------------------------------------------------------------


def _address(medspa: Medspa) -> str:
    lines = [
        medspa.display_name,
        medspa.shipping_line1,
        medspa.shipping_line2,
        f"{medspa.shipping_city}, {medspa.shipping_state} {medspa.shipping_postal_code}",
    ]
    return "\n".join(line for line in lines if line.strip())


def order_submit(
    *, medspa: Medspa, by: User, delivery_date: date, payment_method: str, notes: str, idempotency_key: str
) -> Order:
    """Places the cart as an order at the prices of the medspa's model now. The same key twice (a
    double-click, a retry) returns the first order. Raises PricesChanged when a price moved since the
    cart was priced: the cart is repriced (that is committed) and nothing is ordered."""
    key = idempotency_key[:64]
    with transaction.atomic():
        order = _order_place(medspa, by, delivery_date, payment_method, notes, key)
    if isinstance(order, list):
        raise PricesChanged(order)
    return order


def _order_place(medspa, by, delivery_date, payment_method, notes, key) -> Order | list[PriceChange]:
    existing = Order.objects.filter(medspa=medspa, idempotency_key=key).first()
    if existing is not None:
        return existing
    medspa = _medspa_locked(medspa)  # a model change waits for us, or we for it
    _orderable(medspa)
    cart = Cart.objects.select_for_update(no_key=True).filter(medspa=medspa).first()
    existing = Order.objects.filter(medspa=medspa, idempotency_key=key).first()
    if existing is not None:  # a concurrent submit with this key won the lock first
        return existing
    lines = list(cart.lines.select_related("product__supplier")) if cart else []
    if not lines:
        raise OrderingRefused("The cart is empty.")
    if not medspa.shipping_line1.strip():
        raise OrderingRefused("Add your commercial shipping address in Account settings first.")
    refusal = delivery_date_refusal(delivery_date, timezone.localdate(timezone=medspa.tz))
    if refusal:
        raise OrderingRefused(refusal)
    if payment_method not in PaymentMethod.values:
        raise OrderingRefused("Pick a payment method.")
    changes = carts_reprice(medspa=medspa)
    if changes:
        return changes
    try:
        with transaction.atomic():
            order = Order.objects.create(
                medspa=medspa,
                business_model=medspa.business_model,
                delivery_date=delivery_date,
                payment_method=payment_method,
                ship_to=_address(medspa),
                notes=notes.strip(),
                total=sum(line.line_total for line in lines),
                idempotency_key=key,
                submitted_by=by,
            )
    except IntegrityError:
        return Order.objects.get(medspa=medspa, idempotency_key=key)
    OrderLine.objects.bulk_create(
        OrderLine(
            medspa=medspa,
            order=order,
            product=line.product,
            product_name=str(line.product),
            supplier_name=line.product.supplier.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            market_price=line.product.market_price,
            ordered_product=line.product,
            ordered_quantity=line.quantity,
            ordered_unit_price=line.unit_price,
        )
        for line in lines
    )
    cart.lines.all().delete()
    _event(order, OrderStatus.SUBMITTED, by, notes.strip())
    return order


# --- Review and the rest of an order's life -----------------------------------------------------------------


def _event(order: Order, status: str, by: User, note: str = "") -> OrderEvent:
    event = OrderEvent.objects.create(
        medspa_id=order.medspa_id, order=order, status=status, by=by, note=note, **ORDER_EMAILS.queued()
    )
    transaction.on_commit(lambda: _email_queue(event))
    return event


def _email_queue(event: OrderEvent) -> None:
    task_queue("inventory_orders.tasks.order_event_email", event.pk, event.medspa_id)


def _move(order: Order, status: str) -> Order:
    order = Order.objects.select_for_update().get(pk=order.pk)
    if status not in TRANSITIONS.get(order.status, set()):
        raise OrderingRefused(
            f"A {order.get_status_display().lower()} order cannot become {OrderStatus(status).label.lower()}."
        )
    return order


def _review_record(order: Order, status: str, by: User, note: str) -> Order:
    """Records the inventory team's decision on the order (locked by `_move`) and its event."""
    order.status, order.review_note, order.reviewed_by, order.reviewed_at = status, note, by, timezone.now()
    order.save()
    _event(order, status, by, note)
    return order


@transaction.atomic
def order_approve(*, order: Order, by: User, note: str = "") -> Order:
    return _review_record(_move(order, OrderStatus.APPROVED), OrderStatus.APPROVED, by, note.strip())


@dataclass(frozen=True)
class LineChange:
    """What the inventory team changes in one line: quantity (0 removes it), a substitute, a price."""

    line: OrderLine
    quantity: int
    product: CatalogProduct | None = None
    unit_price: Decimal | None = None


@transaction.atomic
def order_change(*, order: Order, by: User, changes: list[LineChange], note: str) -> Order:
    """Approves the order with changes; every line keeps what was ordered beside what will be delivered."""
    order = _move(order, OrderStatus.CHANGED)
    if not note.strip():
        raise OrderingRefused("Say what changed and why: the medspa's admin reads it.")
    changed = False
    for change in changes:
        line = OrderLine.objects.select_for_update().get(pk=change.line.pk, order=order)
        product = change.product or line.product
        price = line.unit_price if change.unit_price is None else change.unit_price
        if change.quantity < 0 or change.quantity > MAX_QUANTITY or price < 0:
            raise OrderingRefused("A quantity is from 0 to 999 and a price is never negative.")
        if product.pk != line.product_id and change.unit_price is None:
            price = product.price_for(order.business_model)
        if (product.pk, change.quantity, price) != (line.product_id, line.quantity, line.unit_price):
            changed = True
        line.product, line.quantity, line.unit_price = product, change.quantity, price
        line.product_name, line.supplier_name, line.market_price = (
            str(product),
            product.supplier.name,
            product.market_price,
        )
        line.save()
    if not changed:
        raise OrderingRefused("Nothing was changed: approve the order instead.")
    order.total = sum(line.line_total for line in order.lines.all())
    return _review_record(order, OrderStatus.CHANGED, by, note.strip())


@transaction.atomic
def order_reject(*, order: Order, by: User, reason: str) -> Order:
    order = _move(order, OrderStatus.REJECTED)
    if not reason.strip():
        raise OrderingRefused("Say why the order is rejected.")
    return _review_record(order, OrderStatus.REJECTED, by, reason.strip())


@transaction.atomic
def order_ship(*, order: Order, by: User, carrier: str, tracking_number: str) -> Order:
    order = _move(order, OrderStatus.SHIPPED)
    if not tracking_number.strip():
        raise OrderingRefused("Give the tracking number.")
    order.status, order.carrier, order.tracking_number = (
        OrderStatus.SHIPPED,
        carrier.strip(),
        tracking_number.strip(),
    )
    order.save()
    _event(order, OrderStatus.SHIPPED, by, f"{carrier.strip()} {tracking_number.strip()}".strip())
    return order


def order_delivery_refusal(*, order: Order, today: date | None = None) -> str:
    """Why `order` cannot be marked delivered yet, or "": not before its delivery date, counted in the
    medspa's own time zone (the evening before in California is already the date in UTC)."""
    today = today or clock.today(order.medspa)
    if today < order.delivery_date:
        return (
            f"This order is due on {order.delivery_date:%A, %B %-d}: "
            "it can be marked delivered from that day on."
        )
    return ""


@transaction.atomic
def order_deliver(*, order: Order, by: User, today: date | None = None) -> Order:
    """Marks a shipped order delivered, on or after its delivery date (in the medspa's time zone)."""
    order = _move(order, OrderStatus.DELIVERED)
    refusal = order_delivery_refusal(order=order, today=today)
    if refusal:
        raise OrderingRefused(refusal)
    order.status = OrderStatus.DELIVERED
    order.save()
    _event(order, OrderStatus.DELIVERED, by)
    return order


@transaction.atomic
def order_cancel(*, order: Order, by: User, reason: str = "") -> Order:
    """The medspa cancels its order, only before the inventory team has decided it."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.SUBMITTED:
        raise OrderingRefused(
            f"This order is {order.get_status_display().lower()}: only a submitted order can be cancelled."
        )
    order.status = OrderStatus.CANCELLED
    order.save()
    _event(order, OrderStatus.CANCELLED, by, reason.strip())
    return order


@transaction.atomic
def order_again(*, order: Order) -> tuple[Cart, list[str]]:
    """Puts an order's products back in the cart at today's prices; returns the names left out (no longer
    available)."""
    medspa = order.medspa
    cart, missing = None, []
    for line in order.lines.select_related("product__supplier").filter(quantity__gt=0):
        try:
            cart = cart_line_add(medspa=medspa, product=line.product, quantity=line.quantity)
        except OrderingRefused:
            missing.append(line.product_name)
    return cart or cart_of(medspa), missing


# --- Emails -------------------------------------------------------------------------------------------------


# Where an order event keeps its email to the admins (medspa.once): owed until emailed or given up.
ORDER_EMAILS = once.Outbox.stamped("emailed_at", prefix="email_")


def order_event_email(*, event_id: int) -> str:
    """Emails the medspa's admins one step of an order: marked emailed in the transaction that holds the
    event while the email goes, sent again by the sweep if a worker died or the mail server refused."""
    row = OrderEvent.objects.filter(pk=event_id)
    event = ORDER_EMAILS.owing(row).select_related("order__medspa", "by").first()
    if event is None:
        return ""
    order = event.order
    admins = list(
        order.medspa.memberships.filter(is_admin=True, is_active=True, user__is_active=True).values_list(
            "user__email", flat=True
        )
    )
    if not admins:
        row.update(email_next_attempt_at=None)  # no one to tell: nothing is owed any more
        return ""
    context = {"order": order, "event": event, "lines": list(order.lines.all())}
    message = EmailMessage(
        subject=f"Order {order.number}: {event.get_status_display().lower()}",
        body=render_to_string("inventory_orders/email/order_event.txt", context),
        to=admins,
    )
    return once.deliver_once(row, ORDER_EMAILS, message.send)


def order_emails_sweep(*, now: datetime | None = None) -> list[tuple[int, int]]:
    """The (event id, medspa id) of every order email whose lease ran out or whose retry is due."""
    with scopes_disabled():
        return once.owed_sweep(OrderEvent.objects.all(), ORDER_EMAILS, now=now)


# --- Pricing tickets ----------------------------------------------------------------------------------------


def pricing_issue_report(
    *,
    medspa: Medspa,
    by: User,
    message: str,
    order: Order | None = None,
    product: CatalogProduct | None = None,
) -> PricingIssue:
    if not message.strip():
        raise OrderingRefused("Say what looks wrong with the price.")
    if order is None and product is None:
        raise OrderingRefused("Report a price from an order or a product.")
    return PricingIssue.objects.create(
        medspa=medspa,
        order=order,
        product=product,
        message=message.strip(),
        reported_by=by,
        business_model=medspa.business_model,
    )


@transaction.atomic
def pricing_issue_resolve(*, issue: PricingIssue, by: User, resolution: str) -> PricingIssue:
    issue = PricingIssue.objects.select_for_update().get(pk=issue.pk)
    if issue.status == PricingIssue.Status.RESOLVED:
        raise OrderingRefused("This ticket is already resolved.")
    issue.status, issue.resolution, issue.resolved_by, issue.resolved_at = (
        PricingIssue.Status.RESOLVED,
        resolution.strip(),
        by,
        timezone.now(),
    )
    issue.save()
    return issue
