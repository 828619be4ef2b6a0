"""The Services / Products tab of the admin dashboard."""

from medspa import dashboards
from medspa.dashboards import dashboard_area

INTRO = "Choose the services you offer from the Portrait library, or create your own."
POINTS = [
    "The Portrait services library by group, to import from (only the price is yours to change)",
    "Your custom service groups and services, with their consents, standing orders and care messages",
    "Which services are active: only those can be chosen for clearance and in a service visit",
    "Retail products for checkout",
]


@dashboard_area(dashboards.ADMIN)
def home(request):
    """Not built yet: says honestly what the tab will hold."""
    return dashboards.render_empty_tab(request, title="Services / Products", intro=INTRO, points=POINTS)
