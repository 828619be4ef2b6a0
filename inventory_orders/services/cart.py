"""The medspa's cart. Prices are never stale: a cart line keeps the price it was shown at, for the model it
was priced for, and a change of the medspa's model reprices every line of its cart in the same transaction
(`carts_reprice`, through `medspa.plan_changes`)."""

from django.db import transaction

from inventory_orders.models import (
    Cart,
    CartLine,
    CatalogProduct,
)
from inventory_orders.services.errors import OrderingRefused, PriceChange
from inventory_orders.services.rules import MAX_QUANTITY, _orderable
from medspa.models import Medspa

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
