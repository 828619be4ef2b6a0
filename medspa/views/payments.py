"""Account settings → Payments (/dashboard/settings/payments/…): connecting the medspa's own Stripe account
(Connect onboarding on Stripe's hosted pages, and the pages Stripe sends the admin back to), and the medspa's
card for Portrait's monthly bills. Medspa admins only (Portrait staff through a masquerade)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.forms.payments import CardSaveForm, ConnectForm
from medspa.models.payments import SavedCard
from medspa.payments import cards, connect
from medspa.payments.client import StripeNotConfigured, configured
from medspa.payments.csp import uses_stripe
from medspa.selectors import payments as payment_selectors


def _back():
    return redirect(reverse("account_settings") + "#payments")


def _stripe_off(request) -> bool:
    """Stripe is not set up for Portrait: said on the next page (the panel offers nothing then)."""
    if configured():
        return False
    messages.error(request, StripeNotConfigured().message)
    return True


def _onboarding_link(request, *, account_type: str) -> str:
    """Stripe's onboarding link for the medspa, with this site's return and refresh pages."""
    return connect.account_connect(
        medspa=request.medspa,
        by=request.user,
        account_type=account_type,
        return_url=request.build_absolute_uri(reverse("settings_payments_return")),
        refresh_url=request.build_absolute_uri(reverse("settings_payments_refresh")),
    )


@require_POST
@dashboard_area(dashboards.ADMIN)
def payments_connect(request):
    """Connect (or continue onboarding): the medspa's Stripe account is made once, then Stripe's hosted
    onboarding opens."""
    form = ConnectForm(request.POST)
    account = payment_selectors.stripe_account_of(request.medspa)
    if account is None and not form.is_valid():
        messages.error(request, "Choose Standard or Express.")
        return _back()
    account_type = account.account_type if account is not None else form.cleaned_data["account_type"]
    with refusals(request):
        return redirect(_onboarding_link(request, account_type=account_type))
    return _back()


@uses_stripe
@dashboard_area(dashboards.ADMIN)
def payments_return(request):
    """Where Stripe's onboarding sends the admin back: what Stripe now says of the account."""
    if _stripe_off(request):
        return _back()
    with refusals(request):
        account = connect.account_refresh(medspa=request.medspa)
        if account is None:
            messages.error(request, "No Stripe account is connected yet: choose Standard or Express.")
        elif account.charges_enabled:
            messages.success(request, "Your Stripe account is connected: card payments go to it.")
        else:
            messages.warning(
                request,
                "Stripe still needs some details before your account can take payments: "
                "continue onboarding when you have them.",
            )
    return _back()


@uses_stripe
@dashboard_area(dashboards.ADMIN)
def payments_refresh(request):
    """Where Stripe sends the admin when an onboarding link has expired or was used: a fresh link."""
    if _stripe_off(request):
        return _back()
    account = payment_selectors.stripe_account_of(request.medspa)
    if account is None:
        messages.error(request, "No Stripe account is connected yet: choose Standard or Express.")
        return _back()
    with refusals(request):
        return redirect(_onboarding_link(request, account_type=account.account_type))
    return _back()


@uses_stripe
@dashboard_area(dashboards.ADMIN)
def payments_card(request):
    """The medspa's card for Portrait's bills, typed into Stripe's card field and saved with a SetupIntent
    of the medspa's customer on Portrait's own account (replacing the card on file, if any)."""
    medspa = request.medspa
    with refusals(request) as refused:
        customer = cards.customer_for(medspa=medspa)
        if request.method == "POST":
            form = CardSaveForm(request.POST)
            if form.is_valid():
                with refusals(request) as not_saved:
                    card = cards.card_save(
                        customer=customer,
                        setup_intent_id=form.cleaned_data["setup_intent"],
                        via=SavedCard.Via.ACCOUNT,
                        by=request.user,
                    )
                    messages.success(request, f"{card} is the card for Portrait's bills.")
                    return _back()
                if not_saved:
                    return redirect("settings_payments_card")
            setup, status = cards.card_setup_start(customer=customer), 400
        else:
            form, setup, status = CardSaveForm(), cards.card_setup_start(customer=customer), 200
    if refused:
        return _back()
    context = {
        "form": form,
        "setup": setup,
        "current": payment_selectors.bills_card_of(medspa),
    }
    return render(request, "medspa/payments_card.html", context, status=status)


@require_POST
@dashboard_area(dashboards.ADMIN)
def payments_card_remove(request, pk: int):
    """Takes the medspa's card for Portrait's bills off file (detached at Stripe)."""
    card = get_object_or_404(SavedCard, pk=pk, customer__patient__isnull=True, removed_at__isnull=True)
    with refusals(request):
        cards.card_remove(card=card, by=request.user)
        messages.success(
            request,
            f"{card} was removed. Portrait charges its monthly bills to a card on file: "
            "add one before the next bill.",
        )
    return _back()
