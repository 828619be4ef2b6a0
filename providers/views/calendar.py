"""The provider's own calendar in the Provider dashboard: only their appointments (day and week views),
check-in, the visit's buttons and their secret iCal link; one of their appointments opens with
?appointment=<id>, anyone else's is a 404. The page extends scheduling's shared calendar and appointment
pages.

The visit's buttons ("Start visit", "Open visit", "Chart this visit") are also what this app puts on the
admin's own appointments in the scheduling calendar: `visit_actions` and `visit_page_actions`, registered
in scheduling.selectors.calendar.APPOINTMENT_ACTIONS by ProvidersConfig.ready."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.search import SearchResult
from medspa.services.patients import patient_access_record, patients_access_record
from providers.views.fees import fee_actions
from scheduling.models import Appointment, AppointmentStatus
from scheduling.selectors import statuses
from scheduling.selectors.calendar import (
    AppointmentAction,
    appointment_for_page,
    calendar_grid,
    gfe_status,
    grid_attributes,
    paperwork_attach,
)
from scheduling.selectors.search import appointment_results, appointments_matching
from scheduling.services import booking
from scheduling.services import settings as settings_services
from scheduling.views.calendar_grid import events_response

# The appointment's service visit (this app's Visit, a reverse one-to-one), joined with the appointment.
VISIT_RELATION = "visit"


def _visit(appointment: Appointment):
    """The visit started from `appointment`, or None."""
    try:
        return appointment.visit
    except ObjectDoesNotExist:
        return None


def visit_actions(appointment: Appointment) -> list[AppointmentAction]:
    """ "Open visit" once started, "Start visit" when the patient is checked in, "Chart this visit" for a
    completed appointment without a chart."""
    visit = _visit(appointment)
    if visit is not None:
        return [AppointmentAction("Open visit", reverse("providers:visit_detail", args=[visit.pk]))]
    start = reverse("providers:visit_start", args=[appointment.pk])
    if appointment.status == AppointmentStatus.CHECKED_IN:
        return [AppointmentAction("Start visit", start, method="post")]
    if appointment.status == AppointmentStatus.COMPLETED:
        return [AppointmentAction("Chart this visit", start, method="post", css="button-secondary")]
    return []


def visit_page_actions(appointment: Appointment) -> list[AppointmentAction]:
    """The visit's buttons on the admin's appointment page: once started or once the patient is in."""
    if _visit(appointment) is None and appointment.status != AppointmentStatus.CHECKED_IN:
        return []
    return visit_actions(appointment)


def _check_in(appointment: Appointment) -> AppointmentAction:
    return AppointmentAction(
        "Check in",
        reverse("providers:calendar"),
        method="post",
        fields=(("action", "check_in"), ("appointment", str(appointment.pk))),
    )


def _actions(appointment: Appointment, *, can_check_in: bool) -> list[AppointmentAction]:
    """Check-in when the patient may be checked in now, then the visit's buttons."""
    check_in = [_check_in(appointment)] if can_check_in else []
    return check_in + visit_actions(appointment)


@dashboard_area(dashboards.PROVIDER)
def provider_calendar(request):
    """GET shows the grid, or one of their appointments with ?appointment=<id> (another's is a 404);
    POST action=check_in&appointment=<id> checks a patient in; POST action=feed_revoke makes a new iCal
    link and kills the old one."""
    own = request.membership
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "check_in":
            appointment = appointment_for_page(request.POST.get("appointment", ""), provider=own)
            with refusals(request):
                booking.appointment_status_set(appointment=appointment, status=AppointmentStatus.CHECKED_IN)
                messages.success(request, f"{appointment.patient.full_name} is checked in.")
            return redirect(reverse("providers:calendar") + f"?appointment={appointment.pk}")
        if action == "feed_revoke":
            feed = settings_services.calendar_feed_get_or_create(provider=own)
            settings_services.calendar_feed_revoke(feed=feed)
            messages.success(request, "The old link no longer works. Subscribe again with the new one.")
            return redirect("providers:calendar")
        return HttpResponseBadRequest("Unknown action.")
    if "appointment" in request.GET:
        return _detail(request, appointment_for_page(request.GET["appointment"], provider=own))
    context = calendar_grid(request, own=own)
    here = reverse("providers:calendar")
    for appointment in context["appointments"]:
        appointment.calendar_url = f"{here}?appointment={appointment.pk}"
        appointment.calendar_actions = _actions(appointment, can_check_in=appointment.can_check_in)
    patients_access_record(
        patients=[appointment.patient for appointment in context["appointments"]],
        request=request,
        viewed=f"Calendar: {context['title']}",
    )
    feed = settings_services.calendar_feed_get_or_create(provider=own)
    context.update(
        can_book=False,
        can_pick_provider=False,
        day_list_empty="providers/calendar/_day_list_empty.html",
        feed_url=request.build_absolute_uri(reverse("calendar_feed", kwargs={"token": feed.token})),
        grid=grid_attributes(context, events_url=reverse("providers:calendar_events"), own=True),
    )
    return render(request, "providers/calendar/calendar.html", context)


@require_GET
@dashboard_area(dashboards.PROVIDER)
def provider_calendar_events(request):
    """The provider's own appointments of a range of days, for their time grid: no one else's, whatever the
    query asks. Their grid only shows: moving appointments is the front desk's (the admin's calendar)."""
    here = reverse("providers:calendar")
    return events_response(request, own=request.membership, url_of=lambda pk: f"{here}?appointment={pk}")


def _detail(request, appointment: Appointment):
    """One of the provider's appointments: its facts, check-in and the visit's buttons."""
    can_check_in = AppointmentStatus.CHECKED_IN in statuses.appointment_statuses_allowed(
        appointment=appointment
    )
    paperwork_attach([appointment])
    context = {
        "appointment": appointment,
        "link_patient": False,
        "actions": _actions(appointment, can_check_in=can_check_in),
        "fee_actions": fee_actions(appointment, sale_url_name="providers:sale_detail"),
        "visit_waits": _visit(appointment) is None and appointment.status != AppointmentStatus.CHECKED_IN,
        "gfe_status": gfe_status(appointment),
        "back_url": reverse("providers:calendar")
        + "?"
        + urlencode({"view": "day", "date": appointment.local_start.date().isoformat()}),
    }
    patient_access_record(
        patient=appointment.patient, request=request, viewed=f"Appointment {appointment.pk}"
    )
    return render(request, "providers/calendar/detail.html", context)


def own_appointments_found(request, query: str, *, limit: int, offset: int = 0) -> list[SearchResult]:
    """The top bar's search in the Provider dashboard: only the provider's own appointments, each opening
    on their own calendar."""
    here = reverse("providers:calendar")
    appointments = appointments_matching(query).filter(provider=request.membership)[offset : offset + limit]
    return appointment_results(appointments, lambda appointment: f"{here}?appointment={appointment.pk}")
