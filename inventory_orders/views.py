"""The Inventory tab of the admin dashboard."""

from medspa import dashboards
from medspa.dashboards import dashboard_area

INTRO = "Order neurotoxins, fillers and supplies at your model's prices."
POINTS = [
    "The supplier catalog with market price, your savings and your price",
    "A cart, delivery date and payment method, and the order's review by Portrait",
    "Your order history",
    "No stock counts or reconciliation: under Launch / Flex there is no inventory tracking",
]


@dashboard_area(dashboards.ADMIN)
def home(request):
    """Not built yet: says honestly what the tab will hold."""
    return dashboards.render_empty_tab(request, title="Inventory", intro=INTRO, points=POINTS)
