"""Portrait's supplier catalog, with a price per business model, and the ordering rules."""

import pghistory
import pgtrigger
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from medspa.models.tenancy import BusinessModel

PRICE = {"max_digits": 10, "decimal_places": 2, "validators": [MinValueValidator(0)]}
APPEND_ONLY = pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)


class Supplier(models.Model):
    """A company Portrait buys from on the medspas' behalf (e.g. a neurotoxin manufacturer)."""

    name = models.CharField(max_length=150, unique=True)
    disclaimer = models.TextField(
        blank=True, help_text="Shown with the supplier's products (e.g. cold-chain shipping, return rules)."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Category(models.TextChoices):
    NEUROTOXIN = "neurotoxin", "Neurotoxins"
    FILLER = "filler", "Dermal fillers"
    BIOSTIMULATOR = "biostimulator", "Biostimulators"
    SKINCARE = "skincare", "Skincare and peels"
    CONSUMABLE = "consumable", "Consumables"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class CatalogProduct(models.Model):
    """A product of the catalog with its market price and Portrait's price for each business model."""

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=14, choices=Category)
    sku = models.CharField("SKU", max_length=64, unique=True)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=40, help_text="What one is, e.g. vial, syringe, box.")
    pack_size = models.CharField(max_length=80, help_text="What it holds, e.g. 100 units, 1 mL, 50 pads.")
    market_price = models.DecimalField("market price", **PRICE)
    price_legacy = models.DecimalField("Legacy price", **PRICE)
    price_launch = models.DecimalField("Launch price", **PRICE)
    price_flex = models.DecimalField("Flex price", **PRICE)
    disclaimer = models.TextField(blank=True, help_text="The supplier's conditions for this product.")
    is_available = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            # Launch carries a slightly higher platform fee than Flex.
            models.CheckConstraint(
                condition=Q(price_launch__gte=F("price_flex")), name="catalog_launch_not_below_flex"
            ),
            models.CheckConstraint(
                condition=Q(price_legacy__gt=0) & Q(price_launch__gt=0) & Q(price_flex__gt=0),
                name="catalog_prices_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.pack_size})"

    def price_for(self, business_model: str):
        return {
            BusinessModel.LEGACY: self.price_legacy,
            BusinessModel.LAUNCH: self.price_launch,
            BusinessModel.FLEX: self.price_flex,
        }[business_model]


class OrderingRules(models.Model):
    """When orders can be delivered: one row, edited by Portrait staff."""

    lead_days = models.PositiveSmallIntegerField(
        "lead time (business days)",
        default=3,
        validators=[MaxValueValidator(60)],
        help_text="The earliest delivery is this many business days after today.",
    )
    weekend_delivery = models.BooleanField("deliver on weekends", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "ordering rules"

    def __str__(self) -> str:
        return "Ordering rules"
