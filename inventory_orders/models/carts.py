"""Each medspa's one open cart: its lines keep the price of the medspa's model when they were last priced."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager

from inventory_orders.models.catalog import PRICE, CatalogProduct
from medspa.models import Medspa
from medspa.models.tenancy import BusinessModel


class Cart(models.Model):
    """A medspa's one open cart."""

    medspa = models.OneToOneField(Medspa, on_delete=models.CASCADE, related_name="inventory_cart")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(medspa="medspa")

    def __str__(self) -> str:
        return f"Cart of {self.medspa}"


class CartLine(models.Model):
    medspa = models.ForeignKey(Medspa, on_delete=models.CASCADE, related_name="+")
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(CatalogProduct, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(999)])
    unit_price = models.DecimalField(**PRICE)
    priced_for = models.CharField(max_length=10, choices=BusinessModel)
    added_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(medspa="medspa")

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cart_product_once"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"

    @property
    def line_total(self):
        return self.unit_price * self.quantity
