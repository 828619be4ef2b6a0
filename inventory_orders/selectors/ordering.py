"""Reads of the Inventory tab: the catalog as a medspa sees it (its model's price and the savings), its cart,
and its order history with what the inventory team changed in each order."""

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When

from inventory_orders.models import (
    CartLine,
    CatalogProduct,
    Category,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Supplier,
)
from medspa.http import ascii_int
from medspa.models import Medspa
from medspa.models.tenancy import BusinessModel

ZERO = Decimal("0.00")
ORDERING_MODELS = (BusinessModel.LAUNCH, BusinessModel.FLEX)
# The categories in the order they are declared (neurotoxins first), not alphabetically.
CATEGORY_ORDER = Case(
    *(When(category=value, then=Value(index)) for index, value in enumerate(Category.values)),
    default=Value(len(Category.values)),
    output_field=IntegerField(),
)
ORDER_NUMBER = re.compile(r"(?:po-?)?0*([0-9]{1,9})", re.IGNORECASE)


def ordering_open(medspa: Medspa) -> bool:
    """Whether the medspa may order through the portal (Launch and Flex only)."""
    return medspa.business_model in ORDERING_MODELS


# --- The catalog --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogRow:
    """A product with the price for one business model and what that saves against the market price."""

    product: CatalogProduct
    price: Decimal
    savings: Decimal
    savings_percent: Decimal
    orderable: bool

    @property
    def launch_price(self) -> Decimal:
        return self.product.price_launch

    @property
    def flex_price(self) -> Decimal:
        return self.product.price_flex


def catalog_row(product: CatalogProduct, business_model: str) -> CatalogRow:
    price = product.price_for(business_model)
    savings = max(product.market_price - price, ZERO)
    percent = (
        (savings * 100 / product.market_price).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
        if product.market_price
        else Decimal("0")
    )
    return CatalogRow(
        product=product,
        price=price,
        savings=savings,
        savings_percent=percent,
        orderable=product.is_available and product.supplier.is_active,
    )


def catalog_products(
    *, query: str = "", category: str = "", supplier_id: str = ""
) -> QuerySet[CatalogProduct]:
    """The products of active suppliers, searched by name, SKU or supplier, filtered by category and
    supplier; available products first, then by category and name."""
    products = CatalogProduct.objects.filter(supplier__is_active=True).select_related("supplier")
    query = query.strip()
    if query:
        products = products.filter(
            Q(name__icontains=query) | Q(sku__icontains=query) | Q(supplier__name__icontains=query)
        )
    if category in Category.values:
        products = products.filter(category=category)
    supplier = ascii_int(supplier_id)
    if supplier is not None:
        products = products.filter(supplier_id=supplier)
    return products.order_by("-is_available", CATEGORY_ORDER, "name", "id")


def order_number(text: str) -> int | None:
    """The order's id from what was typed: "PO-000123", "po123" or "123" (its ASCII digits, at most 12)."""
    return ascii_int(re.sub(r"[^0-9]", "", text), max_digits=12)


def catalog_suppliers() -> QuerySet[Supplier]:
    return Supplier.objects.filter(is_active=True).order_by("name")


# --- The cart -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CartSummary:
    items: int
    total: Decimal
    quantities: dict[int, int]  # product id -> quantity in the cart


def cart_summary(medspa: Medspa) -> CartSummary:
    """What the cart holds, for the catalog's summary (one query)."""
    lines = list(CartLine.objects.filter(medspa=medspa).values_list("product_id", "quantity", "unit_price"))
    return CartSummary(
        items=sum(quantity for _, quantity, _ in lines),
        total=sum((price * quantity for _, quantity, price in lines), ZERO),
        quantities={product_id: quantity for product_id, quantity, _ in lines},
    )


def cart_lines(medspa: Medspa) -> list[CartLine]:
    return list(
        CartLine.objects.filter(medspa=medspa).select_related("product__supplier").order_by("added_at", "id")
    )


def lines_total(lines) -> Decimal:
    return sum((line.line_total for line in lines), ZERO)


# --- Orders -------------------------------------------------------------------------------------------------


def order_list(*, query: str = "", status: str = "") -> QuerySet[Order]:
    """The medspa's orders (the request's scope), newest first, with their lines; searched by order number
    (PO-000123, 123) or by a product's name (as ordered or as changed)."""
    orders = Order.objects.annotate(line_count=Count("lines", filter=Q(lines__quantity__gt=0)))
    if status in OrderStatus.values:
        orders = orders.filter(status=status)
    query = query.strip()
    if query:
        matches = Q(
            Exists(
                OrderLine.objects.filter(order=OuterRef("pk")).filter(
                    Q(product_name__icontains=query) | Q(ordered_product__name__icontains=query)
                )
            )
        )
        number = ORDER_NUMBER.fullmatch(query)
        if number:
            matches |= Q(pk=int(number.group(1)))
        orders = orders.filter(matches)
    return orders.prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.filter(quantity__gt=0).order_by("id"), to_attr="shown")
    ).order_by("-submitted_at", "-id")


def order_detail(pk: int) -> Order | None:
    return (
        Order.objects.select_related("submitted_by", "reviewed_by", "medspa")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product", "ordered_product")),
            Prefetch("events", queryset=OrderEvent.objects.select_related("by").order_by("at", "id")),
        )
        .filter(pk=pk)
        .first()
    )


@dataclass(frozen=True)
class OrderLineRow:
    """An order line beside what the medspa ordered: substituted, re-quantified, repriced or removed."""

    line: OrderLine
    ordered_name: str
    substituted: bool
    quantity_changed: bool
    price_changed: bool

    @property
    def removed(self) -> bool:
        return self.line.quantity == 0

    @property
    def changed(self) -> bool:
        return self.line.is_changed

    @property
    def ordered_total(self) -> Decimal:
        return self.line.ordered_unit_price * self.line.ordered_quantity


def order_line_rows(order: Order) -> list[OrderLineRow]:
    return [
        OrderLineRow(
            line=line,
            ordered_name=str(line.ordered_product),
            substituted=line.product_id != line.ordered_product_id,
            quantity_changed=line.quantity != line.ordered_quantity,
            price_changed=line.unit_price != line.ordered_unit_price,
        )
        for line in order.lines.all()
    ]


def order_totals(order: Order) -> dict:
    rows_ordered = sum((line.ordered_unit_price * line.ordered_quantity for line in order.lines.all()), ZERO)
    return {"ordered_total": rows_ordered, "total_changed": rows_ordered != order.total}
