"""The supplier catalog, model-specific pricing, orders and their review."""

from django.apps import AppConfig


class InventoryOrdersConfig(AppConfig):
    name = "inventory_orders"
    verbose_name = "Inventory ordering"

    def ready(self) -> None:
        from inventory_orders.services import cart
        from medspa.plan_changes import PLAN_FOLLOWERS

        PLAN_FOLLOWERS.register(cart.carts_follow_plan)
