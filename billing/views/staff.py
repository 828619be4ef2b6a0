"""Portrait's bills of every medspa (Portrait staff only): the list with its month, medspa and payment
filters (past due), each bill with its charge attempts and its PDF, and a button that runs the monthly job
now (it makes only the bills that are missing).

Staff belong to no medspa, so bills are read with scopes disabled."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_scopes import scopes_disabled

from billing import tasks
from billing.forms.filters import BillFilterForm
from billing.models import Bill
from billing.selectors import payments as bill_payments
from billing.services import bills as billing_bills
from billing.views.pdf import bill_response
from medspa.models import Medspa
from medspa.money import ZERO
from medspa.permissions import staff_required

PAGE_SIZE = 25


@require_GET
@staff_required
def bill_list(request):
    with scopes_disabled():
        medspas = list(Medspa.objects.order_by("name").values_list("pk", "name"))
        form = BillFilterForm(request.GET or None, medspas=medspas)
        bills = Bill.objects.select_related("medspa").order_by("-month", "medspa__name", "pk")
        status, filtered = 200, False
        if form.is_bound and not form.is_valid():
            bills, status = bills.none(), 400
        elif form.is_bound:
            month, medspa = form.cleaned_data["month"], form.cleaned_data["medspa"]
            payment = form.cleaned_data["payment"]
            if month is not None:
                bills = bills.filter(month=month)
            if medspa is not None:
                bills = bills.filter(medspa_id=medspa)
            if payment == "past_due":
                bills = bill_payments.past_due(bills)
            elif payment == "unpaid":
                bills = bill_payments.unpaid(bills)
            filtered = month is not None or medspa is not None or bool(payment)
        page = Paginator(bills, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = list(page.object_list)
        states = bill_payments.bill_payment_states(rows)
        grand_total = bills.aggregate(total=Sum("total"))["total"] or ZERO
    context = {
        "form": form,
        "page": page,
        "bills": [(bill, states[bill.pk]) for bill in rows],
        "page_total": sum((bill.total for bill in rows), ZERO),
        "grand_total": grand_total,
        "filtered": filtered,
        "retry_words": bill_payments.RETRY_WORDS,
    }
    return render(request, "billing/staff/list.html", context, status=status)


@require_POST
@staff_required
def bills_run(request):
    """Queues the monthly job now: each medspa gets the bills of its months that are over and unbilled
    (bills already made are found, not made again)."""
    with scopes_disabled():
        count = Medspa.objects.count()
    tasks.bills_monthly.delay()
    messages.success(
        request,
        f"Billing was queued for {count} medspa{'s' if count != 1 else ''}: each gets the bills of the "
        "months that are over and not billed yet. Bills already made are kept as they are.",
    )
    return redirect("billing_staff:list")


def _bill(pk: int) -> tuple[Bill, list, bill_payments.PaymentState]:
    with scopes_disabled():
        bill = get_object_or_404(Bill.objects.select_related("medspa"), pk=pk)
        return bill, list(bill.lines.order_by("position")), bill_payments.bill_payment_states([bill])[bill.pk]


@require_GET
@staff_required
def bill_detail(request, pk: int):
    bill, lines, state = _bill(pk)
    context = {
        "bill": bill,
        "lines": lines,
        "payment": state,
        "pdf_url": reverse("billing_staff:pdf", args=[bill.pk]),
        "back_url": reverse("billing_staff:list"),
        "back_label": "All bills",
        "staff_view": True,
        "nothing_to_bill": billing_bills.NOTHING_TO_BILL,
    }
    return render(request, "billing/detail.html", context)


@require_GET
@staff_required
def bill_pdf(request, pk: int):
    bill, lines, state = _bill(pk)
    return bill_response(bill, lines, state)
