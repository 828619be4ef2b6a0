"""The supplier catalog, model-specific pricing, orders and their review."""

from django.apps import AppConfig


class InventoryOrdersConfig(AppConfig):
    name = "inventory_orders"
    verbose_name = "Inventory ordering"

    def ready(self) -> None:
        from inventory_orders import demo, services  # noqa: F401 (demo registers its receiver)
        from medspa import plan_changes

        plan_changes.register(services.carts_follow_plan)
