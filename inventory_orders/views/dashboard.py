"""The Inventory tab of the admin dashboard: the supplier catalog at the medspa's model's prices, the cart,
checkout, and the order history with each order's review and timeline.

Prices are never stale: the cart and checkout pages reprice the cart for the medspa's model when they are
shown (and list what changed), and submitting re-verifies every line (`services.order_submit`)."""

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inventory_orders.forms.dashboard import (
    CartAddForm,
    CartLineForm,
    CheckoutForm,
    OrderCancelForm,
    PricingIssueForm,
)
from inventory_orders.models import CatalogProduct, Category, Order, OrderStatus
from inventory_orders.selectors import ordering
from inventory_orders.services import cart as inventory_cart
from inventory_orders.services import errors as inventory_errors
from inventory_orders.services import orders as order_services
from inventory_orders.services import pricing
from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.http import search_query

CATALOG_PAGE_SIZE = 20
ORDERS_PAGE_SIZE = 25


def _reprice(request) -> list[inventory_errors.PriceChange]:
    """Reprices the cart for the medspa's model now (lines no longer available are taken out)."""
    if not ordering.ordering_open(request.medspa):
        return []
    with transaction.atomic():
        return inventory_cart.carts_reprice(medspa=request.medspa)


def _inventory_path(request, target: str) -> str:
    """`target` if it is a page of this tab, else the catalog (where "Add to cart" came from)."""
    home = reverse("inventory_orders:home")
    if (
        target
        and target.startswith(home)
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        return target
    return home


# --- The catalog --------------------------------------------------------------------------------------------


@require_GET
@dashboard_area(dashboards.ADMIN)
def home(request):
    """The catalog: search, category and supplier filters, each product at the medspa's price."""
    query = search_query(request)
    category = request.GET.get("category", "")
    supplier = request.GET.get("supplier", "")
    products = ordering.catalog_products(query=query, category=category, supplier_id=supplier)
    page = Paginator(products, CATALOG_PAGE_SIZE).get_page(request.GET.get("page"))
    model = request.medspa.business_model
    orderable = ordering.ordering_open(request.medspa)
    summary = ordering.cart_summary(request.medspa) if orderable else None
    in_cart = summary.quantities if summary else {}
    context = {
        "page": page,
        "items": [
            {"row": ordering.catalog_row(product, model), "in_cart": in_cart.get(product.pk, 0)}
            for product in page.object_list
        ],
        "query": query,
        "category": category,
        "supplier": supplier,
        "categories": Category.choices,
        "suppliers": ordering.catalog_suppliers(),
        "filtered": bool(query or category or supplier),
        "orderable": orderable,
        "summary": summary,
        "here": request.get_full_path(),
    }
    return render(request, "inventory_orders/catalog.html", context)


def _render_product(request, product: CatalogProduct, *, status: int = 200, **forms):
    orderable = ordering.ordering_open(request.medspa)
    summary = ordering.cart_summary(request.medspa) if orderable else None
    context = {
        "product": product,
        "row": ordering.catalog_row(product, request.medspa.business_model),
        "orderable": orderable,
        "in_cart": summary.quantities.get(product.pk, 0) if summary else 0,
        "add_form": forms.get("add_form")
        or CartAddForm(initial={"product": product.pk, "quantity": 1, "next": request.path}),
        "issue_form": forms.get("issue_form") or PricingIssueForm(),
    }
    return render(request, "inventory_orders/product.html", context, status=status)


@require_GET
@dashboard_area(dashboards.ADMIN)
def product(request, pk: int):
    """A product with its disclaimers, "Add to cart" and "Report a pricing issue"."""
    return _render_product(
        request, get_object_or_404(CatalogProduct.objects.select_related("supplier"), pk=pk)
    )


@require_POST
@dashboard_area(dashboards.ADMIN)
def product_pricing_issue(request, pk: int):
    product = get_object_or_404(CatalogProduct.objects.select_related("supplier"), pk=pk)
    form = PricingIssueForm(request.POST)
    if form.is_valid():
        with refusals(form=form):
            pricing.pricing_issue_report(
                medspa=request.medspa, by=request.user, message=form.cleaned_data["message"], product=product
            )
            messages.success(request, "Thank you: Portrait's inventory team has your report on this price.")
            return redirect("inventory_orders:product", pk=product.pk)
    return _render_product(request, product, status=400, issue_form=form)


# --- The cart -----------------------------------------------------------------------------------------------


@require_POST
@dashboard_area(dashboards.ADMIN)
def cart_add(request):
    """Adds a quantity of a product to the cart, then goes back where "Add to cart" was pressed."""
    form = CartAddForm(request.POST)
    if form.is_valid():
        product, quantity = form.cleaned_data["product"], form.cleaned_data["quantity"]
        with refusals(form=form):
            inventory_cart.cart_line_add(medspa=request.medspa, product=product, quantity=quantity)
            messages.success(request, f"{quantity} × {product} added to the cart.")
            return redirect(_inventory_path(request, form.cleaned_data["next"]))
    product = form.cleaned_data.get("product")
    if product is None:
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("inventory_orders:home")
    return _render_product(request, product, status=400, add_form=form)


def _cart_rows(lines, changes, line_form) -> list[dict]:
    """Each line with the quantity to show (what was typed, for a refused change) and how it was repriced."""
    was = {change.product.pk: change.was for change in changes if change.now is not None}
    failed = str(line_form["product"].value()) if line_form is not None else None
    rows = []
    for line in lines:
        row = {"line": line, "quantity": line.quantity, "errors": [], "was": was.get(line.product_id)}
        if failed == str(line.product_id):
            row["quantity"] = line_form["quantity"].value() or ""
            row["errors"] = [*line_form.non_field_errors(), *line_form.errors.get("quantity", [])]
        rows.append(row)
    return rows


def _render_cart(request, *, status: int = 200, line_form: CartLineForm | None = None):
    changes = _reprice(request)
    lines = ordering.cart_lines(request.medspa) if ordering.ordering_open(request.medspa) else []
    rows = _cart_rows(lines, changes, line_form)
    shown = {str(row["line"].product_id) for row in rows}
    unshown = []
    if line_form is not None and str(line_form["product"].value()) not in shown:
        unshown = [error for errors in line_form.errors.values() for error in errors]
    context = {
        "rows": rows,
        "total": ordering.lines_total(lines),
        "changes": changes,
        "orderable": ordering.ordering_open(request.medspa),
        "unshown_errors": unshown,
    }
    return render(request, "inventory_orders/cart.html", context, status=status)


@require_GET
@dashboard_area(dashboards.ADMIN)
def cart(request):
    """The cart at the medspa's prices now."""
    return _render_cart(request)


@require_POST
@dashboard_area(dashboards.ADMIN)
def cart_line(request):
    """Sets a line's quantity (0 or Remove takes it out)."""
    form = CartLineForm(request.POST)
    if form.is_valid():
        product, quantity = form.cleaned_data["product"], form.new_quantity()
        with refusals(form=form):
            inventory_cart.cart_line_set(medspa=request.medspa, product=product, quantity=quantity)
            if quantity:
                messages.success(request, f"{product} now {quantity} in the cart.")
            else:
                messages.success(request, f"{product} was taken out of the cart.")
            return redirect("inventory_orders:cart")
    return _render_cart(request, status=400, line_form=form)


# --- Checkout -----------------------------------------------------------------------------------------------


def _render_checkout(request, form: CheckoutForm, *, status: int = 200, changes=None):
    """The cart re-verified at the medspa's prices now, the changes listed, and the checkout form."""
    repriced = _reprice(request)
    medspa = request.medspa
    orderable = ordering.ordering_open(medspa)
    lines = ordering.cart_lines(medspa) if orderable else []
    context = {
        "form": form,
        "lines": lines,
        "total": ordering.lines_total(lines),
        "changes": changes if changes is not None else repriced,
        "orderable": orderable,
        "has_address": bool(medspa.shipping_line1.strip()),
        "medspa": medspa,
    }
    return render(request, "inventory_orders/checkout.html", context, status=status)


def _today(request) -> date:
    return timezone.localdate(timezone=request.medspa.tz)


@require_http_methods(["GET", "POST"])
@dashboard_area(dashboards.ADMIN)
def checkout(request):
    """Places the cart as an order. The same key twice (a double click, a retry) places one order; a price
    that moved since the page was shown stops the order and shows the new prices (409)."""
    if request.method == "GET":
        return _render_checkout(request, CheckoutForm(today=_today(request)))
    form = CheckoutForm(request.POST, today=_today(request))
    if form.is_valid():
        data = form.cleaned_data
        try:
            order = order_services.order_submit(
                medspa=request.medspa,
                by=request.user,
                delivery_date=data["delivery_date"],
                payment_method=data["payment_method"],
                notes=data["notes"],
                idempotency_key=data["idempotency_key"],
            )
        except inventory_errors.PricesChanged as changed:
            return _render_checkout(request, form, status=409, changes=changed.changes)
        except inventory_errors.OrderingRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                f"Order {order.number} was submitted. Portrait's inventory team reviews it; you are emailed "
                "at each step.",
            )
            return redirect("inventory_orders:order", pk=order.pk)
    return _render_checkout(request, form, status=400)


# --- Order history ------------------------------------------------------------------------------------------


@require_GET
@dashboard_area(dashboards.ADMIN)
def orders(request):
    """The medspa's orders, newest first, by status, searched by number or product."""
    query = search_query(request)
    status = request.GET.get("status", "")
    status = status if status in OrderStatus.values else ""
    page = Paginator(ordering.order_list(query=query, status=status), ORDERS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "query": query, "status": status, "statuses": OrderStatus.choices}
    return render(request, "inventory_orders/orders.html", context)


def _order_or_404(pk: int) -> Order:
    order = ordering.order_detail(pk)  # scoped to the request's medspa: another medspa's order is 404
    if order is None:
        raise Http404("No such order.")
    return order


def _render_order(request, order: Order, *, status: int = 200, **forms):
    context = {
        "order": order,
        "rows": ordering.order_line_rows(order),
        **ordering.order_totals(order),
        "events": list(order.events.all()),
        "can_cancel": order.status == OrderStatus.SUBMITTED,
        "orderable": ordering.ordering_open(request.medspa),
        "cancel_form": forms.get("cancel_form") or OrderCancelForm(),
        "issue_form": forms.get("issue_form") or PricingIssueForm(),
        "tz": request.medspa.time_zone,
    }
    return render(request, "inventory_orders/order.html", context, status=status)


@require_GET
@dashboard_area(dashboards.ADMIN)
def order(request, pk: int):
    """An order: what was ordered beside what the review made of it, its timeline and its actions."""
    return _render_order(request, _order_or_404(pk))


@require_POST
@dashboard_area(dashboards.ADMIN)
def order_cancel(request, pk: int):
    order = _order_or_404(pk)
    form = OrderCancelForm(request.POST)
    if not form.is_valid():
        return _render_order(request, order, status=400, cancel_form=form)
    with refusals(request):
        order_services.order_cancel(order=order, by=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, f"Order {order.number} was cancelled.")
    return redirect("inventory_orders:order", pk=order.pk)


@require_POST
@dashboard_area(dashboards.ADMIN)
def order_again(request, pk: int):
    """Puts the order's products back in the cart at today's prices, saying which were left out."""
    order = _order_or_404(pk)
    if not ordering.ordering_open(request.medspa):
        messages.error(request, "Inventory ordering opens on Launch and Flex.")
        return redirect("inventory_orders:order", pk=order.pk)
    _cart, missing = order_services.order_again(order=order)
    left_out = f"Left out, as they cannot be ordered now: {', '.join(missing)}."
    if len(missing) >= sum(1 for line in order.lines.all() if line.quantity > 0):
        messages.error(request, f"Nothing of {order.number} could be put back in the cart. {left_out}")
        return redirect("inventory_orders:order", pk=order.pk)
    if missing:
        messages.warning(request, left_out)
    messages.success(request, f"The products of {order.number} are in your cart at today's prices.")
    return redirect("inventory_orders:cart")


@require_POST
@dashboard_area(dashboards.ADMIN)
def order_pricing_issue(request, pk: int):
    order = _order_or_404(pk)
    form = PricingIssueForm(request.POST)
    if form.is_valid():
        with refusals(form=form):
            pricing.pricing_issue_report(
                medspa=request.medspa, by=request.user, message=form.cleaned_data["message"], order=order
            )
            messages.success(
                request, f"Thank you: Portrait's inventory team has your report on {order.number}."
            )
            return redirect("inventory_orders:order", pk=order.pk)
    return _render_order(request, order, status=400, issue_form=form)
