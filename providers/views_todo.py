"""The provider's To-Do: what they still owe."""

from medspa import dashboards
from medspa.dashboards import dashboard_area


@dashboard_area(dashboards.PROVIDER)
def todo(request):
    """The provider's To-Do tab, until it is built: what it will hold."""
    return dashboards.render_empty_tab(
        request,
        title="To-Do",
        intro="What you still owe: it fills itself and empties as you finish things.",
        points=["Charts to sign (the field expects them within 72 hours)", "GFE requests awaiting a decision",
                "Today's appointments not checked in", "Clearances expiring within 30 days"],
    )  # fmt: skip
