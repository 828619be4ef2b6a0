"""The Medspa Admin's Stripe reconciliation, under Earnings: a month of Stripe's balance transactions matched
with the card payments and refunds recorded here (medspa.payments.reconcile), and each card payment of the
month with Stripe's fee, the net and its payout."""

from django.core.paginator import Paginator
from django.shortcuts import render

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.db_router import replica_view
from medspa.models.payments import StripeAccount
from medspa.payments.client import PaymentError
from medspa.payments.reconcile import card_payments_paid, month_bounds, stripe_month_reconcile
from providers.forms.earnings import StripeMonthForm

PAYMENTS_PER_PAGE = 25


@dashboard_area(dashboards.ADMIN)
@replica_view
def admin_stripe_reconciliation(request):
    """The chosen month (the current one by default) against Stripe's records; an empty state until the
    medspa connects its Stripe account."""
    form = StripeMonthForm(request.GET, medspa=request.medspa)
    account = StripeAccount.objects.filter(medspa=request.medspa).first()
    context = {"form": form, "account": account}
    if account is None or not form.is_valid():
        return render(request, "providers/earnings/stripe.html", context)
    month = form.cleaned_data["month"]
    since, until = month_bounds(request.medspa, month)
    try:
        context["reconciliation"] = stripe_month_reconcile(medspa=request.medspa, month=month)
    except PaymentError as error:
        context["stripe_error"] = error.message
    payments = card_payments_paid(medspa=request.medspa, since=since, until=until)
    page = Paginator(payments, PAYMENTS_PER_PAGE).get_page(request.GET.get("page"))
    context.update(month=month, since=since, page=page, payments=list(page.object_list))
    return render(request, "providers/earnings/stripe.html", context)
