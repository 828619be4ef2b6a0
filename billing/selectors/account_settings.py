"""Billing's card on the core's Account settings page (medspa.panels.ACCOUNT_SETTINGS)."""

from billing.models import Bill


def account_settings_context(request) -> dict:
    return {"latest_bill": Bill.objects.filter(medspa=request.medspa).order_by("-month").first()}
