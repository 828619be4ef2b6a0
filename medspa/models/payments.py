"""Money that moves through Stripe (medspa.payments): each medspa's connected account, the customers and
cards kept on file there, every charge (a PaymentIntent) and refund the product asks for, the events Stripe
sends back, and disputes.

A charge or a refund is written down before Stripe is called, with the idempotency key the call carries,
and is `succeeded` only once Stripe has said so (in its answer or in a signed event): nothing is recorded as
paid that Stripe did not accept, and a retried click reuses the key, so Stripe charges once."""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from medspa.models.patients import Patient
from medspa.models.tenancy import Medspa

MONEY = {"max_digits": 10, "decimal_places": 2}
CARD_BRANDS = {"amex": "American Express", "mastercard": "Mastercard", "visa": "Visa"}


def card_words(brand: str, last4: str) -> str:
    """A card as people name it: "Visa ending 4242", "American Express ending 0005"."""
    return f"{CARD_BRANDS.get(brand, brand.title())} ending {last4}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class StripeAccount(models.Model):
    """A medspa's own Stripe account (Connect, Standard or Express), Portrait being the platform: its
    patients' payments are the medspa's, paid out to the medspa's bank. Until `charges_enabled`, checkout
    records cards taken on the medspa's own terminal, as before."""

    class Type(models.TextChoices):
        STANDARD = "standard", "Standard (the medspa's own Stripe dashboard)"
        EXPRESS = "express", "Express (a light Stripe dashboard, onboarding by Stripe)"

    medspa = models.OneToOneField(Medspa, on_delete=models.PROTECT, related_name="stripe_account")
    account_id = models.CharField("Stripe account", max_length=64, unique=True)
    account_type = models.CharField(max_length=8, choices=Type, default=Type.STANDARD)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True, help_text="When Stripe last told its state.")

    objects = ScopedManager(medspa="medspa")

    def __str__(self) -> str:
        return f"{self.account_id} ({self.medspa})"

    @property
    def ready(self) -> bool:
        return self.charges_enabled


class StripeCustomer(models.Model):
    """A Stripe customer: a patient on the medspa's connected account, or the medspa itself on Portrait's
    platform account (patient empty, account empty), whose card pays Portrait's monthly bills."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="stripe_customers"
    )
    account_id = models.CharField(max_length=64, blank=True, help_text="Empty: Portrait's platform account.")
    customer_id = models.CharField("Stripe customer", max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "account_id"],
                condition=Q(patient__isnull=False),
                name="stripe_customer_per_patient",
            ),
            models.UniqueConstraint(
                fields=["medspa"],
                condition=Q(patient__isnull=True),
                name="stripe_customer_per_medspa_platform",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} ({self.patient or self.medspa})"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class SavedCard(models.Model):
    """A card on file: a Stripe PaymentMethod attached to a customer. Only what a person reads is kept here
    (brand, last four, expiry), never the number. Removing it detaches it at Stripe and keeps the row."""

    class Via(models.TextChoices):
        ONLINE = "online", "Saved by the patient while booking"
        MANAGE = "manage", "Saved by the patient from their booking"
        FRONT_DESK = "front_desk", "Added by the front desk"
        ACCOUNT = "account", "Added in Account settings"

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(StripeCustomer, on_delete=models.PROTECT, related_name="cards")
    payment_method_id = models.CharField("Stripe payment method", max_length=64, unique=True)
    brand = models.CharField(max_length=20)
    last4 = models.CharField("last four", max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    via = models.CharField(max_length=10, choices=Via)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(removed_at__isnull=True),
                name="saved_card_one_live_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return card_words(self.brand, self.last4)

    @property
    def expiry(self) -> str:
        return f"{self.exp_month:02d}/{self.exp_year % 100:02d}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class CardPayment(models.Model):
    """One charge through Stripe (a PaymentIntent), on the medspa's connected account or, for Portrait's
    bills, on the platform account. Written before the call with its idempotency key; `succeeded` only when
    Stripe says so. The fee, net and payout are Stripe's balance transaction's, filled in when known."""

    class Purpose(models.TextChoices):
        DEPOSIT = "deposit", "Booking deposit"
        CHECKOUT = "checkout", "Checkout"
        NO_SHOW_FEE = "no_show_fee", "No-show fee"
        LATE_CANCEL_FEE = "late_cancel_fee", "Late-cancellation fee"
        PORTRAIT_BILL = "portrait_bill", "Portrait's monthly bill"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for Stripe"
        SUCCEEDED = "succeeded", "Paid"
        FAILED = "failed", "Declined"

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=16, choices=Purpose)
    account_id = models.CharField(max_length=64, blank=True, help_text="Empty: Portrait's platform account.")
    customer = models.ForeignKey(
        StripeCustomer, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    card = models.ForeignKey(
        SavedCard, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    payment_method_id = models.CharField(max_length=64, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="usd")
    description = models.CharField(max_length=300)
    idempotency_key = models.CharField(max_length=100, unique=True)
    # What the asking app added to the PaymentIntent's metadata: kept so that a payment sent again (the same
    # key) sends the very same parameters, as Stripe requires of a replay.
    metadata = models.JSONField(default=dict, blank=True)
    payment_intent_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    charge_id = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=9, choices=Status, default=Status.PENDING)
    failure_code = models.CharField(max_length=60, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    fee = models.DecimalField(**MONEY, null=True, blank=True, help_text="Stripe's processing fee.")
    net = models.DecimalField(**MONEY, null=True, blank=True)
    balance_transaction_id = models.CharField(max_length=64, blank=True)
    payout_id = models.CharField(max_length=64, blank=True, db_index=True)
    paid_out_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["medspa", "status", "succeeded_at"], name="cardpayment_medspa_paid")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cardpayment_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="succeeded")
                | (Q(succeeded_at__isnull=False) & Q(payment_intent_id__isnull=False)),
                name="cardpayment_succeeded_has_intent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.amount} ({self.get_status_display()})"

    @property
    def card_words(self) -> str:
        """The card it was charged to, as people name it (kept with the payment: "Visa ending 4242")."""
        return card_words(self.card_brand, self.card_last4)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class CardRefund(models.Model):
    """Money given back on a card payment through Stripe. While `pending` it counts against what is left to
    refund, so that two refunds at once can never give back more than was paid."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for Stripe"
        SUCCEEDED = "succeeded", "Refunded"
        FAILED = "failed", "Refused by Stripe"

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(CardPayment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=300)
    idempotency_key = models.CharField(max_length=100, unique=True)
    refund_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    status = models.CharField(max_length=9, choices=Status, default=Status.PENDING)
    failure_message = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="cardrefund_amount_positive")]

    def __str__(self) -> str:
        return f"Refund {self.amount} of {self.payment}"


class StripeEvent(models.Model):
    """An event Stripe sent (signature verified), kept once per event id: a redelivery finds it and is
    not processed again."""

    event_id = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=80)
    account_id = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(help_text="When Stripe made the event.")
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    deliveries = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Dispute(models.Model):
    """A bank disputing a card payment (a chargeback): on the admin's To-Do until Stripe closes it."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(
        CardPayment, on_delete=models.PROTECT, null=True, blank=True, related_name="disputes"
    )
    dispute_id = models.CharField(max_length=64, unique=True)
    charge_id = models.CharField(max_length=64)
    amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=60)
    status = models.CharField(max_length=30)
    evidence_due_by = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Dispute {self.dispute_id} ({self.status})"

    @property
    def open(self) -> bool:
        return self.status in (
            "warning_needs_response",
            "needs_response",
            "under_review",
            "warning_under_review",
        )
