"""The Provider dashboard's Patients (the calendar, Earnings, To-Do, visits and checkout have their own
modules). A provider sees only their own patients, never other providers'."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.http import search_query
from medspa.services.patients import patient_access_record, patients_access_record
from medspa.views import panels
from providers.selectors.patients import provider_patients, provider_patients_recent


@dashboard_area(dashboards.PROVIDER)
def patients(request):
    """The provider's own patients, searched and paginated; above them, when not searching, the few they
    saw last. A constant number of queries, however many patients."""
    query = search_query(request)
    page = Paginator(provider_patients(request.membership, query=query), 25).get_page(request.GET.get("page"))
    show_recent = not query.strip() and page.number == 1
    recent = provider_patients_recent(request.membership) if show_recent else []
    page.object_list = list(page.object_list)
    viewed = "Provider dashboard: patient search results" if query.strip() else "Provider dashboard: patients"
    patients_access_record(patients=[*page.object_list, *recent], request=request, viewed=viewed)
    return render(request, "providers/patients.html", {"page": page, "query": query, "recent": recent})


@dashboard_area(dashboards.PROVIDER)
def patient_detail(request, pk: int):
    """Only the provider's own patients open; any other id is 404, as if it did not exist."""
    patient = get_object_or_404(
        provider_patients(request.membership).prefetch_related("assigned_providers__user"), pk=pk
    )
    patient_access_record(patient=patient, request=request, viewed="Provider dashboard: patient profile")
    context = {
        "patient": patient,
        "area": "provider",
        "panels": panels.patient_panels(request, patient, "provider"),
    }
    return render(request, "providers/patient_detail.html", context)
