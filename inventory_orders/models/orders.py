"""Orders as submitted, their review by Portrait's inventory team, their events and pricing tickets. An order
keeps the exact prices it was placed at; a change by the inventory team is recorded line by line."""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from inventory_orders.models.catalog import PRICE, CatalogProduct
from medspa.models import Medspa
from medspa.models.tenancy import BusinessModel


class OrderStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    CHANGED = "changed", "Approved with changes"
    REJECTED = "rejected", "Rejected"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


class PaymentMethod(models.TextChoices):
    CARD_ON_FILE = "card", "Card on file"
    ACH = "ach", "Bank transfer (ACH)"
    NET_30 = "net30", "Invoice, net 30"


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    model_name="OrderAuditEvent",
    obj_field=pghistory.ObjForeignKey(related_name="audit_events"),
)
class Order(models.Model):
    """An order as submitted, at the prices of the medspa's model then, and where its review took it."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="inventory_orders")
    status = models.CharField(max_length=10, choices=OrderStatus, default=OrderStatus.SUBMITTED)
    business_model = models.CharField(
        max_length=10, choices=BusinessModel, help_text="Priced for this model."
    )
    delivery_date = models.DateField()
    payment_method = models.CharField(max_length=5, choices=PaymentMethod)
    ship_to = models.TextField("shipping address", help_text="The commercial address when it was placed.")
    notes = models.TextField(blank=True)
    total = models.DecimalField(**PRICE)
    idempotency_key = models.CharField(max_length=64)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    review_note = models.TextField(blank=True, help_text="What the inventory team says of its decision.")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    carrier = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=80, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["status", "submitted_at"], name="order_status_submitted")]
        constraints = [
            models.UniqueConstraint(
                fields=["medspa", "idempotency_key"], name="order_submitted_once_per_key"
            ),
            models.CheckConstraint(
                condition=~Q(status=OrderStatus.SHIPPED) | ~Q(tracking_number=""),
                name="order_shipped_has_tracking",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"PO-{self.pk:06d}" if self.pk else "PO-new"


class OrderLine(models.Model):
    """A line as ordered, its product's name and prices copied, and what the review changed in it."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(CatalogProduct, on_delete=models.PROTECT, related_name="+")
    product_name = models.CharField(max_length=250)
    supplier_name = models.CharField(max_length=150)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(**PRICE)
    market_price = models.DecimalField(**PRICE)
    ordered_product = models.ForeignKey(
        CatalogProduct, on_delete=models.PROTECT, related_name="+", help_text="As the medspa ordered it."
    )
    ordered_quantity = models.PositiveIntegerField()
    ordered_unit_price = models.DecimalField(**PRICE)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_name}"

    @property
    def line_total(self):
        return self.unit_price * self.quantity

    @property
    def is_changed(self) -> bool:
        return (self.product_id, self.quantity, self.unit_price) != (
            self.ordered_product_id,
            self.ordered_quantity,
            self.ordered_unit_price,
        )


class OrderEvent(models.Model):
    """The order's timeline: each step, who took it, when, and what they said. Never changed."""

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=10, choices=OrderStatus)
    note = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=300, blank=True)
    # While the email is owed: when the sweep sends it (again), after a lease or a failed send.
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_next_attempt_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["at", "id"]
        # The order emails sweep (medspa.once): only the events owing an email are indexed.
        indexes = [
            models.Index(
                fields=["email_next_attempt_at"],
                condition=Q(email_next_attempt_at__isnull=False),
                name="order_event_email_owed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.status}"


class PricingIssue(models.Model):
    """A ticket about a price: from an order or a product, seen by Portrait staff until resolved."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    medspa = models.ForeignKey(Medspa, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    product = models.ForeignKey(
        CatalogProduct, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    message = models.TextField()
    business_model = models.CharField(max_length=10, choices=BusinessModel)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=8, choices=Status, default=Status.OPEN)
    resolution = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["-reported_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(order__isnull=False) | Q(product__isnull=False),
                name="pricing_issue_about_something",
            )
        ]

    def __str__(self) -> str:
        return f"Pricing issue of {self.medspa} ({self.get_status_display()})"
