"""The Payments card of Account settings (medspa.views.panels.ACCOUNT_SETTINGS): the medspa's connected
Stripe account and its own card for Portrait's bills, as last known here. Reading it asks Stripe nothing."""

from medspa.models.payments import SavedCard, StripeAccount
from medspa.payments import cards
from medspa.payments.client import configured


def stripe_account_of(medspa) -> StripeAccount | None:
    return StripeAccount.objects.filter(medspa=medspa).select_related("connected_by").first()


def bills_card_of(medspa) -> SavedCard | None:
    """The card that pays Portrait's monthly bills (the one billing charges: cards.medspa_card)."""
    return cards.medspa_card(medspa)


def payments_panel_context(request) -> dict:
    medspa = request.medspa
    if not configured():
        return {"stripe_configured": False}
    return {
        "stripe_configured": True,
        "stripe_account": stripe_account_of(medspa),
        "account_types": StripeAccount.Type.choices,
        "bills_card": bills_card_of(medspa),
    }
