"""Money: a sale (a visit's charges or a retail checkout), its lines, the payments that settled it and the
refunds given later. Amounts are Decimal dollars with two places, never floats.

A sale is settled at once: the payments of every method (a split payment) are recorded together and must
add up to its total, so a sale is either open with no payment or paid in full. Payments and refunds are
never changed or deleted (the database refuses); a mistake is put right with a refund. What Earnings shows
is summed from these rows, and reconciles with them to the cent."""

from decimal import Decimal

import pghistory
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django_scopes import ScopedManager

from medspa.models import Medspa, Membership, Patient
from medspa.models.payments import CardPayment, CardRefund
from medspa.money import money_format
from providers.models.visits import APPEND_ONLY, MONEY, Visit
from scheduling.models import Appointment, Location
from services_catalog.models import RetailProduct, Service

PERCENT = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(0), MaxValueValidator(100)],
}


class SaleKind(models.TextChoices):
    VISIT = "visit", "Service visit"
    RETAIL = "retail", "Retail"
    FEE = "fee", "Appointment fee"


class FeeKind(models.TextChoices):
    """The fees of a booking policy charged to the card on file, at most once per appointment and kind."""

    NO_SHOW = "no_show", "No-show fee"
    LATE_CANCEL = "late_cancel", "Late-cancellation fee"


class SaleStatus(models.TextChoices):
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    VOIDED = "voided", "Voided"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class Sale(models.Model):
    """What a patient pays for a visit, or for retail products bought without one.

    total = subtotal - discount + tax + tip. Revenue (what a Flex split applies to) is subtotal - discount:
    tax belongs to the state and the tip to the provider."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=6, choices=SaleKind)
    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="sale")
    patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sales",
        help_text="Empty for a retail customer who is not a patient.",
    )
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fee_sales",
        help_text="The appointment a no-show or late-cancellation fee is for.",
    )
    fee_kind = models.CharField(max_length=11, choices=FeeKind, blank=True)
    provider = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="sales")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=6, choices=SaleStatus, default=SaleStatus.OPEN)
    subtotal = models.DecimalField(**MONEY, default=Decimal("0.00"))
    discount = models.DecimalField(**MONEY, default=Decimal("0.00"))
    discount_reason = models.CharField(max_length=200, blank=True)
    tax_percent = models.DecimalField(
        "sales tax (%)",
        max_digits=6,
        decimal_places=3,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    tax = models.DecimalField(**MONEY, default=Decimal("0.00"))
    tip = models.DecimalField(**MONEY, default=Decimal("0.00"))
    total = models.DecimalField(**MONEY, default=Decimal("0.00"))
    portrait_percent = models.DecimalField(
        "Portrait's share (%)",
        **PERCENT,
        default=Decimal("0.00"),
        help_text="The medspa's Flex split when the sale was paid (0 on Launch and Legacy).",
    )
    portrait_share = models.DecimalField(**MONEY, default=Decimal("0.00"))
    receipt_email = models.EmailField(blank=True)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    # While the receipt is owed: when the sweep sends it (again), after a lease or a failed send.
    receipt_attempts = models.PositiveSmallIntegerField(default=0)
    receipt_next_attempt_at = models.DateTimeField(null=True, blank=True)
    receipt_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["medspa", "status", "paid_at"], name="sale_medspa_paid"),
            models.Index(fields=["provider", "status", "paid_at"], name="sale_provider_paid"),
            # The receipts sweep (medspa.once): only the sales owing a receipt are indexed.
            models.Index(
                fields=["receipt_next_attempt_at"],
                condition=Q(receipt_next_attempt_at__isnull=False),
                name="sale_receipt_owed",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total=F("subtotal") - F("discount") + F("tax") + F("tip")),
                name="sale_total_adds_up",
            ),
            models.CheckConstraint(condition=Q(discount__lte=F("subtotal")), name="sale_discount_within"),
            models.CheckConstraint(
                condition=Q(portrait_share__lte=F("subtotal") - F("discount")), name="sale_share_within"
            ),
            models.CheckConstraint(
                condition=~Q(status=SaleStatus.PAID) | Q(paid_at__isnull=False), name="sale_paid_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(kind=SaleKind.VISIT) | Q(visit__isnull=False), name="sale_visit_has_visit"
            ),
            models.CheckConstraint(
                condition=(Q(kind=SaleKind.FEE) & Q(appointment__isnull=False) & ~Q(fee_kind=""))
                | (~Q(kind=SaleKind.FEE) & Q(appointment__isnull=True) & Q(fee_kind="")),
                name="sale_fee_has_appointment",
            ),
            # One fee per appointment and kind, however many clicks or tabs ask for it.
            models.UniqueConstraint(
                fields=["appointment", "fee_kind"],
                condition=Q(kind=SaleKind.FEE) & ~Q(status=SaleStatus.VOIDED),
                name="sale_fee_once_per_appointment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.get_kind_display()})"

    @property
    def number(self) -> str:
        return f"S-{self.pk:06d}" if self.pk else "S-new"

    @property
    def revenue(self) -> Decimal:
        return self.subtotal - self.discount


class SaleLine(models.Model):
    """One line of a sale: a service, a product used in a visit, or a retail product, at its price then."""

    class Kind(models.TextChoices):
        SERVICE = "service", "Service"
        PRODUCT = "product", "Product used"
        RETAIL = "retail", "Retail"
        FEE = "fee", "Appointment fee"

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=7, choices=Kind)
    description = models.CharField(max_length=250)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    retail_product = models.ForeignKey(
        RetailProduct, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("1"))
    unit_price = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY)
    taxable = models.BooleanField(default=False)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sale_line_quantity_positive"),
            models.UniqueConstraint(
                fields=["sale", "retail_product"],
                condition=Q(retail_product__isnull=False),
                name="sale_line_retail_product_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"


class PaymentMethod(models.TextChoices):
    CARD = "card", "Card"
    CASH = "cash", "Cash"
    FINANCING = "financing", "Financing"
    GIFT_CREDIT = "gift_credit", "Gift card / credit"


@pghistory.track(pghistory.InsertEvent())
class Payment(models.Model):
    """Money received for a sale by one method. Never changed: a refund puts a mistake right."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=11, choices=PaymentMethod)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    reference = models.CharField(
        max_length=100, blank=True, help_text="Card's last four digits, financing plan, gift card number…"
    )
    card_payment = models.OneToOneField(
        CardPayment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sale_payment",
        help_text="The charge through Stripe (a card on file, or the booking's deposit); empty for a card "
        "taken on the medspa's own terminal.",
    )
    received_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(card_payment__isnull=True) | Q(method=PaymentMethod.CARD),
                name="payment_stripe_is_card",
            ),
        ]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {money_format(self.amount)}"


@pghistory.track(pghistory.InsertEvent())
class Refund(models.Model):
    """Money given back on one payment (to its method), with a reason. The refund's share of the sale's
    tax, tip and Portrait share is fixed when it is made, so that refunds of a whole sale give back
    exactly what it took."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    reason = models.CharField(max_length=300)
    tax_part = models.DecimalField(**MONEY)
    tip_part = models.DecimalField(**MONEY)
    portrait_part = models.DecimalField(**MONEY)
    card_refund = models.OneToOneField(
        CardRefund,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sale_refund",
        help_text="The refund Stripe accepted, for a payment charged through Stripe.",
    )
    refunded_at = models.DateTimeField(auto_now_add=True)
    refunded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=64)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["medspa", "refunded_at"], name="refund_medspa_time")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(tax_part__gte=0)
                & Q(tip_part__gte=0)
                & Q(portrait_part__gte=0)
                & Q(amount__gte=F("tax_part") + F("tip_part")),
                name="refund_parts_within",
            ),
            models.UniqueConstraint(fields=["sale", "idempotency_key"], name="refund_once_per_key"),
        ]
        triggers = [APPEND_ONLY]

    def __str__(self) -> str:
        return f"Refund {money_format(self.amount)} of {self.sale}"

    @property
    def revenue_part(self) -> Decimal:
        return self.amount - self.tax_part - self.tip_part
