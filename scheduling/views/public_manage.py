"""The patient's manage page (no sign-in): cancel or reschedule within the policy, from the secret link in
the confirmation. Posts and slot lookups are rate-limited per IP."""

import uuid
from datetime import date, datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django_scopes import scopes_disabled

from medspa.errors import refusals
from medspa.http import client_ip, secret_link
from medspa.models.payments import SavedCard
from medspa.payments import cards
from medspa.payments.client import PaymentError
from medspa.payments.connect import ready_account
from medspa.payments.csp import uses_stripe
from medspa.tenancy import medspa_scope
from scheduling.forms.public import (
    CancelForm,
    RescheduleForm,
)
from scheduling.models import Appointment, AppointmentStatus
from scheduling.selectors import paperwork as paperwork_rules
from scheduling.selectors import slots as slot_rules
from scheduling.selectors.booking_policy import (
    booking_policy_digest,
    booking_policy_lines,
    booking_policy_text,
)
from scheduling.services import deposits
from scheduling.services.booking import (
    BookingError,
    BookingInvalid,
    SlotUnavailable,
    appointment_cancel,
    appointment_reschedule,
)
from scheduling.services.ratelimit import BOOKING_POSTS, SLOT_LOOKUPS, rate_limit_exceeded
from scheduling.views.public_common import (
    PICKER_DAYS,
    TAKEN_MESSAGE,
    day_label,
    last_bookable_day,
    long_day_label,
    parse_day,
    provider_name,
    public_render,
    see_other,
    slot_view,
    time_label,
    too_many,
    unavailable,
    url_with,
)

# --- The patient's manage page ------------------------------------------------------------------------------


def _appointment_facts(appointment: Appointment) -> dict:
    tz = appointment.location.tz
    window = appointment.appointment_type.cancellation_window_hours
    deadline = appointment.start - timedelta(hours=window)
    return {
        "service": appointment.appointment_type.name,
        "day": long_day_label(appointment.local_start.date()),
        "time": time_label(appointment.start, tz),
        "minutes": appointment.appointment_type.duration_minutes,
        "provider": provider_name(appointment.provider),
        "location": appointment.location,
        "status": appointment.get_status_display(),
        "window_hours": window,
        "deadline": f"{long_day_label(deadline.astimezone(tz).date())} at {time_label(deadline, tz)}",
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
    last_day = last_bookable_day(appointment_type, now)
    options = {"provider_id": appointment.provider_id, "now": now, "exclude_appointment_id": appointment.pk}
    picker_days = max(1, min(PICKER_DAYS, (last_day - today).days + 1))
    by_day = slot_rules.SlotFinder(appointment_type, today, picker_days, **options).all_days()
    if day is not None and not today <= day <= last_day:
        day = None
    days = [
        {
            "label": day_label(d),
            "iso": d.isoformat(),
            "url": url_with(base, day=d.isoformat()),
            "open": any(s.start != appointment.start for s in found),
            "selected": d == day,
        }
        for d, found in by_day.items()
    ]
    slots = None
    if day is not None:
        found = by_day[day] if day in by_day else slot_rules.open_slots(appointment_type, day, **options)
        slots = [slot_view(s, tz) for s in found if s.start != appointment.start]
    return {"days": days, "day": day, "day_label": long_day_label(day) if day else "", "slots": slots}


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
    context.update(_card_context(appointment, request))
    context.update(_paperwork_context(appointment, now))
    response = public_render(
        request, "scheduling/public/manage.html", context, medspa=appointment.medspa, status=status
    )
    return response


def _paperwork_context(appointment: Appointment, now: datetime) -> dict:
    """The forms and consents before the visit and how far the patient is, with the paperwork link while the
    appointment is still open and something is left to do."""
    if appointment.status not in paperwork_rules.OPEN_STATUSES or appointment.end <= now:
        return {"paperwork": None}
    paperwork = paperwork_rules.appointment_paperwork(appointment)
    if not paperwork.needed:
        return {"paperwork": None}
    tz = appointment.location.tz
    rows = [
        (
            form.title,
            f"done {day_label(response.submitted_at.astimezone(tz).date())}" if response else "to do",
        )
        for form, response in paperwork.forms
    ] + [
        (
            version.consent.title,
            f"signed {day_label(signature.signed_at.astimezone(tz).date())}" if signature else "to sign",
        )
        for version, signature in paperwork.consents
    ]
    token = paperwork_rules.paperwork_token(appointment)
    return {
        "paperwork": paperwork,
        "paperwork_rows": rows,
        "paperwork_url": reverse("booking_paperwork", args=[token]),
    }


def _card_context(appointment: Appointment, request) -> dict:
    """The deposit paid, the policy accepted, the card on file and, when the medspa takes cards and the
    patient has none, Stripe's card field to save one."""
    medspa = appointment.medspa
    card = cards.patient_card(medspa=medspa, patient=appointment.patient)
    context = {
        "deposit": appointment.deposit,
        "card": card,
        "card_removed": request.GET.get("card_removed") == "1",
        "card_saved": request.GET.get("card_saved") == "1",
        "deposit_paid": request.GET.get("deposit_paid") == "1",
        "fees_apply": appointment.appointment_type.late_cancel_fee > 0
        or appointment.appointment_type.no_show_fee > 0,
        "card_setup": None,
    }
    if ready_account(medspa) is not None and deposits.deposit_payable(appointment):
        context["deposit_due"] = appointment.appointment_type.deposit_due
        context["deposit_key"] = uuid.uuid4().hex
        context["policy_lines"] = booking_policy_lines(appointment.appointment_type)
        context["policy_digest"] = booking_policy_digest(appointment.appointment_type)
    if card is None and appointment.is_active and ready_account(medspa) is not None:
        try:
            customer = cards.customer_for(medspa=medspa, patient=appointment.patient)
            context["card_setup"] = cards.card_setup_start(customer=customer)
        except PaymentError:
            context["card_setup"] = None  # Stripe out of reach: the page says nothing of saving a card
    return context


@uses_stripe
@secret_link
@require_http_methods(["GET", "POST"])
def booking_manage(request, token: str):
    with scopes_disabled():
        appointment = (
            Appointment.objects.select_related(
                "medspa", "location", "appointment_type", "provider__user", "patient", "deposit"
            )
            .filter(manage_token=token)
            .first()
        )
    if appointment is None:
        return unavailable(
            request, None, "This link is not valid. Please check the link in your confirmation."
        )
    with medspa_scope(appointment.medspa, audit_context=True):
        day = parse_day(request.GET.get("day"))
        if request.method == "GET":
            if day is not None and rate_limit_exceeded(request, SLOT_LOOKUPS):
                return too_many(request, appointment.medspa)
            return _manage_page(request, appointment, day=day)
        if rate_limit_exceeded(request, BOOKING_POSTS):
            return too_many(request, appointment.medspa)
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
        return see_other(f"{base}?cancelled=1")
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
        return see_other(f"{base}?rescheduled=1")
    if action in ("card_remove", "card_save"):
        return _card_post(request, appointment, action, base)
    if action == "deposit_pay":
        return _deposit_post(request, appointment, base)
    return _manage_page(request, appointment, error="Please choose what to do.", status=400)


def _card_post(request, appointment: Appointment, action: str, base: str):
    """The patient removes their card on file, or saves one (Stripe's card field, a SetupIntent made for
    their own customer)."""
    medspa = appointment.medspa
    try:
        if action == "card_remove":
            card = cards.patient_card(medspa=medspa, patient=appointment.patient)
            if card is not None:
                cards.card_remove(card=card, by=None)
            return see_other(f"{base}?card_removed=1")
        setup_intent = (request.POST.get("setup_intent") or "").strip()
        if not setup_intent:
            raise PaymentError("Please enter your card.")
        customer = cards.customer_for(medspa=medspa, patient=appointment.patient)
        cards.card_save(customer=customer, setup_intent_id=setup_intent, via=SavedCard.Via.MANAGE)
    except PaymentError as error:
        return _manage_page(request, appointment, error=str(error), status=error.status_code or 400)
    return see_other(f"{base}?card_saved=1")


def _deposit_post(request, appointment: Appointment, base: str):
    """The patient pays the deposit of an appointment booked without one, with their card on file, after
    accepting the booking policy as the page showed it."""
    appointment_type = appointment.appointment_type
    if request.POST.get("policy_digest") != booking_policy_digest(appointment_type):
        error = "The booking policy changed while you were reading it: please read it again."
        return _manage_page(request, appointment, error=error, status=409)
    if request.POST.get("accept_policy") != "on":
        return _manage_page(request, appointment, error="Please accept the booking policy.", status=400)
    card = cards.patient_card(medspa=appointment.medspa, patient=appointment.patient)
    if card is None:
        return _manage_page(request, appointment, error="Please save your card first.", status=400)
    form_key = (request.POST.get("deposit_key") or "").strip()
    if not form_key.isalnum() or len(form_key) > 32:
        return _manage_page(request, appointment, error="Please try again.", status=400)
    try:
        deposits.appointment_deposit_pay(
            appointment=appointment,
            card=card,
            form_key=form_key,
            policy_text=booking_policy_text(appointment_type),
            ip=client_ip(request),
        )
    except BookingError as error:
        return _manage_page(request, appointment, error=str(error), status=error.status_code)
    return see_other(f"{base}?deposit_paid=1")
