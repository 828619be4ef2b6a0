"""Quick booking from the admin's calendar: the panel the calendar loads when the front desk clicks an empty
slot (a fragment, with htmx), or the same panel as a page of its own (a link, no script needed).

The panel finds the patient by typing (`quick_book_patients`, a listbox) or adds a new one inline, offers the
day's open times of the type with the provider (or whoever is free), says what the front desk should know
(GFE, deposit, paperwork, notice, no way to confirm) and books through scheduling.services.booking. A new
patient and the booking are one transaction: a refused booking leaves no patient behind.

GET parameters: `start` (the location's wall clock, 2026-12-08T10:30), `provider`, `location`, `resource`
(ids, each optional), and the form's own fields when the panel refreshes its times (`quick_book_times`).
`resource` is the room of the column clicked in the Rooms view: the panel offers the times that room is free
and books in it; a type not given there is refused, and the room's exclusion constraint has the last word.
Booked with htmx, the answer carries `HX-Trigger: {"appointment-booked": {"id": <pk>}}` for the calendar."""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib import messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from django.views.decorators.http import require_GET
from django_htmx.http import trigger_client_event

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.http import ascii_int, search_query
from medspa.models import Membership, Patient
from medspa.models.patients import PatientStatus
from medspa.services.patients import patient_create, patients_access_record
from scheduling.forms.quick_book import NewPatientForm, QuickBookForm, local_start
from scheduling.models import Appointment, AppointmentType, Location, Resource
from scheduling.selectors import quick_book as selectors
from scheduling.services import booking

PANEL = "scheduling/quick_book/_panel.html"
PAGE = "scheduling/quick_book/page.html"
WHEN = "scheduling/quick_book/_when.html"


@dataclass
class Place:
    """Where and what the panel books, read from the request: the location, its types, the type chosen,
    the providers who offer it, the provider chosen (or None: whoever is free), the day and the time."""

    location: Location | None
    locations: QuerySet[Location]
    resource_id: int | None = None
    room: Resource | None = None  # the room `resource_id` names, when one of the location's active rooms
    types: QuerySet[AppointmentType] = field(default_factory=AppointmentType.objects.none)
    appointment_type: AppointmentType | None = None
    offering: QuerySet[Membership] = field(default_factory=Membership.objects.none)
    provider: Membership | None = None
    day: date | None = None
    start: datetime | None = None


def _place(params: QueryDict, now: datetime) -> Place:
    locations = Location.objects.filter(is_active=True).order_by("name")
    location_id, provider_id = ascii_int(params.get("location")), ascii_int(params.get("provider"))
    if location_id is not None:
        location = get_object_or_404(locations, pk=location_id)  # another medspa's: 404
    else:
        works = locations.filter(providers=provider_id) if provider_id is not None else locations.none()
        location = works.first() or locations.first()
    place = Place(location=location, locations=locations, resource_id=ascii_int(params.get("resource")))
    if location is None:
        return place
    if place.resource_id is not None:
        rooms = Resource.objects.filter(location=location, kind=Resource.Kind.ROOM, is_active=True)
        place.room = rooms.filter(pk=place.resource_id).first()
    place.types = selectors.types_at(location, resource_id=place.resource_id)
    types = list(place.types)
    chosen = ascii_int(params.get("appointment_type"))
    offered = [t for t in types if provider_id is not None and provider_id in _offering_ids(t)]
    place.appointment_type = next((t for t in types if t.pk == chosen), None) or next(
        iter(offered or types), None
    )
    if place.appointment_type is not None:
        place.offering = selectors.providers_offering(place.appointment_type)
        place.provider = next((p for p in place.offering if p.pk == provider_id), None)
    start = local_start(params.get("start") or "", location)
    day = parse_date(params.get("date") or "") if params.get("date") else None
    place.day = day or (start.date() if start else now.astimezone(location.tz).date())
    place.start = start if start is not None and start.date() == place.day else None
    return place


def _offering_ids(appointment_type: AppointmentType) -> set[int]:
    return {provider.pk for provider in appointment_type.providers.all()}


def _initial(place: Place, params: QueryDict) -> dict:
    return {
        "location": place.location,
        "resource": place.resource_id,
        "appointment_type": place.appointment_type,
        "provider": place.provider,
        "date": place.day,
        "notes": params.get("notes", ""),
    }


def _form(request, place: Place, *, data=None, initial=None) -> QuickBookForm:
    return QuickBookForm(
        data,
        medspa=request.medspa,
        location=place.location,
        types=place.types,
        providers=place.offering,
        initial=initial,
    )


def _when(place: Place, *, patient: Patient | None, now: datetime) -> dict:
    """The times of the day, the one chosen (when open), why the one asked is not, and the warnings."""
    context = {"times": [], "chosen": "", "refusal": "", "nearest": [], "warnings": [], "room_refusal": ""}
    appointment_type = place.appointment_type
    if appointment_type is None or place.day is None:
        return context
    context["room_refusal"] = selectors.room_refusal(appointment_type, place.room, place.resource_id)
    if context["room_refusal"]:
        return context
    open_anywhere = selectors.open_times(appointment_type, place.day, provider=place.provider, now=now)
    times = selectors.room_free(open_anywhere, appointment_type, place.room) if place.room else open_anywhere
    context["times"] = times
    if place.start is not None:
        wanted = selectors.OpenTime(place.start)
        if any(time.value == wanted.value for time in times):
            context["chosen"] = wanted.value
        else:
            taken = any(time.value == wanted.value for time in open_anywhere)  # open, but not the room
            context["refusal"] = f"{wanted.label} is not open: " + (
                f"{place.room.name} is taken then."
                if taken
                else selectors.time_refusal(appointment_type, place.start, provider=place.provider, now=now)
            )
            context["nearest"] = selectors.nearest_times(times, place.start)
    start = place.start if context["chosen"] else None
    context["warnings"] = selectors.booking_warnings(
        appointment_type=appointment_type, start=start, patient=patient, now=now
    )
    return context


def _chosen_patient(params: QueryDict) -> Patient | None:
    patient_id = ascii_int(params.get("patient"))
    if patient_id is None:
        return None
    return Patient.objects.exclude(status=PatientStatus.ARCHIVED).filter(pk=patient_id).first()


def _new_patient(params: QueryDict) -> Patient | None:
    """The new patient as typed so far (not saved, not validated): enough to warn about contact and GFE."""
    first, last = params.get("new-first_name", "").strip(), params.get("new-last_name", "").strip()
    if not (first or last):
        return None
    return Patient(
        first_name=first,
        last_name=last,
        email=params.get("new-email", "").strip(),
        phone=params.get("new-phone", "").strip(),
        consent_email=params.get("new-consent_email") == "on",
        consent_sms=params.get("new-consent_sms") == "on",
    )


def _render(request, context: dict, *, status: int = 200) -> HttpResponse:
    listed = [context.get("patient"), *context.get("namesakes", []), *context.get("found", [])]
    shown = [patient for patient in listed if patient is not None and patient.pk]
    if shown:
        patients_access_record(patients=shown, request=request, viewed="Calendar: quick booking")
    template = PANEL if request.htmx else PAGE
    return render(request, template, context, status=status)


def _panel(request: HttpRequest, params: QueryDict) -> HttpResponse:
    now = timezone.now()
    place = _place(params, now)
    patient = _chosen_patient(params)
    form = _form(request, place, initial={**_initial(place, params), "patient": patient})
    new_form = NewPatientForm(prefix="new", medspa=request.medspa)
    query = params.get("q", "").replace("\x00", "")[:100]
    # Without a script, the search box's "Find" sends the form here: the matches are offered as choices.
    found = _listed(query) if query and patient is None and not request.htmx else []
    context = {
        "query": query,
        "found": found,
        "place": place,
        "form": form,
        "new_form": new_form,
        "patient": patient,
        **_when(place, patient=patient or _new_patient(params), now=now),
    }
    return _render(request, context)


@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def quick_book(request):
    """The quick-booking panel (GET) and the booking it sends (POST)."""
    if request.method == "POST":
        return _book(request)
    return _panel(request, request.GET)


@require_GET
@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def quick_book_times(request):
    """The panel's service, provider, day, open times and warnings again, for the values of its form (the
    type, the provider, the day or the patient changed); without htmx, the whole panel."""
    if not request.htmx:
        return _panel(request, request.GET)
    now = timezone.now()
    place = _place(request.GET, now)
    patient = _chosen_patient(request.GET)
    initial = {**_initial(place, request.GET), "patient": patient}
    context = {
        "place": place,
        "form": _form(request, place, initial=initial),
        **_when(place, patient=patient or _new_patient(request.GET), now=now),
    }
    if patient is not None:  # the warnings name them
        patients_access_record(patients=[patient], request=request, viewed="Calendar: quick booking")
    return render(request, WHEN, context)


@require_GET
@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def quick_book_patients(request):
    """The type-ahead's listbox: up to ten patients matching what was typed, each with their date of birth
    and the end of their phone number to tell namesakes apart."""
    query = search_query(request)
    patients = _listed(query)
    viewed = "Calendar: quick booking's patient search"
    patients_access_record(patients=patients, request=request, viewed=viewed)
    return render(request, "scheduling/quick_book/_patients.html", {"patients": patients, "query": query})


def _listed(query: str) -> list[Patient]:
    patients = selectors.patients_matching(query)
    for patient in patients:
        patient.phone_tail = selectors.phone_tail(patient.phone)
    return patients


class _BookedBefore(Exception):
    """The idempotency key had booked already (a double click): the new patient made meanwhile is undone."""

    def __init__(self, appointment: Appointment):
        self.appointment = appointment


def _book(request: HttpRequest) -> HttpResponse:
    # A double click (or a retry) of a form that booked already: its booking, and nothing made again.
    key = request.POST.get("idempotency_key", "").strip()
    key = key if "\x00" not in key else ""  # no such key can exist: the form refuses it below
    done = Appointment.objects.filter(idempotency_key=key).first() if key else None
    if done is not None:
        return _booked(request, done)
    now = timezone.now()
    place = _place(request.POST, now)
    form = _form(request, place, data=request.POST)
    new_form = NewPatientForm(request.POST, prefix="new", medspa=request.medspa)
    valid = form.is_valid()
    patient = form.cleaned_data.get("patient")
    creating = patient is None and new_form.started
    namesakes: list[Patient] = []
    if valid and patient is None and not creating:
        form.add_error(None, "Choose a patient, or add a new one.")
    elif valid and patient is not None and new_form.started and form.cleaned_data.get("use_patient") is None:
        form.add_error(None, "Choose a patient on file or fill in a new one, not both.")
    if creating and new_form.is_valid():
        data = new_form.cleaned_data
        namesakes = selectors.patient_namesakes(
            first_name=data["first_name"], last_name=data["last_name"], date_of_birth=data["date_of_birth"]
        )
        if namesakes and not form.cleaned_data.get("add_anyway"):
            born = date_format(data["date_of_birth"], "M j, Y")
            form.add_error(
                None,
                f"{data['first_name']} {data['last_name']}, born {born}, is already a patient: book them "
                "instead, or say this is a different person.",
            )
    if form.errors or (creating and new_form.errors):
        return _rerender(request, place, form, new_form, patient=patient, namesakes=namesakes, now=now)

    data = form.cleaned_data
    with refusals(form=form) as refused:
        try:
            with transaction.atomic():
                if creating:
                    patient = patient_create(
                        medspa=request.medspa,
                        data=new_form.cleaned_data,
                        possible_duplicate_of=namesakes[0] if namesakes else None,
                    )
                appointment, _ = booking.appointment_book_or_find(
                    appointment_type=data["appointment_type"],
                    start=data["start"],
                    patient=patient,
                    provider=data["provider"],
                    by=request.user,
                    notes=data["notes"],
                    idempotency_key=data["idempotency_key"] or None,
                    now=now,
                    resource=data["resource"],
                )
                if creating and appointment.patient_id != patient.pk:
                    raise _BookedBefore(appointment)
        except _BookedBefore as replay:
            appointment = replay.appointment
        return _booked(request, appointment)
    # Refused (409 for a time taken meanwhile): the panel again, everything typed kept, fresh times.
    shown = None if creating else patient
    return _rerender(request, place, form, new_form, patient=shown, status=refused.status_code, now=now)


def _rerender(request, place, form, new_form, *, patient, now, namesakes=(), status=400) -> HttpResponse:
    context = {
        "place": place,
        "form": form,
        "new_form": new_form,
        "patient": patient,
        "namesakes": list(namesakes),
        "posted": True,
        **_when(place, patient=patient or _new_patient(request.POST), now=now),
    }
    return _render(request, context, status=status)


def _booked(request: HttpRequest, appointment: Appointment) -> HttpResponse:
    appointment = Appointment.objects.select_related(
        "patient", "appointment_type", "provider__user", "location"
    ).get(pk=appointment.pk)
    when = date_format(appointment.local_start, "D M j, g:i A")
    summary = (
        f"{appointment.patient.full_name} for {appointment.appointment_type.name} on {when} "
        f"with {appointment.provider.user.get_full_name()}"
    )
    if not request.htmx:
        messages.success(request, f"Booked: {summary}.")
        return redirect("scheduling:appointment_detail", pk=appointment.pk)
    patients_access_record(patients=[appointment.patient], request=request, viewed="Calendar: quick booking")
    response = render(request, PANEL, {"appointment": appointment, "summary": summary})
    return trigger_client_event(response, "appointment-booked", {"id": appointment.pk})
