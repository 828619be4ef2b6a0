"""The sale pages: a provider's retail checkout (start a cart, change it, charge it, cancel it), the receipt
of a paid sale (retail or a visit's) with its refunds, and the provider's own sales list. The admin opens
any sale of the medspa and refunds it. A provider opens only their own sales: any other id is 404."""

import re
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, DecimalField, F, IntegerField, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.money import ZERO, money_format
from medspa.services.patients import patient_access_record, patients_access_record
from providers.forms.sales import CartAddForm, CartLineForm, CheckoutForm, RefundForm, RetailStartForm
from providers.models import Payment, Sale, SaleKind, SaleStatus
from providers.selectors.patients import provider_patients
from providers.selectors.payments import checkout_card
from providers.services import checkout, settlement
from providers.services.settlement import LineDraft
from scheduling.models import Location
from services_catalog.models import RetailProduct

SALES_PAGE_SIZE = 25
MONEY_OUT = DecimalField(max_digits=12, decimal_places=2)
NAMES = {  # the URL names of each dashboard's sale pages
    dashboards.PROVIDER: {"detail": "providers:sale_detail", "refund": "providers:sale_refund"},
    dashboards.ADMIN: {"detail": "providers:admin_sale_detail", "refund": "providers:admin_sale_refund"},
}


# --- Reads --------------------------------------------------------------------------------------------------


def _sales() -> QuerySet[Sale]:
    return Sale.objects.select_related(
        "medspa", "location", "patient", "provider__user", "created_by", "appointment"
    )


def _own_sale(request, pk: int) -> Sale:
    return get_object_or_404(_sales(), pk=pk, provider=request.membership)


def _refundable_payments(sale: Sale) -> QuerySet[Payment]:
    """The sale's payments with something left to refund, each annotated with `left`."""
    refunded = Coalesce(Sum("refunds__amount"), Value(ZERO), output_field=MONEY_OUT)
    return (
        Payment.objects.filter(sale=sale)
        .annotate(left=F("amount") - refunded)
        .filter(left__gt=0)
        .order_by("id")
    )


def _active_products() -> QuerySet[RetailProduct]:
    return RetailProduct.objects.filter(is_active=True).order_by("name", "id")


def _visit_url(sale: Sale, area: str) -> str:
    """The visit's chart, a Provider dashboard page."""
    if sale.visit_id is None or area != dashboards.PROVIDER:
        return ""
    return reverse("providers:visit_detail", kwargs={"pk": sale.visit_id})


def _patient_url(sale: Sale, area: str) -> str:
    if sale.patient_id is None:
        return ""
    if area == dashboards.ADMIN:
        return reverse("dashboard_patient_detail", args=[sale.patient_id])
    return reverse("providers:patient_detail", args=[sale.patient_id])


# --- The sale page ------------------------------------------------------------------------------------------


def _cart_rows(sale: Sale, lines: list, line_form: CartLineForm | None) -> list[dict]:
    """Each cart line with the quantity to show: what was typed, for the line whose change was refused."""
    failed = str(line_form["product"].value()) if line_form is not None else None
    rows = []
    for line in lines:
        row = {"line": line, "quantity": int(line.quantity), "errors": []}
        if failed is not None and failed == str(line.retail_product_id):
            row["quantity"] = line_form["quantity"].value() or ""
            row["errors"] = [*line_form.non_field_errors(), *line_form.errors.get("quantity", [])]
        rows.append(row)
    return rows


def _render_sale(request, sale: Sale, area: str, *, status: int = 200, **forms):
    """The sale page: an open cart with its forms, or the receipt with its refunds."""
    if sale.patient_id is not None:
        patient_access_record(patient=sale.patient, request=request, viewed=f"Sale {sale.number}")
    lines = list(sale.lines.all())
    context = {
        "sale": sale,
        "area": area,
        "lines": lines,
        "tz": sale.location.tz,
        "urls": NAMES[area],
        "visit_url": _visit_url(sale, area),
        "patient_url": _patient_url(sale, area),
        "editable": area == dashboards.PROVIDER
        and sale.status == SaleStatus.OPEN
        and sale.kind == SaleKind.RETAIL,
    }
    if context["editable"]:
        products = _active_products()
        card, card_mode = checkout_card(sale.medspa, sale.patient)
        context.update(
            rows=_cart_rows(sale, lines, forms.get("line_form")),
            add_form=forms.get("add_form") or CartAddForm(products=products),
            card_mode=card_mode,
            checkout_form=forms.get("checkout_form")
            or CheckoutForm(
                initial={"receipt_email": sale.receipt_email},
                card_on_file=card,
                connected=card_mode != "terminal",
            ),
            preview=forms.get("preview"),
            running=_running_total(sale, lines, forms.get("checkout_form") or CheckoutForm()),
            has_products=products.exists(),
        )
    if sale.status == SaleStatus.PAID:
        payments = (
            sale.payments.select_related("card_payment")
            .annotate(refunded=Coalesce(Sum("refunds__amount"), Value(ZERO), output_field=MONEY_OUT))
            .order_by("id")
        )
        refunds = list(sale.refunds.select_related("payment", "refunded_by").order_by("id"))
        refund_payments = _refundable_payments(sale)
        context.update(
            payments=payments,
            refunds=refunds,
            refunded=sum((refund.amount for refund in refunds), ZERO),
            refund_form=forms.get("refund_form") or RefundForm(payments=refund_payments),
            can_refund=refund_payments.exists(),
        )
    context["unshown_errors"] = _unshown_errors(context, forms)
    return render(request, "providers/sales/sale_detail.html", context, status=status)


def _unshown_errors(context: dict, forms: dict) -> list[str]:
    """The errors of a submitted form whose section the page no longer shows (a charge of an empty cart, a
    refund of a sale refunded in full meanwhile): they are said at the top instead."""
    unshown = []
    if forms.get("checkout_form") is not None and not context.get("rows"):
        unshown.append(forms["checkout_form"])
    if forms.get("refund_form") is not None and not context.get("can_refund"):
        unshown.append(forms["refund_form"])
    return [error for form in unshown for errors in form.errors.values() for error in errors]


@require_http_methods(["GET", "POST"])
@dashboard_area(dashboards.PROVIDER)
def sale_detail(request, pk: int):
    """The provider's own sale; a POST charges the open cart (or, with "Work out the total", shows what the
    discount and tip make of it without charging)."""
    sale = _own_sale(request, pk)
    if request.method == "GET":
        return _render_sale(request, sale, dashboards.PROVIDER)
    if sale.status != SaleStatus.OPEN or sale.kind != SaleKind.RETAIL:
        messages.error(request, f"{sale.number} is {sale.get_status_display().lower()}: nothing to charge.")
        return redirect("providers:sale_detail", pk=sale.pk)
    card, mode = checkout_card(sale.medspa, sale.patient)
    form = CheckoutForm(request.POST, card_on_file=card, connected=mode != "terminal")
    preview = None
    if form.is_valid():
        charge = form.charge()
        with refusals(form=form):
            if request.POST.get("action") == "preview":
                preview = _preview(sale, charge)
            else:
                checkout.retail_checkout(
                    sale=sale, by=request.user, receipt_email=form.cleaned_data["receipt_email"], **charge
                )
                messages.success(request, f"{sale.number} is paid.")
                return redirect("providers:sale_detail", pk=sale.pk)
    if form.is_bound and form.errors:
        form.key_renew_if_declined()
    status = 200 if preview is not None else 400
    return _render_sale(
        request, sale, dashboards.PROVIDER, status=status, checkout_form=form, preview=preview
    )


def _preview(sale: Sale, charge: dict) -> settlement.Totals:
    lines = [
        LineDraft(line.kind, line.description, line.quantity, line.unit_price, taxable=line.taxable)
        for line in sale.lines.all()
    ]
    return settlement.totals_for(
        lines, discount=charge["discount"], tip=charge["tip"], tax_percent=sale.tax_percent
    )


def _running_total(sale: Sale, lines: list, form: CheckoutForm) -> settlement.RunningTotal:
    """The open cart's charge as typed so far in `form`, with the location's sales tax."""
    typed = form.typed_so_far()
    drafts = [
        LineDraft(line.kind, line.description, line.quantity, line.unit_price, taxable=line.taxable)
        for line in lines
    ]
    return settlement.running_total(
        drafts, discount=typed["discount"], tip=typed["tip"], tax_percent=sale.tax_percent, paid=typed["paid"]
    )


@require_POST
@dashboard_area(dashboards.PROVIDER)
def sale_total(request, pk: int):
    """The open cart's running total (an htmx partial) as the provider changes a quantity or types the
    discount, the tip and the payments: the settlement's arithmetic on the saved lines, nothing charged."""
    sale = _own_sale(request, pk)
    running = None
    if sale.status == SaleStatus.OPEN and sale.kind == SaleKind.RETAIL:
        running = _running_total(sale, list(sale.lines.all()), CheckoutForm(request.POST))
    return render(request, "providers/_running_total.html", {"running": running})


@require_POST
@dashboard_area(dashboards.PROVIDER)
def sale_line(request, pk: int):
    """Adds a product to the open cart, or sets a line's quantity (0 or Remove takes it out)."""
    sale = _own_sale(request, pk)
    adding = request.POST.get("action") == "add"
    if adding:
        form = CartAddForm(request.POST, products=_active_products())
    else:
        form = CartLineForm(request.POST, products=RetailProduct.objects.all())
    if form.is_valid():
        product = form.cleaned_data["product"]
        with refusals(form=form):
            if adding:
                quantity = Decimal(form.cleaned_data["quantity"])
                checkout.retail_line_add(sale=sale, product=product, quantity=quantity)
            else:
                checkout.retail_line_set(sale=sale, product=product, quantity=form.new_quantity())
            if request.htmx:  # a quantity changed in place: the cart again, and the running total told
                response = _render_sale(request, _own_sale(request, pk), dashboards.PROVIDER)  # new figures
                response["HX-Trigger"] = "cart-changed"
                return response
            return redirect(reverse("providers:sale_detail", args=[sale.pk]) + "#cart")
    if sale.status != SaleStatus.OPEN:
        messages.error(request, "; ".join(form.non_field_errors()) or "This sale cannot change any more.")
        return redirect("providers:sale_detail", pk=sale.pk)
    key = "add_form" if adding else "line_form"
    return _render_sale(request, sale, dashboards.PROVIDER, status=400, **{key: form})


@require_POST
@dashboard_area(dashboards.PROVIDER)
def sale_void(request, pk: int):
    """Cancels the provider's open cart (nothing was paid)."""
    sale = _own_sale(request, pk)
    with refusals(request) as refused:
        checkout.retail_sale_void(sale=sale)
    if refused:
        return redirect("providers:sale_detail", pk=sale.pk)
    messages.success(request, f"Cart {sale.number} was cancelled.")
    return redirect("providers:sales")


def _refund(request, sale: Sale, area: str):
    """Refunds one payment of the sale; a refused refund shows the form again with what was typed."""
    if sale.status != SaleStatus.PAID:
        messages.error(request, "Only a paid sale can be refunded.")
        return redirect(NAMES[area]["detail"], pk=sale.pk)
    form = RefundForm(request.POST, payments=_refundable_payments(sale))
    if form.is_valid():
        data = form.cleaned_data
        with refusals(form=form):
            refund = checkout.sale_refund(
                sale=sale,
                payment=data["payment"],
                amount=data["amount"],
                reason=data["reason"],
                by=request.user,
                idempotency_key=data["idempotency_key"],
            )
            method = refund.payment.get_method_display().lower()
            messages.success(request, f"{money_format(refund.amount)} was refunded to the {method} payment.")
            return redirect(NAMES[area]["detail"], pk=sale.pk)
    return _render_sale(request, sale, area, status=400, refund_form=form)


@require_POST
@dashboard_area(dashboards.PROVIDER)
def sale_refund(request, pk: int):
    return _refund(request, _own_sale(request, pk), dashboards.PROVIDER)


# --- Starting a cart, and the list --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@dashboard_area(dashboards.PROVIDER)
def retail_new(request):
    """Starts a retail cart at a location, for one of the provider's patients (?patient=<id>, from the
    profile) or a walk-in buyer."""
    patients = provider_patients(request.membership)
    patient = None
    patient_id = request.GET.get("patient", "")
    if patient_id:
        if not re.fullmatch(r"[0-9]{1,12}", patient_id):
            raise Http404
        patient = get_object_or_404(patients, pk=patient_id)
    locations = Location.objects.filter(is_active=True).order_by("name", "id")
    location_list = list(locations)
    context = {
        "patient": patient,
        "has_locations": bool(location_list),
        "has_products": _active_products().exists(),
        # Only an admin adds locations (Scheduling) and retail products (Services / Products).
        "can_add_locations": request.membership.is_admin,
        "can_add_products": request.membership.is_admin,
    }
    if patient is not None:
        patient_access_record(patient=patient, request=request, viewed="Retail checkout: new cart")
    if not (context["has_locations"] and context["has_products"]):
        return render(request, "providers/sales/retail_new.html", context)
    initial = {"patient": patient, "location": location_list[0] if len(location_list) == 1 else None}
    form = RetailStartForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        locations=locations,
        patients=patients,
    )
    if form.is_valid():
        data = form.cleaned_data
        with refusals(form=form):
            sale = checkout.retail_sale_open(
                provider=request.membership,
                location=data["location"],
                by=request.user,
                patient=data["patient"],
                receipt_email=data["customer_email"],
            )
            return redirect("providers:sale_detail", pk=sale.pk)
    context["form"] = form
    return render(request, "providers/sales/retail_new.html", context, status=400 if form.errors else 200)


@dashboard_area(dashboards.PROVIDER)
def sales(request):
    """The provider's own sales, open carts first, then the newest."""
    refunded = Coalesce(Sum("refunds__amount"), Value(ZERO), output_field=MONEY_OUT)
    queryset = (
        Sale.objects.filter(provider=request.membership)
        .select_related("location", "patient")
        .annotate(
            refunded=refunded,
            open_first=Case(When(status=SaleStatus.OPEN, then=0), default=1, output_field=IntegerField()),
        )
        .order_by("open_first", "-created_at", "-id")
    )
    page = Paginator(queryset, SALES_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    shown = [sale.patient for sale in page.object_list if sale.patient_id]
    patients_access_record(patients=shown, request=request, viewed="Provider dashboard: sales")
    return render(request, "providers/sales/sales.html", {"page": page})


# --- The admin's sale page ----------------------------------------------------------------------------------


@dashboard_area(dashboards.ADMIN)
def admin_sale_detail(request, pk: int):
    """Any sale of the medspa: its receipt and refunds."""
    return _render_sale(request, get_object_or_404(_sales(), pk=pk), dashboards.ADMIN)


@require_POST
@dashboard_area(dashboards.ADMIN)
def admin_sale_refund(request, pk: int):
    return _refund(request, get_object_or_404(_sales(), pk=pk), dashboards.ADMIN)
