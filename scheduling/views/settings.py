"""The Scheduling tab's settings pages: rooms and devices, appointment types, each provider's availability
(weekly hours per location, date overrides) and closures. Thin views: the writes are in
scheduling.services.settings; every object is looked up through the medspa's scope, so another medspa's id
is a 404."""

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from medspa import clock, dashboards
from medspa.dashboards import dashboard_area
from medspa.http import ascii_int, form_status
from medspa.models import Membership
from scheduling import models
from scheduling.forms.settings import (
    AppointmentTypeForm,
    AvailabilityOverrideForm,
    AvailabilityRuleForm,
    ClosureForm,
    ResourceForm,
    providers_of,
)
from scheduling.models.availability import Weekday
from scheduling.services import settings as settings_services


def _add_errors(form, error: ValidationError) -> None:
    """Puts a service's ValidationError on the form, field by field where it names them."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# --- Rooms and devices ----------------------------------------------------------------------------------


@dashboard_area(dashboards.ADMIN)
def room_list(request):
    """Treatment rooms and devices by location."""
    locations = models.Location.objects.prefetch_related("resources").order_by("-is_active", "name")
    return render(request, "scheduling/settings/room_list.html", {"locations": locations})


@dashboard_area(dashboards.ADMIN)
def room_create(request):
    return _room_form(request, None)


@dashboard_area(dashboards.ADMIN)
def room_edit(request, pk: int):
    return _room_form(request, get_object_or_404(models.Resource.objects.select_related("location"), pk=pk))


def _room_form(request, resource):
    initial = {}
    location = ascii_int(request.GET.get("location", ""))
    if resource is None and location is not None:
        initial["location"] = location
    form = ResourceForm(request.POST or None, instance=resource, medspa=request.medspa, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = settings_services.resource_save(
                medspa=request.medspa, data=form.cleaned_data, resource=resource
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{saved.name} at {saved.location.name} was saved.")
            return redirect("scheduling:room_list")
    return render(
        request,
        "scheduling/settings/room_form.html",
        {"form": form, "resource": resource},
        status=form_status(request),
    )


# --- Appointment types ----------------------------------------------------------------------------------


@dashboard_area(dashboards.ADMIN)
def type_list(request):
    """Appointment types by location, with who offers them and the rules."""
    types = models.AppointmentType.objects.select_related(
        "location", "service__library_service"
    ).prefetch_related("providers__user", "rooms")
    by_location = defaultdict(list)
    for appointment_type in types.order_by("location__name", "name"):
        by_location[appointment_type.location].append(appointment_type)
    return render(
        request,
        "scheduling/settings/type_list.html",
        {"by_location": dict(by_location), "has_locations": models.Location.objects.exists()},
    )


@dashboard_area(dashboards.ADMIN)
def type_create(request):
    return _type_form(request, None)


@dashboard_area(dashboards.ADMIN)
def type_edit(request, pk: int):
    return _type_form(request, get_object_or_404(models.AppointmentType, pk=pk))


def _type_form(request, appointment_type):
    initial = {}
    location = ascii_int(request.GET.get("location", ""))
    if appointment_type is None and location is not None:
        initial["location"] = location
    form = AppointmentTypeForm(
        request.POST or None, instance=appointment_type, medspa=request.medspa, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = settings_services.appointment_type_save(
                medspa=request.medspa, data=form.cleaned_data, appointment_type=appointment_type
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{saved.name} at {saved.location.name} was saved.")
            return redirect("scheduling:type_list")
    return render(
        request,
        "scheduling/settings/type_form.html",
        {"form": form, "appointment_type": appointment_type},
        status=form_status(request),
    )


@require_POST
@dashboard_area(dashboards.ADMIN)
def type_activate(request, pk: int):
    appointment_type = get_object_or_404(models.AppointmentType, pk=pk)
    active = request.POST.get("active") == "1"
    settings_services.appointment_type_set_active(appointment_type=appointment_type, active=active)
    messages.success(request, f"{appointment_type.name} is now {'active' if active else 'inactive'}.")
    return redirect("scheduling:type_list")


# --- Availability ---------------------------------------------------------------------------------------


@dashboard_area(dashboards.ADMIN)
def availability(request):
    """Every provider, with where they work and how many weekly intervals they have."""
    providers = providers_of(request.medspa).prefetch_related("locations", "availability_rules")
    return render(request, "scheduling/settings/availability_list.html", {"providers": providers})


def _provider(pk: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user"), pk=pk, is_provider=True)


def _availability_page(request, provider, *, rule_form=None, override_form=None, status=200):
    locations = provider.locations.order_by("name")
    working_at = list(locations)
    today = clock.today(request.medspa)
    rules = models.AvailabilityRule.objects.filter(provider=provider).order_by("weekday", "start_time")
    by_location = defaultdict(lambda: defaultdict(list))
    for rule in rules:
        by_location[rule.location_id][rule.weekday].append(rule)
    elsewhere = set(by_location) - {location.pk for location in working_at}
    # Hours kept at a location the provider no longer works at show too (they take no bookings there).
    others = list(models.Location.objects.filter(pk__in=elsewhere).order_by("name")) if elsewhere else []
    shown = working_at + others
    sections = []
    for location in shown:
        days = by_location.get(location.pk, {})
        sections.append(
            {
                "location": location,
                "works_here": location.pk not in elsewhere,
                "days": [{"label": label, "rules": days.get(value, [])} for value, label in Weekday.choices],
            }
        )
    overrides = (
        models.AvailabilityOverride.objects.filter(provider=provider, date__gte=today)
        .select_related("location")
        .order_by("date", "start_time")
    )
    context = {
        "provider": provider,
        "sections": sections,
        "overrides": overrides,
        "rule_form": rule_form or AvailabilityRuleForm(provider=provider, locations=locations),
        "override_form": override_form
        or AvailabilityOverrideForm(medspa=request.medspa, locations=locations, initial={"date": today}),
        "has_locations": bool(working_at),
    }
    return render(request, "scheduling/settings/availability_provider.html", context, status=status)


@dashboard_area(dashboards.ADMIN)
def availability_provider(request, pk: int):
    """One provider's weekly hours at each location they work at, and their upcoming date overrides."""
    return _availability_page(request, _provider(pk))


@require_POST
@dashboard_area(dashboards.ADMIN)
def rule_add(request, pk: int):
    provider = _provider(pk)
    form = AvailabilityRuleForm(request.POST, provider=provider, locations=provider.locations.all())
    if form.is_valid():
        data = form.cleaned_data
        try:
            settings_services.availability_rules_add(
                medspa=request.medspa,
                provider=provider,
                location=data["location"],
                weekdays=data["weekdays"],
                start_time=data["start_time"],
                end_time=data["end_time"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "The hours were added.")
            return redirect("scheduling:availability_provider", pk=provider.pk)
    return _availability_page(request, provider, rule_form=form, status=400)


@require_POST
@dashboard_area(dashboards.ADMIN)
def rule_remove(request, pk: int):
    rule = get_object_or_404(models.AvailabilityRule, pk=pk)
    settings_services.availability_rule_remove(rule=rule)
    messages.success(request, f"{rule} was removed.")
    return redirect("scheduling:availability_provider", pk=rule.provider_id)


@require_POST
@dashboard_area(dashboards.ADMIN)
def override_add(request, pk: int):
    provider = _provider(pk)
    form = AvailabilityOverrideForm(request.POST, medspa=request.medspa, locations=provider.locations.all())
    if form.is_valid():
        try:
            override = settings_services.availability_override_add(
                medspa=request.medspa, provider=provider, data=form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{override} was added.")
            return redirect("scheduling:availability_provider", pk=provider.pk)
    return _availability_page(request, provider, override_form=form, status=400)


@require_POST
@dashboard_area(dashboards.ADMIN)
def override_remove(request, pk: int):
    override = get_object_or_404(models.AvailabilityOverride, pk=pk)
    settings_services.availability_override_remove(override=override)
    messages.success(request, f"{override} was removed.")
    return redirect("scheduling:availability_provider", pk=override.provider_id)


# --- Closures -------------------------------------------------------------------------------------------


@dashboard_area(dashboards.ADMIN)
def closures(request):
    """Days the medspa, or one location, is closed: the upcoming ones, and a form to add one."""
    form = ClosureForm(request.POST or None, medspa=request.medspa)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            closure = settings_services.closure_add(
                medspa=request.medspa, day=data["date"], reason=data["reason"], location=data["location"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Closed on {date_format(closure.date, 'D M j, Y')}.")
            return redirect("scheduling:closures")
    today = clock.today(request.medspa)
    upcoming = models.Closure.objects.filter(date__gte=today).select_related("location").order_by("date")
    return render(
        request,
        "scheduling/settings/closures.html",
        {"form": form, "closures": upcoming},
        status=form_status(request),
    )


@require_POST
@dashboard_area(dashboards.ADMIN)
def closure_remove(request, pk: int):
    closure = get_object_or_404(models.Closure, pk=pk)
    settings_services.closure_remove(closure=closure)
    messages.success(request, f"{date_format(closure.date, 'D M j, Y')} is open again.")
    return redirect("scheduling:closures")
