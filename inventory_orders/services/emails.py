"""The email of each order event to the medspa's admins, owed until sent (medspa.once)."""

from datetime import datetime

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django_scopes import scopes_disabled

from inventory_orders.models import (
    OrderEvent,
)
from medspa import once

# Where an order event keeps its email to the admins (medspa.once): owed until emailed or given up.
ORDER_EMAILS = once.Outbox.stamped("emailed_at", prefix="email_")


def order_event_email(*, event_id: int) -> str:
    """Emails the medspa's admins one step of an order: marked emailed in the transaction that holds the
    event while the email goes, sent again by the sweep if a worker died or the mail server refused."""
    row = OrderEvent.objects.filter(pk=event_id)
    event = ORDER_EMAILS.owing(row).select_related("order__medspa", "by").first()
    if event is None:
        return ""
    order = event.order
    admins = list(
        order.medspa.memberships.filter(is_admin=True, is_active=True, user__is_active=True).values_list(
            "user__email", flat=True
        )
    )
    if not admins:
        row.update(email_next_attempt_at=None)  # no one to tell: nothing is owed any more
        return ""
    context = {"order": order, "event": event, "lines": list(order.lines.all())}
    message = EmailMessage(
        subject=f"Order {order.number}: {event.get_status_display().lower()}",
        body=render_to_string("inventory_orders/email/order_event.txt", context),
        to=admins,
    )
    return once.deliver_once(row, ORDER_EMAILS, message.send)


def order_emails_sweep(*, now: datetime | None = None) -> list[tuple[int, int]]:
    """The (event id, medspa id) of every order email whose lease ran out or whose retry is due."""
    with scopes_disabled():
        return once.owed_sweep(OrderEvent.objects.all(), ORDER_EMAILS, now=now)
