"""The Scheduling tab of the admin dashboard: locations now; calendars, appointment types, availability
and notifications as they are built."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.http import form_status
from scheduling import services
from scheduling.forms.locations import LocationForm
from scheduling.models import Location


@dashboard_area(dashboards.ADMIN)
def home(request):
    locations = Location.objects.prefetch_related("providers__user").order_by("-is_active", "name")
    return render(request, "scheduling/home.html", {"locations": locations})


@dashboard_area(dashboards.ADMIN)
def location_create(request):
    return _location_form(request, None)


@dashboard_area(dashboards.ADMIN)
def location_edit(request, pk: int):
    return _location_form(request, get_object_or_404(Location, pk=pk))


def _location_form(request, location):
    form = LocationForm(request.POST or None, instance=location, medspa=request.medspa)
    if request.method == "POST" and form.is_valid():
        saved = services.location_save(medspa=request.medspa, data=form.cleaned_data, location=location)
        messages.success(request, f"{saved.name} was saved.")
        return redirect("scheduling:home")
    return render(
        request,
        "scheduling/location_form.html",
        {"form": form, "location": location},
        status=form_status(request),
    )
