"""What the tests that span the project walk over: its apps, the core first."""

APPS = [
    "medspa",
    "services_catalog",
    "gfe",
    "scheduling",
    "providers",
    "inventory_orders",
    "billing",
    "transition",
]
