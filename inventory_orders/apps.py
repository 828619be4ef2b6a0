from django.apps import AppConfig


class InventoryOrdersConfig(AppConfig):
    name = "inventory_orders"
    verbose_name = "Inventory ordering"
