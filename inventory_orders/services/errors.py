"""The refusals of inventory ordering: each message is for the person at the screen."""

from dataclasses import dataclass
from decimal import Decimal

from inventory_orders.models import (
    CatalogProduct,
)
from medspa.errors import DomainError


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
