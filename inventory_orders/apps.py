"""The supplier catalog, model-specific pricing, orders and their review."""

from django.apps import AppConfig


class InventoryOrdersConfig(AppConfig):
    name = "inventory_orders"
    verbose_name = "Inventory ordering"

    def ready(self) -> None:
        from inventory_orders import services  # noqa: F401 (it registers its receivers)
