"""The public booking pages (no sign-in): the medspa's and each location's booking link with its QR code,
the booking flow (service → provider or anyone → day → open slots → details → confirm) and the patient's
manage page (cancel or reschedule within the policy, from the secret link in the confirmation).

Nobody is signed in here, so each view looks the medspa up with scopes disabled and then does all its work
inside that medspa's scope. The pages show only the visitor's own choices and booking: never another
patient, never who holds a time. Booking posts and slot lookups are rate-limited per IP."""

import uuid
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import connection, transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods
from django_scopes import scopes_disabled

from medspa import patient_match
from medspa.errors import refusals
from medspa.http import secret_link
from medspa.models import Medspa, Membership
from medspa.tenancy import medspa_scope
from scheduling import slots as slot_rules
from scheduling.booking import (
    BookingInvalid,
    SlotUnavailable,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)
from scheduling.forms_public import (
    ANY_PROVIDER,
    BookingDetailsForm,
    CancelForm,
    RescheduleForm,
    bookable_providers,
    bookable_types,
    parse_aware_datetime,
)
from scheduling.models import Appointment, AppointmentStatus, AppointmentType, Location
from scheduling.ratelimit import BOOKING_POSTS, SLOT_LOOKUPS, rate_limit_exceeded, retry_after_seconds

PICKER_DAYS = 14
TAKEN_MESSAGE = "Sorry, that time was just taken. Please choose another."
GONE_MESSAGE = "That time is no longer available. Please choose another."
NO_PAGE_MESSAGE = "We couldn't find this booking page. Please check the link."
# What the staff top bar would show a signed-in member: a public page shows none of it.
PUBLIC_CONTEXT = {
    "dashboard_tabs": [],
    "dashboards_open": [],
    "dashboard_current": None,
    "current_membership": None,
}


# --- Helpers ------------------------------------------------------------------------------------------------


def _medspa_or_none(slug: str) -> Medspa | None:
    with scopes_disabled():
        return Medspa.objects.filter(slug=slug).first()


def _medspa_or_404(slug: str) -> Medspa:
    with scopes_disabled():
        return get_object_or_404(Medspa, slug=slug)


def _active_location(medspa: Medspa, slug: str) -> Location | None:
    return Location.objects.filter(medspa=medspa, slug=slug, is_active=True).first()


def booking_base_url() -> str:
    """The site's address for absolute booking links (settings.SITE_URL, no trailing slash)."""
    return settings.SITE_URL.rstrip("/")


def _render(request, template: str, context: dict, *, medspa: Medspa | None, status: int = 200):
    response = render(
        request,
        template,
        {**PUBLIC_CONTEXT, "current_medspa": medspa, "medspa": medspa, **context},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


def _unavailable(request, medspa: Medspa | None, message: str = ""):
    locations = list(Location.objects.filter(medspa=medspa, is_active=True)) if medspa else []
    return _render(
        request,
        "scheduling/public/unavailable.html",
        {"message": message, "locations": locations},
        medspa=medspa,
        status=404,
    )


def _too_many(request, medspa: Medspa | None):
    response = _render(request, "scheduling/public/rate_limited.html", {}, medspa=medspa, status=429)
    response["Retry-After"] = str(retry_after_seconds())
    if request.htmx:  # htmx does not swap error responses: load the page itself, which explains
        response["HX-Redirect"] = request.get_full_path()
    return response


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _time_label(moment: datetime, tz) -> str:
    local = moment.astimezone(tz)
    return f"{local:%I:%M %p}".lstrip("0") + f" {local.tzname()}"


def _day_label(day: date) -> str:
    return f"{day:%a, %b} {day.day}"


def _long_day_label(day: date) -> str:
    return f"{day:%A, %B} {day.day}, {day.year}"


def _provider_name(membership: Membership | None) -> str:
    if membership is None:
        return "the first available provider"
    return membership.user.full_name or "Provider"


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _url(base: str, **params) -> str:
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return f"{base}?{query}" if query else base


def _slot_view(slot: slot_rules.Slot, tz, *, url: str = "") -> dict:
    local = slot.start.astimezone(tz)
    return {"iso": local.isoformat(), "label": _time_label(slot.start, tz), "url": url, "start": slot.start}


def _last_bookable_day(appointment_type: AppointmentType, now: datetime) -> date:
    return (
        (now + timedelta(days=appointment_type.horizon_days)).astimezone(appointment_type.location.tz).date()
    )


def _lock_key(key: str) -> None:
    """Serialises two requests with one idempotency key (a double-click), until the transaction ends, so
    that the second finds the first one's patient and booking instead of making its own."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


# --- The medspa's page: choose a location -------------------------------------------------------------------


@require_GET
def booking_medspa(request, medspa_slug: str):
    medspa = _medspa_or_none(medspa_slug)
    if medspa is None:
        return _unavailable(request, None, NO_PAGE_MESSAGE)
    with medspa_scope(medspa, audit_context=True):
        locations = list(Location.objects.filter(medspa=medspa, is_active=True).order_by("name"))
        return _render(request, "scheduling/public/medspa.html", {"locations": locations}, medspa=medspa)


# --- A location's booking flow ------------------------------------------------------------------------------


def _flow(location: Location, params, *, base: str, now: datetime) -> dict:
    """What the booking page shows for the visitor's choices so far (service, provider, day, time), taken
    from `params` (GET, or the details POST). Only times that can really be booked are offered."""
    tz = location.tz
    today = now.astimezone(tz).date()
    flow: dict = {
        "location": location,
        "base": base,
        "notice": "",
        "providers": [],
        "days": [],
        "slots": None,
    }
    types = list(bookable_types(location))
    appointment_type = next((t for t in types if str(t.pk) == params.get("type")), None)
    flow["appointment_type"] = appointment_type
    flow["types"] = [
        {"type": t, "url": _url(base, type=t.pk), "selected": t == appointment_type} for t in types
    ]
    if appointment_type is None:
        return flow

    providers = list(bookable_providers(appointment_type))
    provider_value = params.get("provider") or ""
    provider = next((p for p in providers if str(p.pk) == provider_value), None)
    if provider_value != ANY_PROVIDER and provider is None:
        provider_value = ""
    flow["provider_value"], flow["provider"] = provider_value, provider
    flow["provider_name"] = _provider_name(provider)
    choices = [(ANY_PROVIDER, "Anyone available")] + [(str(p.pk), _provider_name(p)) for p in providers]
    flow["providers"] = [
        {
            "name": name,
            "url": _url(base, type=appointment_type.pk, provider=value),
            "selected": value == provider_value,
        }
        for value, name in choices
    ]
    if not provider_value:
        return flow

    provider_id = provider.pk if provider else None
    last_day = _last_bookable_day(appointment_type, now)
    start = parse_aware_datetime(params.get("start") or "")
    day = _parse_day(params.get("day"))
    if day is None and start is not None:
        day = start.astimezone(tz).date()
    if day is not None and not today <= day <= last_day:
        flow["notice"] = (
            f"{appointment_type.name} can be booked from today up to {_long_day_label(last_day)}."
        )
        day, start = None, None
    if params.get("first"):
        found = slot_rules.first_available(
            appointment_type, days=(last_day - today).days + 1, provider_id=provider_id, now=now
        )
        if found is None:
            flow["notice"] = "There are no open times for this choice at the moment. Please call us."
        else:
            day = found.start.astimezone(tz).date()

    picker_days = max(1, min(PICKER_DAYS, (last_day - today).days + 1))
    finder = slot_rules.SlotFinder(appointment_type, today, picker_days, provider_id=provider_id, now=now)
    by_day = finder.all_days()
    link = {"type": appointment_type.pk, "provider": provider_value}
    flow["days"] = [
        {
            "label": _day_label(d),
            "iso": d.isoformat(),
            "url": _url(base, **link, day=d.isoformat()),
            "open": bool(found_slots),
            "selected": d == day,
        }
        for d, found_slots in by_day.items()
    ]
    flow["first_url"] = _url(base, **link, first=1)
    flow["day"] = day
    if day is None:
        return flow

    day_slots = by_day.get(day)
    if day_slots is None:  # a day beyond the picker (the first available one)
        day_slots = slot_rules.open_slots(appointment_type, day, provider_id=provider_id, now=now)
    if provider is None:
        day_slots = slot_rules.distinct_times(day_slots)
    flow["day_label"] = _long_day_label(day)
    flow["slots"] = [
        _slot_view(
            s, tz, url=_url(base, **link, day=day.isoformat(), start=s.start.astimezone(tz).isoformat())
        )
        for s in day_slots
    ]
    if start is not None:
        chosen = next((s for s in flow["slots"] if s["start"] == start), None)
        for s in flow["slots"]:
            s["selected"] = s is chosen
        if chosen is None:
            flow["notice"] = GONE_MESSAGE
        flow["chosen"] = chosen
    return flow


def _details(flow: dict, form: BookingDetailsForm, *, error: str = "", offer_choices: bool = False) -> dict:
    """The details form of the page: the chosen time (hidden) or, after a failed post, the day's times to
    choose from again; always a fresh idempotency key (nothing was booked with the last one)."""
    chosen = flow.get("chosen")
    choices = flow["slots"] if (offer_choices or chosen is None) and flow.get("slots") is not None else None
    return {
        "form": form,
        "error": error,
        "key": str(uuid.uuid4()),
        "chosen": chosen,
        "choices": choices,
        "type_id": flow["appointment_type"].pk,
        "provider_value": flow["provider_value"],
    }


def _location_page(request, medspa, location, flow: dict, *, details: dict | None = None, status: int = 200):
    context = {"location": location, "flow": flow, "details": details}
    partial = request.htmx and not request.htmx.history_restore_request
    template = "scheduling/public/_flow.html" if partial else "scheduling/public/location.html"
    response = _render(request, template, context, medspa=medspa, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_http_methods(["GET", "POST"])
def booking_location(request, medspa_slug: str, location_slug: str):
    medspa = _medspa_or_none(medspa_slug)
    if medspa is None:
        return _unavailable(request, None, NO_PAGE_MESSAGE)
    with medspa_scope(medspa, audit_context=True):
        location = _active_location(medspa, location_slug)
        if location is None:
            return _unavailable(request, medspa, "This location is not taking online bookings.")
        base = reverse("booking_location", args=[medspa.slug, location.slug])
        if request.method == "POST":
            return _booking_post(request, medspa, location, base)
        params = request.GET
        if params.get("type") and params.get("provider") and rate_limit_exceeded(request, SLOT_LOOKUPS):
            return _too_many(request, medspa)
        flow = _flow(location, params, base=base, now=timezone.now())
        details = None
        if flow.get("chosen"):
            details = _details(flow, BookingDetailsForm(location=location))
        return _location_page(request, medspa, location, flow, details=details)


def _booking_post(request, medspa: Medspa, location: Location, base: str):
    if rate_limit_exceeded(request, BOOKING_POSTS):
        return _too_many(request, medspa)
    form = BookingDetailsForm(request.POST, location=location)
    if not form.is_valid():
        return _rerender(request, medspa, location, base, form, status=400)
    data = form.cleaned_data
    try:
        with transaction.atomic():
            _lock_key(f"public-booking:{medspa.pk}:{data['idempotency_key']}")
            patient = patient_match.patient_match_or_create(
                medspa=medspa,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                phone=data["phone"],
                date_of_birth=data["date_of_birth"],
                consent_email=data["consent_email"],
                consent_sms=data["consent_sms"],
            )
            appointment = appointment_book(
                appointment_type=data["appointment_type"],
                start=data["start"],
                patient=patient,
                provider=data["provider"],
                source=Appointment.Source.ONLINE,
                idempotency_key=data["idempotency_key"],
            )
            if appointment.patient_id != patient.pk:  # a key reused with someone else's details
                raise BookingInvalid("This form was already used. Please choose your time again.")
    except SlotUnavailable:
        return _rerender(request, medspa, location, base, form, error=TAKEN_MESSAGE, status=409)
    except BookingInvalid as error:
        return _rerender(request, medspa, location, base, form, error=str(error), status=400)
    return _see_other(reverse("booking_manage", args=[appointment.manage_token]) + "?booked=1")


def _rerender(request, medspa, location, base, form, *, error: str = "", status: int):
    params = {key: request.POST.get(key, "") for key in ("provider", "start")}
    params["type"] = request.POST.get("appointment_type", "")
    flow = _flow(location, params, base=base, now=timezone.now())
    if flow["appointment_type"] is None or not flow["provider_value"] or flow["slots"] is None:
        # Nothing left to pick a time from (a service, provider or day that cannot be booked): start again.
        if not error:
            error = (form.slot_errors() or ["Please choose your service and time again."])[0]
        flow["notice"] = error
        return _location_page(request, medspa, location, flow, status=status)
    if error:
        flow["notice"] = ""  # the error says it, beside the form
    if status == 409:
        flow.pop("chosen", None)
    details = _details(flow, form, error=error, offer_choices=status == 409)
    return _location_page(request, medspa, location, flow, details=details, status=status)


# --- The patient's manage page ------------------------------------------------------------------------------


def _appointment_facts(appointment: Appointment) -> dict:
    tz = appointment.location.tz
    window = appointment.appointment_type.cancellation_window_hours
    deadline = appointment.start - timedelta(hours=window)
    return {
        "service": appointment.appointment_type.name,
        "day": _long_day_label(appointment.local_start.date()),
        "time": _time_label(appointment.start, tz),
        "minutes": appointment.appointment_type.duration_minutes,
        "provider": _provider_name(appointment.provider),
        "location": appointment.location,
        "status": appointment.get_status_display(),
        "window_hours": window,
        "deadline": f"{_long_day_label(deadline.astimezone(tz).date())} at {_time_label(deadline, tz)}",
    }


def _changeable(appointment: Appointment, now: datetime) -> tuple[bool, bool]:
    """(open, too late): whether the patient may still cancel or reschedule online."""
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED):
        return False, False
    window = timedelta(hours=appointment.appointment_type.cancellation_window_hours)
    in_time = appointment.start - now >= window
    return in_time, not in_time


def _reschedule_options(appointment: Appointment, day: date | None, base: str, now: datetime) -> dict:
    """The days and the chosen day's open times for moving the appointment (same service and provider)."""
    appointment_type, tz = appointment.appointment_type, appointment.location.tz
    today = now.astimezone(tz).date()
    last_day = _last_bookable_day(appointment_type, now)
    options = {"provider_id": appointment.provider_id, "now": now, "exclude_appointment_id": appointment.pk}
    picker_days = max(1, min(PICKER_DAYS, (last_day - today).days + 1))
    by_day = slot_rules.SlotFinder(appointment_type, today, picker_days, **options).all_days()
    if day is not None and not today <= day <= last_day:
        day = None
    days = [
        {
            "label": _day_label(d),
            "iso": d.isoformat(),
            "url": _url(base, day=d.isoformat()),
            "open": any(s.start != appointment.start for s in found),
            "selected": d == day,
        }
        for d, found in by_day.items()
    ]
    slots = None
    if day is not None:
        found = by_day[day] if day in by_day else slot_rules.open_slots(appointment_type, day, **options)
        slots = [_slot_view(s, tz) for s in found if s.start != appointment.start]
    return {"days": days, "day": day, "day_label": _long_day_label(day) if day else "", "slots": slots}


def _manage_page(request, appointment, *, cancel_form=None, error="", status=200, day=None):
    now = timezone.now()
    base = reverse("booking_manage", args=[appointment.manage_token])
    can_change, too_late = _changeable(appointment, now)
    context = {
        "appointment": appointment,
        "facts": _appointment_facts(appointment),
        "can_change": can_change,
        "too_late": too_late,
        "error": error,
        "cancel_form": cancel_form or CancelForm(),
        "manage_url": request.build_absolute_uri(base),
        "base": base,
        "booked": request.GET.get("booked") == "1",
        "cancelled": request.GET.get("cancelled") == "1",
        "rescheduled": request.GET.get("rescheduled") == "1",
        "book_again_url": reverse(
            "booking_location", args=[appointment.medspa.slug, appointment.location.slug]
        ),
    }
    if can_change:
        context["reschedule"] = _reschedule_options(appointment, day, base, now)
    response = _render(
        request, "scheduling/public/manage.html", context, medspa=appointment.medspa, status=status
    )
    return response


@secret_link
@require_http_methods(["GET", "POST"])
def booking_manage(request, token: str):
    with scopes_disabled():
        appointment = (
            Appointment.objects.select_related("medspa", "location", "appointment_type", "provider__user")
            .filter(manage_token=token)
            .first()
        )
    if appointment is None:
        return _unavailable(
            request, None, "This link is not valid. Please check the link in your confirmation."
        )
    with medspa_scope(appointment.medspa, audit_context=True):
        day = _parse_day(request.GET.get("day"))
        if request.method == "GET":
            if day is not None and rate_limit_exceeded(request, SLOT_LOOKUPS):
                return _too_many(request, appointment.medspa)
            return _manage_page(request, appointment, day=day)
        if rate_limit_exceeded(request, BOOKING_POSTS):
            return _too_many(request, appointment.medspa)
        return _manage_post(request, appointment)


def _manage_post(request, appointment: Appointment):
    base = reverse("booking_manage", args=[appointment.manage_token])
    action = request.POST.get("action")
    if action == "cancel":
        form = CancelForm(request.POST)
        if not form.is_valid():
            return _manage_page(request, appointment, cancel_form=form, status=400)
        with refusals() as refused:
            appointment_cancel(appointment=appointment, reason=form.cleaned_data["reason"], by_patient=True)
        if refused:
            return _manage_page(request, appointment, cancel_form=form, error=refused.message, status=400)
        return _see_other(f"{base}?cancelled=1")
    if action == "reschedule":
        form = RescheduleForm(request.POST)
        start = form.cleaned_data["start"] if form.is_valid() else None
        day = start.astimezone(appointment.location.tz).date() if start else None
        if start is None:
            return _manage_page(request, appointment, error="Please choose a new time.", status=400)
        try:
            appointment_reschedule(appointment=appointment, start=start, by_patient=True)
        except SlotUnavailable:
            return _manage_page(request, appointment, error=TAKEN_MESSAGE, status=409, day=day)
        except BookingInvalid as error:
            return _manage_page(request, appointment, error=str(error), status=400, day=day)
        return _see_other(f"{base}?rescheduled=1")
    return _manage_page(request, appointment, error="Please choose what to do.", status=400)


# --- QR codes of the booking links --------------------------------------------------------------------------


def _qr_response(url: str) -> HttpResponse:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    response = HttpResponse(image.to_string(encoding="unicode"), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=3600"
    response["Content-Disposition"] = 'inline; filename="booking-qr.svg"'
    return response


@require_GET
def booking_medspa_qr(request, medspa_slug: str):
    medspa = _medspa_or_404(medspa_slug)
    return _qr_response(booking_base_url() + reverse("booking_medspa", args=[medspa.slug]))


@require_GET
def booking_location_qr(request, medspa_slug: str, location_slug: str):
    medspa = _medspa_or_404(medspa_slug)
    with medspa_scope(medspa, audit_context=True):
        location = _active_location(medspa, location_slug)
        if location is None:
            raise Http404("No such location is taking bookings.")
        return _qr_response(
            booking_base_url() + reverse("booking_location", args=[medspa.slug, location.slug])
        )
