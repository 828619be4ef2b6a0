"""The GFE Management tab of the admin dashboard."""

from medspa import dashboards
from medspa.dashboards import dashboard_area

INTRO = "Choose how your patients get their Good Faith Exam clearance."
POINTS = [
    "Clear your own patients (a licensed provider self-clears or requests manually)",
    "Your own clearing provider, a third party of your choice",
    "Portrait clearing services, with an urgent option",
    "How long a clearance stays valid, and automatic requests when a booking needs one",
]


@dashboard_area(dashboards.ADMIN)
def home(request):
    """Not built yet: says honestly what the tab will hold."""
    return dashboards.render_empty_tab(request, title="GFE Management", intro=INTRO, points=POINTS)
