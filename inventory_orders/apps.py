"""The supplier catalog, model-specific pricing, orders and their review."""

from django.apps import AppConfig


class InventoryOrdersConfig(AppConfig):
    name = "inventory_orders"
    verbose_name = "Inventory ordering"

    def ready(self) -> None:
        from inventory_orders.selectors import search
        from inventory_orders.services import cart
        from medspa import dashboards
        from medspa.plan_changes import PLAN_FOLLOWERS
        from medspa.search import SEARCH, SearchSource

        PLAN_FOLLOWERS.register(cart.carts_follow_plan)
        SEARCH.register(
            SearchSource("orders", "Orders", frozenset({dashboards.ADMIN}), search.orders_found, order=30)
        )
