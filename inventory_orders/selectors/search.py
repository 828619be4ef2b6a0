"""What the top bar's search finds in the Inventory tab (medspa.search.SEARCH, registered by
InventoryOrdersConfig.ready; the admin's dashboard only): the medspa's orders by number (PO-000123, 123), by
supplier or by product (as ordered or as changed), newest first, in one query."""

import zoneinfo

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils.formats import date_format

from inventory_orders.models import Order, OrderLine
from inventory_orders.selectors.ordering import ORDER_NUMBER
from medspa.money import money_format
from medspa.search import SearchResult, query_words


def orders_matching(query: str) -> QuerySet[Order]:
    """The request's medspa's orders matching every word of `query` (its number, a supplier or a product of
    its lines), each with its first line's supplier and product and its number of lines, newest first."""
    words = query_words(query)
    if not words:
        return Order.objects.none()
    orders = Order.objects.all()
    for word in words:
        lines = OrderLine.objects.filter(order=OuterRef("pk")).filter(
            Q(product_name__icontains=word)
            | Q(supplier_name__icontains=word)
            | Q(ordered_product__name__icontains=word)
        )
        matches = Q(Exists(lines))
        number = ORDER_NUMBER.fullmatch(word)
        if number:
            matches |= Q(pk=int(number.group(1)))
        orders = orders.filter(matches)
    shown = OrderLine.objects.filter(order=OuterRef("pk"), quantity__gt=0)
    first = shown.order_by("id")
    return orders.annotate(
        first_supplier=Subquery(first.values("supplier_name")[:1]),
        first_product=Subquery(first.values("product_name")[:1]),
        products=Subquery(
            shown.order_by().values("order").annotate(count=Count("pk")).values("count"),
            output_field=IntegerField(),
        ),
    ).order_by("-submitted_at", "-id")


def order_subtitle(order: Order, zone: zoneinfo.ZoneInfo) -> str:
    """ "Submitted Dec 3, 2026 · Toxin Co · Botox 100U and 2 more · $1,234.50 · Approved"."""
    parts = [f"Submitted {date_format(order.submitted_at.astimezone(zone), 'M j, Y')}"]
    if order.first_product:
        more = (order.products or 1) - 1
        parts += [order.first_supplier, order.first_product + (f" and {more} more" if more else "")]
    else:
        parts.append("No products left")
    parts += [money_format(order.total), order.get_status_display()]
    return " · ".join(parts)


def orders_found(request, query: str, *, limit: int, offset: int = 0) -> list[SearchResult]:
    zone = zoneinfo.ZoneInfo(request.medspa.time_zone)
    return [
        SearchResult(
            order.number, order_subtitle(order, zone), reverse("inventory_orders:order", args=[order.pk])
        )
        for order in orders_matching(query)[offset : offset + limit]
    ]
