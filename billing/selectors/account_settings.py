"""Billing's card on the core's Account settings page (medspa.panels.ACCOUNT_SETTINGS)."""

from billing.models import Bill
from billing.selectors.payments import bill_payment_states, past_due


def account_settings_context(request) -> dict:
    """The latest bill and its payment, and how many bills are past due (Pay now is on each bill's page)."""
    bills = Bill.objects.filter(medspa=request.medspa).select_related("medspa")
    latest = bills.order_by("-month").first()
    return {
        "latest_bill": latest,
        "latest_payment": bill_payment_states([latest])[latest.pk] if latest else None,
        "bills_past_due": past_due(bills).count() if latest else 0,
    }
