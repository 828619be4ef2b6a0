"""Portrait's inventory review (Portrait staff only): the queue of every medspa's orders, the review page
where the inventory team approves, changes or rejects an order and later marks it shipped and delivered,
and the pricing tickets the medspas report.

Staff belong to no medspa, so lists are read with scopes disabled; acting on one order or ticket runs in its
medspa's scope, with the medspa in the audit context. Every transition is a service call
(inventory_orders.services.orders), which refuses what the order's status does not allow."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_scopes import scopes_disabled

from inventory_orders.forms.staff import (
    ApproveForm,
    ChangeForm,
    DeliverForm,
    RejectForm,
    ResolveForm,
    ShipForm,
)
from inventory_orders.models import CatalogProduct, Order, OrderStatus, PricingIssue
from inventory_orders.selectors.ordering import order_number
from inventory_orders.services import orders as order_services
from inventory_orders.services import pricing
from medspa.errors import refusals
from medspa.http import ascii_int
from medspa.models import Medspa
from medspa.permissions import staff_required
from medspa.tenancy import medspa_scope

PAGE_SIZE = 25
# filter value: (label, statuses or None for every status, oldest first?)
STATUS_FILTERS = {
    "submitted": ("Awaiting review", [OrderStatus.SUBMITTED], True),
    "to_ship": ("Approved, to ship", [OrderStatus.APPROVED, OrderStatus.CHANGED], True),
    "shipped": ("Shipped, to deliver", [OrderStatus.SHIPPED], True),
    "delivered": ("Delivered", [OrderStatus.DELIVERED], False),
    "rejected": ("Rejected", [OrderStatus.REJECTED], False),
    "cancelled": ("Cancelled by the medspa", [OrderStatus.CANCELLED], False),
    "all": ("All orders", None, False),
}
DEFAULT_FILTER = "submitted"
# What the review page offers in each status.
ACTIONS = {
    OrderStatus.SUBMITTED: [ApproveForm, ChangeForm, RejectForm],
    OrderStatus.APPROVED: [ShipForm],
    OrderStatus.CHANGED: [ShipForm],
    OrderStatus.SHIPPED: [DeliverForm],
}
FORMS = {form.action: form for form in (ApproveForm, ChangeForm, RejectForm, ShipForm, DeliverForm)}
DONE = {
    "approve": "was approved",
    "change": "was approved with changes",
    "reject": "was rejected",
    "ship": "was marked shipped",
    "deliver": "was marked delivered",
}
ISSUE_FILTERS = {"": "Open first, then resolved", "open": "Open", "resolved": "Resolved"}


# --- The queue ----------------------------------------------------------------------------------------------


@require_GET
@staff_required
def order_list(request):
    status = request.GET.get("status", DEFAULT_FILTER)
    status = status if status in STATUS_FILTERS else DEFAULT_FILTER
    label, statuses, oldest_first = STATUS_FILTERS[status]
    medspa = request.GET.get("medspa", "")
    medspa_id = ascii_int(medspa)
    medspa = medspa if medspa_id is not None else ""
    query = request.GET.get("q", "").strip()[:40]
    with scopes_disabled():
        orders = (
            Order.objects.select_related("medspa", "submitted_by")
            .annotate(line_count=Count("lines", filter=Q(lines__quantity__gt=0)))
            .order_by(*(("submitted_at", "pk") if oldest_first else ("-submitted_at", "-pk")))
        )
        if statuses is not None:
            orders = orders.filter(status__in=statuses)
        if medspa_id is not None:
            orders = orders.filter(medspa_id=medspa_id)
        if query:
            number = order_number(query)
            orders = orders.filter(pk=number) if number is not None else orders.none()
        page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
        medspas = list(
            Medspa.objects.filter(inventory_orders__isnull=False)
            .distinct()
            .order_by("name")
            .values_list("pk", "name")
        )
    return render(
        request,
        "inventory_orders/staff/list.html",
        {
            "page": page,
            "orders": list(page.object_list),
            "status": status,
            "status_label": label,
            "oldest_first": oldest_first,
            "status_choices": [(value, choice[0]) for value, choice in STATUS_FILTERS.items()],
            "medspa": medspa,
            "medspa_choices": [(str(pk), name) for pk, name in medspas],
            "query": query,
            "filtered": status != DEFAULT_FILTER or medspa or query,
        },
    )


# --- One order ----------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def order_review(request, pk: int):
    with scopes_disabled():
        order = get_object_or_404(Order.objects.select_related("medspa"), pk=pk)
    with medspa_scope(order.medspa_id, audit_context=True):
        if request.method == "GET":
            return _review_page(request, order)
        form_class = FORMS.get(request.POST.get("action", ""))
        if form_class is None:
            return _review_page(request, order, refusal="Choose what to do with the order.", status=400)
        form = _form(form_class, order, request.POST)
        if not form.is_valid():
            return _review_page(request, order, bound=form, status=400)
        with refusals(form=form) as refused:
            _act(form, order, request.user)
        if refused:
            return _review_page(request, order, bound=form, status=400)
    messages.success(request, f"{order.number} of {order.medspa.name} {DONE[form.action]}.")
    return redirect("inventory_staff:review", pk=order.pk)


def _form(form_class, order: Order, data=None):
    if form_class is not ChangeForm:
        return form_class(data)
    lines = list(order.lines.select_related("product").order_by("pk"))
    products = list(
        CatalogProduct.objects.filter(is_available=True, supplier__is_active=True)
        .select_related("supplier")
        .order_by("category", "name", "pk")
    )
    return ChangeForm(data, order=order, lines=lines, products=products)


def _act(form, order: Order, by) -> Order:
    data = form.cleaned_data
    if form.action == "approve":
        return order_services.order_approve(order=order, by=by, note=data["note"])
    if form.action == "change":
        return order_services.order_change(order=order, by=by, changes=form.changes(), note=data["note"])
    if form.action == "reject":
        return order_services.order_reject(order=order, by=by, reason=data["reason"])
    if form.action == "ship":
        return order_services.order_ship(
            order=order, by=by, carrier=data["carrier"], tracking_number=data["tracking_number"]
        )
    return order_services.order_deliver(order=order, by=by)


def _review_page(request, order: Order, *, bound=None, refusal: str = "", status: int = 200):
    """The order, its lines (ordered and now), its timeline, and the forms its status allows; `bound` is the
    form that was sent back with its errors and what was typed."""
    lines = list(order.lines.select_related("product", "ordered_product").order_by("pk"))
    offered = ACTIONS.get(order.status, [])
    not_yet = (
        order_services.order_delivery_refusal(order=order) if order.status == OrderStatus.SHIPPED else ""
    )
    if not_yet:
        offered = [form_class for form_class in offered if form_class is not DeliverForm]
    forms = {}
    for form_class in offered:
        forms[form_class.action] = (
            bound if bound is not None and bound.action == form_class.action else _form(form_class, order)
        )
    if bound is not None and bound.action not in forms:  # e.g. approving an order cancelled meanwhile
        refusal = refusal or " ".join(str(error) for error in bound.non_field_errors())
    events = list(order.events.select_related("by").order_by("at", "pk"))
    issues = list(PricingIssue.objects.filter(order=order).order_by("-reported_at"))
    return render(
        request,
        "inventory_orders/staff/review.html",
        {
            "order": order,
            "lines": [_line_row(line, order.business_model) for line in lines],
            "forms": forms,
            "events": events,
            "issues": issues,
            "refusal": refusal,
            "not_yet": not_yet,
        },
        status=status,
    )


def _line_row(line, business_model: str) -> dict:
    price_now = line.product.price_for(business_model)
    return {
        "line": line,
        "price_now": price_now,
        "price_moved": price_now != line.unit_price,
        "savings": line.market_price - line.unit_price,
    }


# --- Pricing tickets ----------------------------------------------------------------------------------------


@require_GET
@staff_required
def issue_list(request):
    return _issues_page(request)


@require_POST
@staff_required
def issue_resolve(request, pk: int):
    with scopes_disabled():
        issue = get_object_or_404(PricingIssue.objects.select_related("medspa"), pk=pk)
    form = ResolveForm(request.POST, issue_pk=issue.pk)
    if not form.is_valid():
        return _issues_page(request, bound=(issue.pk, form), status=400)
    with medspa_scope(issue.medspa_id, audit_context=True):
        with refusals(form=form) as refused:
            pricing.pricing_issue_resolve(
                issue=issue, by=request.user, resolution=form.cleaned_data["resolution"]
            )
        if refused:
            return _issues_page(request, bound=(issue.pk, form), status=400)
    messages.success(request, f"The pricing ticket of {issue.medspa.name} was resolved.")
    return redirect("inventory_staff:issues")


def _issues_page(request, *, bound: tuple[int, ResolveForm] | None = None, status: int = 200):
    show = request.GET.get("status", "")
    show = show if show in ISSUE_FILTERS else ""
    with scopes_disabled():
        issues = (
            PricingIssue.objects.select_related("medspa", "order", "product", "reported_by", "resolved_by")
            .annotate(
                resolved=Case(
                    When(status=PricingIssue.Status.OPEN, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            # Open tickets first, the oldest on top (a queue); then the latest resolved.
            .order_by("resolved", F("resolved_at").desc(nulls_first=True), "reported_at", "pk")
        )
        if show:
            issues = issues.filter(status=show)
        page = Paginator(issues, PAGE_SIZE).get_page(request.GET.get("page"))
        rows, bound_shown = [], False
        for issue in page.object_list:
            form = None
            if issue.status == PricingIssue.Status.OPEN:
                bound_shown = bound_shown or bool(bound and bound[0] == issue.pk)
                form = bound[1] if bound and bound[0] == issue.pk else ResolveForm(issue_pk=issue.pk)
            rows.append({"issue": issue, "form": form})
    return render(
        request,
        "inventory_orders/staff/issues.html",
        {
            "page": page,
            "rows": rows,
            "status": show,
            "status_choices": list(ISSUE_FILTERS.items()),
            # The ticket was resolved meanwhile, or is on another page: its error shows above the list.
            "bound_elsewhere": bound is not None and not bound_shown,
            "bound": bound[1] if bound else None,
        },
        status=status,
    )
