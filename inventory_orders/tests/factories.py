"""Factories for the inventory orders app's models: the supplier catalog, carts, orders, pricing issues."""

from datetime import timedelta
from decimal import Decimal

import factory

from inventory_orders import models
from tests.factories import MedspaFactory, TenantFactory, UserFactory, medspa_today

SAME_MEDSPA = factory.SelfAttribute("..medspa")


class SupplierFactory(TenantFactory):
    class Meta:
        model = models.Supplier

    name = factory.Sequence(lambda n: f"Supplier {n}")


class CatalogProductFactory(TenantFactory):
    class Meta:
        model = models.CatalogProduct

    supplier = factory.SubFactory(SupplierFactory)
    sku = factory.Sequence(lambda n: f"CAT-{n:05d}")
    name = factory.Sequence(lambda n: f"Toxin {n}")
    category = "neurotoxin"
    unit = "vial"
    pack_size = "100 units"
    market_price = Decimal("650.00")
    price_legacy = Decimal("612.00")
    price_launch = Decimal("589.00")
    price_flex = Decimal("579.00")


class OrderingRulesFactory(TenantFactory):
    class Meta:
        model = models.OrderingRules


class CartFactory(TenantFactory):
    """A medspa's cart (one per medspa: fetched if the medspa has one)."""

    class Meta:
        model = models.Cart
        django_get_or_create = ("medspa",)

    medspa = factory.SubFactory(MedspaFactory)


class CartLineFactory(TenantFactory):
    class Meta:
        model = models.CartLine

    medspa = factory.SubFactory(MedspaFactory)
    cart = factory.SubFactory(CartFactory, medspa=SAME_MEDSPA)
    product = factory.SubFactory(CatalogProductFactory)
    quantity = 2
    priced_for = factory.SelfAttribute("medspa.business_model")
    unit_price = factory.LazyAttribute(lambda line: getattr(line.product, f"price_{line.priced_for}"))


class OrderFactory(TenantFactory):
    """A submitted order, nothing on it yet."""

    class Meta:
        model = models.Order

    medspa = factory.SubFactory(MedspaFactory)
    business_model = factory.SelfAttribute("medspa.business_model")
    delivery_date = factory.LazyAttribute(lambda order: medspa_today(order.medspa) + timedelta(days=7))
    payment_method = "card"
    ship_to = "2150 Fifth Ave\nSan Diego, CA 92101"
    total = Decimal("0.00")
    idempotency_key = factory.Sequence(lambda n: f"order-{n}")
    submitted_by = factory.SubFactory(UserFactory)


class OrderLineFactory(TenantFactory):
    class Meta:
        model = models.OrderLine

    medspa = factory.SubFactory(MedspaFactory)
    order = factory.SubFactory(OrderFactory, medspa=SAME_MEDSPA)
    product = factory.SubFactory(CatalogProductFactory)
    product_name = factory.SelfAttribute("product.name")
    supplier_name = factory.SelfAttribute("product.supplier.name")
    quantity = 1
    unit_price = factory.SelfAttribute("product.price_launch")
    market_price = factory.SelfAttribute("product.market_price")
    ordered_product = factory.SelfAttribute("product")
    ordered_quantity = factory.SelfAttribute("quantity")
    ordered_unit_price = factory.SelfAttribute("unit_price")


class OrderEventFactory(TenantFactory):
    class Meta:
        model = models.OrderEvent

    medspa = factory.SubFactory(MedspaFactory)
    order = factory.SubFactory(OrderFactory, medspa=SAME_MEDSPA)
    status = "submitted"
    by = factory.SelfAttribute("order.submitted_by")


class PricingIssueFactory(TenantFactory):
    class Meta:
        model = models.PricingIssue

    medspa = factory.SubFactory(MedspaFactory)
    product = factory.SubFactory(CatalogProductFactory)
    message = "The price shown is above the supplier's list price."
    business_model = factory.SelfAttribute("medspa.business_model")
    reported_by = factory.SubFactory(UserFactory)
