"""The supplier catalog, model-specific pricing, orders and their review."""

from django.apps import AppConfig


class InventoryOrdersConfig(AppConfig):
    name = "inventory_orders"
    verbose_name = "Inventory ordering"

    def ready(self) -> None:
        from inventory_orders import services
        from medspa.plan_changes import PLAN_FOLLOWERS

        PLAN_FOLLOWERS.register(services.carts_follow_plan)
