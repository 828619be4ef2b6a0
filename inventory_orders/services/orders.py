"""Submitting an order and the rest of its life: review by Portrait's inventory team, shipping, delivery,
cancellation and "order again".

Submitting re-reads every line's catalog price for the medspa's model at that moment, under the cart's
lock: if any differs from what the admin was shown, the cart is repriced and nothing is ordered
(PricesChanged lists the changes; the admin reviews and submits again)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from inventory_orders.models import (
    Cart,
    CatalogProduct,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentMethod,
)
from inventory_orders.services.cart import _medspa_locked, cart_line_add, cart_of, carts_reprice
from inventory_orders.services.emails import ORDER_EMAILS
from inventory_orders.services.errors import OrderingRefused, PriceChange, PricesChanged
from inventory_orders.services.rules import MAX_QUANTITY, _orderable, delivery_date_refusal
from medspa import clock
from medspa.celery import task_queue
from medspa.models import Medspa, User

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
