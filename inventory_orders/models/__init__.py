"""Inventory ordering: Portrait's supplier catalog with a price per business model, each medspa's cart, the
orders it submits, their review by Portrait's inventory team, and pricing tickets.

Prices are never stale: a cart line keeps the price of the medspa's model when it was last priced, a change
of model reprices every open cart in the same transaction, and submitting re-verifies every line against the
catalog (an order is placed only at the prices the admin was shown). An order keeps the exact prices it was
placed at; a change by the inventory team is recorded line by line, before and after."""

from inventory_orders.models.carts import Cart, CartLine
from inventory_orders.models.catalog import CatalogProduct, Category, OrderingRules, Supplier
from inventory_orders.models.orders import (
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    PricingIssue,
)

__all__ = [
    "Cart",
    "CartLine",
    "CatalogProduct",
    "Category",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderStatus",
    "OrderingRules",
    "PaymentMethod",
    "PricingIssue",
    "Supplier",
]
