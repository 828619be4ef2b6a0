"""The Provider dashboard: Earnings, Patients, To-Do, Calendar. A provider sees only their own patients and
their own calendar, never other providers' or the locations' settings."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from medspa import dashboards, patient_panels
from medspa.dashboards import dashboard_area
from medspa.services import patient_access_record
from providers import selectors
from scheduling import views_calendar


@dashboard_area(dashboards.PROVIDER)
def patients(request):
    query = request.GET.get("q", "")[:100]
    page = Paginator(selectors.provider_patients(request.membership, query=query), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "providers/patients.html", {"page": page, "query": query})


@dashboard_area(dashboards.PROVIDER)
def patient_detail(request, pk: int):
    """Only the provider's own patients open; any other id is 404, as if it did not exist."""
    patient = get_object_or_404(
        selectors.provider_patients(request.membership).prefetch_related("assigned_providers__user"), pk=pk
    )
    patient_access_record(patient=patient, request=request, viewed="Provider dashboard: patient profile")
    context = {"patient": patient, "area": "provider",
               "panels": patient_panels.panels_render(request, patient, "provider")}  # fmt: skip
    return render(request, "providers/patient_detail.html", context)


EMPTY_TABS = {
    "earnings": (
        "Earnings",
        "Your earnings month by month, and every transaction behind them.",
        [
            "A month-to-month chart",
            "Services, retail, tips, discounts, refunds and financing",
            "The revenue split on Flex",
        ],
    ),
    "todo": (
        "To-Do",
        "What you still owe: it fills itself and empties as you finish things.",
        [
            "Charts to sign (the field expects them within 72 hours)",
            "GFE requests awaiting a decision",
            "Today's appointments not checked in",
            "Clearances expiring within 30 days",
        ],
    ),
    "calendar": (
        "Calendar",
        "Your own calendar: only your appointments and your patients.",
        ["Day and week views of your appointments", "Check-in and starting a visit from an appointment"],
    ),
}


def _empty(name):
    @dashboard_area(dashboards.PROVIDER)
    def view(request):
        title, intro, points = EMPTY_TABS[name]
        return dashboards.render_empty_tab(request, title=title, intro=intro, points=points)

    view.__name__ = name
    view.__doc__ = f"The provider's {EMPTY_TABS[name][0]} tab, until it is built: what it will hold."
    return view


earnings = _empty("earnings")
todo = _empty("todo")


@dashboard_area(dashboards.PROVIDER)
def calendar(request):
    """The provider's own calendar: only their appointments (day and week views), check-in, and their
    secret iCal link; one of their appointments opens with ?appointment=<id>, anyone else's is a 404."""
    return views_calendar.provider_calendar(request)


@dashboard_area(dashboards.ADMIN)
def admin_earnings(request):
    """The admin dashboard's Earnings tab, until it is built: what it will hold."""
    return dashboards.render_empty_tab(
        request,
        title="Earnings",
        intro="The medspa's earnings and each provider's, month by month.",
        points=[
            "A month-to-month chart for the medspa and each provider",
            "Every transaction, filterable, with CSV export",
            "On Flex, the medspa's share and Portrait's share of revenue",
        ],
    )
