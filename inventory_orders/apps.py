"""The supplier catalog, model-specific pricing, orders and their review."""

from django.apps import AppConfig


class InventoryOrdersConfig(AppConfig):
    name = "inventory_orders"
    verbose_name = "Inventory ordering"

    def ready(self) -> None:
        from inventory_orders import services
        from medspa.services import BUSINESS_MODEL_FOLLOWERS

        BUSINESS_MODEL_FOLLOWERS.register(services.carts_reprice_on_model_change)
