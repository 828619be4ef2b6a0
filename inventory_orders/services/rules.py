"""Portrait's ordering rules: who may order, how much, and the delivery dates an order may ask for."""

from datetime import date, timedelta

from django.utils import timezone

from inventory_orders.models import (
    OrderingRules,
)
from inventory_orders.selectors.ordering import ordering_open
from inventory_orders.services.errors import OrderingRefused
from medspa.models import Medspa

MAX_QUANTITY = 999


# --- Catalog ------------------------------------------------------------------------------------------------


def ordering_rules() -> OrderingRules:
    return OrderingRules.objects.get_or_create(pk=1)[0]


def earliest_delivery(today: date | None = None, rules: OrderingRules | None = None) -> date:
    """The first day an order placed today can arrive: `lead_days` business days later (weekend days are
    skipped unless the rules allow weekend delivery)."""
    rules = rules or ordering_rules()
    day, left = today or timezone.localdate(), rules.lead_days
    while left > 0:
        day += timedelta(days=1)
        if rules.weekend_delivery or day.weekday() < 5:
            left -= 1
    while not rules.weekend_delivery and day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def delivery_date_refusal(day: date, today: date | None = None) -> str:
    rules = ordering_rules()
    today = today or timezone.localdate()
    if day < today:
        return "The delivery date is in the past."
    earliest = earliest_delivery(today, rules)
    if day < earliest:
        return f"The earliest delivery is {earliest:%A, %B %-d} ({rules.lead_days} business days' lead time)."
    if not rules.weekend_delivery and day.weekday() >= 5:
        return "Suppliers do not deliver on weekends: pick a weekday."
    if day > today + timedelta(days=180):
        return "Pick a delivery date within the next six months."
    return ""


def _orderable(medspa: Medspa) -> None:
    if not ordering_open(medspa):
        raise OrderingRefused("Inventory ordering opens on Launch and Flex.")
