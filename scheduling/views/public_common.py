"""What the public booking pages share (no sign-in): the look-ups of a medspa and its locations by slug, the
page frame without the staff top bar, the refusals (page gone, too many requests), and the labels of days and
times. The pages: scheduling.views.public_booking (the booking flow), public_manage (the patient's manage
page) and public_qr (the QR codes of the booking links)."""

from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django_scopes import scopes_disabled

from medspa.models import Medspa, Membership
from scheduling.models import AppointmentType, Location
from scheduling.selectors import slots as slot_rules
from scheduling.services.ratelimit import retry_after_seconds

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


# --- Look-ups, frame and labels --------------------------------------------------------------------------


def medspa_or_none(slug: str) -> Medspa | None:
    with scopes_disabled():
        return Medspa.objects.filter(slug=slug).first()


def medspa_or_404(slug: str) -> Medspa:
    with scopes_disabled():
        return get_object_or_404(Medspa, slug=slug)


def active_location(medspa: Medspa, slug: str) -> Location | None:
    return Location.objects.filter(medspa=medspa, slug=slug, is_active=True).first()


def booking_base_url() -> str:
    """The site's address for absolute booking links (settings.SITE_URL, no trailing slash)."""
    return settings.SITE_URL.rstrip("/")


def public_render(request, template: str, context: dict, *, medspa: Medspa | None, status: int = 200):
    response = render(
        request,
        template,
        {**PUBLIC_CONTEXT, "current_medspa": medspa, "medspa": medspa, **context},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


def unavailable(request, medspa: Medspa | None, message: str = ""):
    locations = list(Location.objects.filter(medspa=medspa, is_active=True)) if medspa else []
    return public_render(
        request,
        "scheduling/public/unavailable.html",
        {"message": message, "locations": locations},
        medspa=medspa,
        status=404,
    )


def too_many(request, medspa: Medspa | None):
    response = public_render(request, "scheduling/public/rate_limited.html", {}, medspa=medspa, status=429)
    response["Retry-After"] = str(retry_after_seconds())
    if request.htmx:  # htmx does not swap error responses: load the page itself, which explains
        response["HX-Redirect"] = request.get_full_path()
    return response


def see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def time_label(moment: datetime, tz) -> str:
    local = moment.astimezone(tz)
    return f"{local:%I:%M %p}".lstrip("0") + f" {local.tzname()}"


def day_label(day: date) -> str:
    return f"{day:%a, %b} {day.day}"


def long_day_label(day: date) -> str:
    return f"{day:%A, %B} {day.day}, {day.year}"


def provider_name(membership: Membership | None) -> str:
    if membership is None:
        return "the first available provider"
    return membership.user.full_name or "Provider"


def parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def url_with(base: str, **params) -> str:
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return f"{base}?{query}" if query else base


def slot_view(slot: slot_rules.Slot, tz, *, url: str = "") -> dict:
    local = slot.start.astimezone(tz)
    return {"iso": local.isoformat(), "label": time_label(slot.start, tz), "url": url, "start": slot.start}


def last_bookable_day(appointment_type: AppointmentType, now: datetime) -> date:
    return (
        (now + timedelta(days=appointment_type.horizon_days)).astimezone(appointment_type.location.tz).date()
    )
