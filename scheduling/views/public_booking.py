"""The public booking pages (no sign-in): the medspa's and each location's booking link, and the booking
flow (service → provider or anyone → day → open slots → details → confirm). The patient's manage page is in
scheduling.views.public_manage, the QR codes in scheduling.views.public_qr.

Nobody is signed in here, so each view looks the medspa up with scopes disabled and then does all its work
inside that medspa's scope. The pages show only the visitor's own choices and booking: never another
patient, never who holds a time. Booking posts and slot lookups are rate-limited per IP."""

import uuid
from datetime import datetime

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from medspa import patient_match
from medspa.http import client_ip
from medspa.models import Medspa
from medspa.payments import cards
from medspa.payments.client import PaymentError
from medspa.payments.connect import ready_account
from medspa.payments.csp import uses_stripe
from medspa.tenancy import medspa_scope
from scheduling.forms.public import (
    ANY_PROVIDER,
    BookingDetailsForm,
    bookable_providers,
    bookable_types,
    parse_aware_datetime,
)
from scheduling.models import Appointment, Location
from scheduling.selectors import slots as slot_rules
from scheduling.selectors.booking_policy import (
    booking_policy_digest,
    booking_policy_enforced,
    booking_policy_lines,
    booking_policy_text,
)
from scheduling.services.booking import (
    BookingInvalid,
    SlotUnavailable,
    appointment_book,
)
from scheduling.services.deposits import (
    BookingPaymentFailed,
    appointment_card_secure,
    appointment_policy_accept,
)
from scheduling.services.ratelimit import (
    BOOKING_POSTS,
    SLOT_LOOKUPS,
    rate_limit_exceeded,
)
from scheduling.views.public_common import (
    GONE_MESSAGE,
    NO_PAGE_MESSAGE,
    PICKER_DAYS,
    TAKEN_MESSAGE,
    active_location,
    day_label,
    last_bookable_day,
    long_day_label,
    medspa_or_none,
    parse_day,
    provider_name,
    public_render,
    see_other,
    slot_view,
    too_many,
    unavailable,
    url_with,
)


def _lock_key(key: str) -> None:
    """Serialises two requests with one idempotency key (a double-click), until the transaction ends, so
    that the second finds the first one's patient and booking instead of making its own."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


# --- The medspa's page: choose a location -------------------------------------------------------------------


@require_GET
def booking_medspa(request, medspa_slug: str):
    medspa = medspa_or_none(medspa_slug)
    if medspa is None:
        return unavailable(request, None, NO_PAGE_MESSAGE)
    with medspa_scope(medspa, audit_context=True):
        locations = list(Location.objects.filter(medspa=medspa, is_active=True).order_by("name"))
        return public_render(
            request, "scheduling/public/medspa.html", {"locations": locations}, medspa=medspa
        )


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
        {"type": t, "url": url_with(base, type=t.pk), "selected": t == appointment_type} for t in types
    ]
    if appointment_type is None:
        return flow

    providers = list(bookable_providers(appointment_type))
    provider_value = params.get("provider") or ""
    provider = next((p for p in providers if str(p.pk) == provider_value), None)
    if provider_value != ANY_PROVIDER and provider is None:
        provider_value = ""
    flow["provider_value"], flow["provider"] = provider_value, provider
    flow["provider_name"] = provider_name(provider)
    choices = [(ANY_PROVIDER, "Anyone available")] + [(str(p.pk), provider_name(p)) for p in providers]
    flow["providers"] = [
        {
            "name": name,
            "url": url_with(base, type=appointment_type.pk, provider=value),
            "selected": value == provider_value,
        }
        for value, name in choices
    ]
    if not provider_value:
        return flow

    provider_id = provider.pk if provider else None
    last_day = last_bookable_day(appointment_type, now)
    start = parse_aware_datetime(params.get("start") or "")
    day = parse_day(params.get("day"))
    if day is None and start is not None:
        day = start.astimezone(tz).date()
    if day is not None and not today <= day <= last_day:
        flow["notice"] = f"{appointment_type.name} can be booked from today up to {long_day_label(last_day)}."
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
            "label": day_label(d),
            "iso": d.isoformat(),
            "url": url_with(base, **link, day=d.isoformat()),
            "open": bool(found_slots),
            "selected": d == day,
        }
        for d, found_slots in by_day.items()
    ]
    flow["first_url"] = url_with(base, **link, first=1)
    flow["day"] = day
    if day is None:
        return flow

    day_slots = by_day.get(day)
    if day_slots is None:  # a day beyond the picker (the first available one)
        day_slots = slot_rules.open_slots(appointment_type, day, provider_id=provider_id, now=now)
    if provider is None:
        day_slots = slot_rules.distinct_times(day_slots)
    flow["day_label"] = long_day_label(day)
    flow["slots"] = [
        slot_view(
            s, tz, url=url_with(base, **link, day=day.isoformat(), start=s.start.astimezone(tz).isoformat())
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
    choose from again; always a fresh idempotency key (nothing was booked with the last one). A type whose
    booking policy the medspa can enforce shows the policy, its acceptance and Stripe's card field, with a
    SetupIntent made for this form's key alone."""
    chosen = flow.get("chosen")
    choices = flow["slots"] if (offer_choices or chosen is None) and flow.get("slots") is not None else None
    key = str(uuid.uuid4())
    appointment_type = flow["appointment_type"]
    policy, setup, card_error = [], None, ""
    if booking_policy_enforced(appointment_type):
        policy = booking_policy_lines(appointment_type)
        try:
            setup = cards.card_setup_start(medspa=appointment_type.medspa, metadata={"booking": key})
        except PaymentError:
            card_error = (
                "This service is booked with a card, and our payment processor cannot be reached right now. "
                "Please try again in a few minutes, or call us."
            )
    return {
        "form": form,
        "error": error,
        "key": key,
        "policy": policy,
        "policy_digest": booking_policy_digest(appointment_type) if policy else "",
        "deposit": appointment_type.deposit_due if policy else None,
        "setup": setup,
        "card_error": card_error,
        "chosen": chosen,
        "choices": choices,
        "type_id": flow["appointment_type"].pk,
        "provider_value": flow["provider_value"],
    }


def _location_page(request, medspa, location, flow: dict, *, details: dict | None = None, status: int = 200):
    # Stripe's scripts load with the whole page when its card field may appear in a later step.
    context = {
        "location": location,
        "flow": flow,
        "details": details,
        "cards": ready_account(medspa) is not None,
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "scheduling/public/_flow.html" if partial else "scheduling/public/location.html"
    response = public_render(request, template, context, medspa=medspa, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@uses_stripe
@require_http_methods(["GET", "POST"])
def booking_location(request, medspa_slug: str, location_slug: str):
    medspa = medspa_or_none(medspa_slug)
    if medspa is None:
        return unavailable(request, None, NO_PAGE_MESSAGE)
    with medspa_scope(medspa, audit_context=True):
        location = active_location(medspa, location_slug)
        if location is None:
            return unavailable(request, medspa, "This location is not taking online bookings.")
        base = reverse("booking_location", args=[medspa.slug, location.slug])
        if request.method == "POST":
            return _booking_post(request, medspa, location, base)
        params = request.GET
        if params.get("type") and params.get("provider") and rate_limit_exceeded(request, SLOT_LOOKUPS):
            return too_many(request, medspa)
        flow = _flow(location, params, base=base, now=timezone.now())
        details = None
        if flow.get("chosen"):
            details = _details(flow, BookingDetailsForm(location=location))
        return _location_page(request, medspa, location, flow, details=details)


def _booking_post(request, medspa: Medspa, location: Location, base: str):
    if rate_limit_exceeded(request, BOOKING_POSTS):
        return too_many(request, medspa)
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
                # Under a booking policy, confirmed only once the card is saved and the deposit paid.
                notify=not data["policy_enforced"],
            )
            if appointment.patient_id != patient.pk:  # a key reused with someone else's details
                raise BookingInvalid("This form was already used. Please choose your time again.")
            if data["policy_enforced"]:
                appointment_policy_accept(
                    appointment=appointment,
                    text=booking_policy_text(data["appointment_type"]),
                    ip=client_ip(request),
                )
    except SlotUnavailable:
        return _rerender(request, medspa, location, base, form, error=TAKEN_MESSAGE, status=409)
    except BookingInvalid as error:
        return _rerender(request, medspa, location, base, form, error=str(error), status=400)
    if data["policy_enforced"]:
        try:
            appointment_card_secure(
                appointment=appointment,
                setup_intent_id=data["setup_intent"],
                form_key=data["idempotency_key"],
            )
        except BookingPaymentFailed as error:
            return _rerender(request, medspa, location, base, form, error=str(error), status=402)
    return see_other(reverse("booking_manage", args=[appointment.manage_token]) + "?booked=1")


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
