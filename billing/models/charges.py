"""Charging Portrait's bills to the medspa's card on file with Portrait (on Portrait's own Stripe account).

A bill is written once and never changed, so whether it is paid is read from its charge attempts: each
attempt is a row here, with the card payment (medspa.models.payments.CardPayment) it made. One attempt per
bill and number; at most one succeeded attempt per bill (the database refuses a second)."""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_scopes import ScopedManager

from billing.models.bills import Bill
from medspa.models import Medspa
from medspa.models.payments import CardPayment, SavedCard


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class BillCharge(models.Model):
    """One attempt to charge a bill to the medspa's card: made when the bill is made, on a scheduled retry
    after a decline (billing.selectors.payments.RETRY_DAYS), or by the medspa's admin (Pay now). It is
    `succeeded` only once Stripe said so; the receipt to the medspa's admins is owed from then until sent."""

    class Trigger(models.TextChoices):
        FIRST = "first", "When the bill was made"
        RETRY = "retry", "Scheduled retry"
        PAY_NOW = "pay_now", "Pay now"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for Stripe"
        SUCCEEDED = "succeeded", "Paid"
        FAILED = "failed", "Declined"

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="charges")
    attempt = models.PositiveSmallIntegerField(help_text="1 for the first attempt, then 2, 3, …")
    trigger = models.CharField(max_length=8, choices=Trigger)
    card = models.ForeignKey(SavedCard, on_delete=models.PROTECT, related_name="+")
    card_payment = models.OneToOneField(
        CardPayment, on_delete=models.PROTECT, null=True, blank=True, related_name="bill_charge"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=9, choices=Status, default=Status.PENDING)
    error = models.CharField(
        max_length=300, blank=True, help_text="Why the card was declined, in Stripe's words."
    )
    attempted_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True, help_text="When Stripe said how it ended.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who pressed Pay now; empty for Portrait's own attempts.",
    )
    # The receipt to the medspa's admins (medspa.once), owed once the attempt succeeded.
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    receipt_attempts = models.PositiveSmallIntegerField(default=0)
    receipt_next_attempt_at = models.DateTimeField(null=True, blank=True)
    receipt_error = models.CharField(max_length=300, blank=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["bill", "attempt"]
        constraints = [
            models.UniqueConstraint(fields=["bill", "attempt"], name="bill_charge_one_per_attempt"),
            models.UniqueConstraint(
                fields=["bill"], condition=Q(status="succeeded"), name="bill_charge_paid_once"
            ),
            models.CheckConstraint(condition=Q(attempt__gte=1), name="bill_charge_attempt_from_one"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bill_charge_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="succeeded") | Q(card_payment__isnull=False, settled_at__isnull=False),
                name="bill_charge_succeeded_has_payment",
            ),
        ]
        indexes = [
            # The receipts sweep (medspa.once): only the attempts owing a receipt are indexed.
            models.Index(
                fields=["receipt_next_attempt_at"],
                condition=Q(receipt_next_attempt_at__isnull=False),
                name="bill_charge_receipt_owed",
            ),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.attempt} of bill {self.bill_id}: {self.get_status_display()}"

    @property
    def idempotency_key(self) -> str:
        """The key of the attempt's charge at Stripe: asked again, Stripe answers the same, never charges
        twice."""
        return f"bill-{self.bill_id}-attempt-{self.attempt}"
