"""Account settings → Billing in the Medspa Admin dashboard: the medspa's monthly bills from Portrait, an
estimate of the month under way, how the fees work, each bill's lines and its PDF.

Bills are made by Portrait's monthly job (billing.tasks) on the 1st for the month before and charged to the
medspa's card on file with Portrait; these pages read them and their payment, and Pay now charges an unpaid
bill at once (after the admin added or replaced the card)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from billing.models import Bill, BillCharge
from billing.selectors import payments as bill_payments
from billing.services import bills as billing_bills
from billing.services import fees
from billing.services import payments as bill_charges
from billing.views.pdf import bill_response
from gfe.services import routing as gfe_routing
from medspa import clock, dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.money import ZERO, money_format
from providers.selectors import earnings

PAGE_SIZE = 12


def card_url() -> str:
    """Where the medspa's admin adds or replaces the card that pays Portrait's bills."""
    return reverse("account_settings") + "#payments"


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
    bills = Bill.objects.filter(medspa=medspa).select_related("medspa").order_by("-month", "-pk")
    page = Paginator(bills, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    states = bill_payments.bill_payment_states(rows)
    context = {
        "page": page,
        "bills": [(bill, states[bill.pk]) for bill in rows],
        "card_url": card_url(),
        "retry_words": bill_payments.RETRY_WORDS,
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
        "payment": bill_payments.bill_payment_states([bill])[bill.pk],
        "card_url": card_url(),
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
    state = bill_payments.bill_payment_states([bill])[bill.pk]
    return bill_response(bill, list(bill.lines.order_by("position")), state)


@transaction.non_atomic_requests  # the charge commits its own rows before Stripe is called (card_charge)
@require_POST
@dashboard_area(dashboards.ADMIN)
def bill_pay_now(request, pk: int):
    """Charges an unpaid bill at once to the card on file (asked to confirm first, on the bill's page)."""
    bill = _bill_of(request, pk)
    with refusals(request):
        attempt = bill_charges.bill_pay_now(bill=bill, by=request.user)
        if attempt.status == BillCharge.Status.SUCCEEDED:
            messages.success(
                request,
                f"Paid: {money_format(attempt.amount)} was charged to {attempt.card}. A receipt is on its "
                "way to your admins.",
            )
        elif attempt.status == BillCharge.Status.FAILED:
            messages.error(
                request,
                f"{attempt.card} was declined: {attempt.error} Nothing was charged. Replace the card in "
                "Account settings → Payments, then press Pay now again.",
            )
        else:
            messages.info(request, "Stripe has not answered yet: the bill's page will say when it is paid.")
    return redirect("billing:detail", pk=bill.pk)
