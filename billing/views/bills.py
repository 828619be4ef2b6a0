"""Account settings → Billing in the Medspa Admin dashboard: the medspa's monthly bills from Portrait, an
estimate of the month under way, how the fees work, each bill's lines and its PDF.

Bills are made by Portrait's monthly job (billing.tasks) on the 1st for the month before; these pages only
read them."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from billing.models import Bill
from billing.services import bills as billing_bills
from billing.services import fees
from billing.views.pdf import bill_response
from gfe.services import routing as gfe_routing
from medspa import clock, dashboards
from medspa.dashboards import dashboard_area
from medspa.money import ZERO
from providers.selectors import earnings

PAGE_SIZE = 12


def fees_context() -> dict:
    """What the fees are today, for the explanation on the billing page."""
    return {
        "coordinator_fee": fees.coordinator_fee(),
        "urgent_gfe_fee": gfe_routing.urgent_fee(),
        "proration_rule": billing_bills.PRORATION_RULE,
        "nothing_to_bill": billing_bills.NOTHING_TO_BILL,
    }


def estimate_of(medspa) -> dict:
    """This month so far: what a bill of the month would hold if it were made now (not a bill)."""
    month = earnings.month_start(clock.today(medspa))
    lines = billing_bills.bill_lines(medspa, month)
    return {"month": month, "lines": lines, "total": sum((line.amount for line in lines), ZERO)}


@require_GET
@dashboard_area(dashboards.ADMIN)
def bill_list(request):
    medspa = request.medspa
    bills = Bill.objects.filter(medspa=medspa).order_by("-month", "-pk")
    page = Paginator(bills, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "bills": list(page.object_list),
        "estimate": estimate_of(medspa),
        **fees_context(),
    }
    return render(request, "billing/list.html", context)


def _bill_of(request, pk: int) -> Bill:
    return get_object_or_404(Bill.objects.select_related("medspa"), pk=pk, medspa=request.medspa)


@require_GET
@dashboard_area(dashboards.ADMIN)
def bill_detail(request, pk: int):
    bill = _bill_of(request, pk)
    context = {
        "bill": bill,
        "lines": list(bill.lines.order_by("position")),
        "pdf_url": reverse("billing:pdf", args=[bill.pk]),
        "back_url": reverse("billing:list"),
        "back_label": "Billing",
        "nothing_to_bill": billing_bills.NOTHING_TO_BILL,
    }
    return render(request, "billing/detail.html", context)


@require_GET
@dashboard_area(dashboards.ADMIN)
def bill_pdf(request, pk: int):
    bill = _bill_of(request, pk)
    return bill_response(bill, list(bill.lines.order_by("position")))
