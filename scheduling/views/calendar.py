"""The admin's centralised calendar (every provider, day and week views, filtered by location and
provider) with booking, rescheduling, cancelling and status changes. The provider's own calendar is the
Provider dashboard's (providers.views.calendar); the iCal feeds are scheduling.views.feeds.

The admin's calendar is also the whole of the Patient Care Coordinator's dashboard: they schedule, and
reach nothing else. In their dashboard the pages leave out the links to pages they cannot open (patient
profile, visits, the scheduling settings): `coordinator_view` in the templates' context. An admin who also
treats sees the buttons the apps above register (scheduling.selectors.calendar.APPOINTMENT_ACTIONS) on
their own appointments, outside the coordinator's dashboard."""

from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_POST

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.services.patients import patient_access_record, patients_access_record
from scheduling.forms.calendar import AppointmentBookForm, AppointmentCancelForm, AppointmentRescheduleForm
from scheduling.models import AppointmentStatus
from scheduling.selectors import statuses
from scheduling.selectors.calendar import (
    appointment_calendar_actions,
    appointment_for_page,
    appointment_page_cards,
    calendar_grid,
    gfe_status,
    grid_attributes,
    paperwork_attach,
    rooms_to_move_to,
)
from scheduling.services import booking

# The buttons of the status transitions an appointment allows (cancelling has its own form, with a reason).
STATUS_ACTIONS = {
    AppointmentStatus.CONFIRMED: "Confirm",
    AppointmentStatus.CHECKED_IN: "Check in",
    AppointmentStatus.COMPLETED: "Complete",
    AppointmentStatus.NO_SHOW: "No-show",
}


@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def calendar(request):
    """Every provider's calendar, for the admin and the coordinator: the time grid of a day (a column per
    provider or per room) or a week, drawn from the events endpoint, moved by dragging
    (scheduling.views.calendar_grid); and the day's list with the appointments' buttons."""
    context = _with_day_list(request)
    context.update(
        # The Move dialog's rooms (the keyboard's way to move an appointment; it offers the appointment's
        # location's only).
        move_rooms=rooms_to_move_to(),
        can_book=True,
        can_pick_provider=True,
        grid=grid_attributes(
            context,
            events_url=reverse("scheduling:calendar_events"),
            move_url=reverse("scheduling:appointment_move", args=[0]),
            book_url=_quick_book_url(),
        ),
    )
    return render(request, "scheduling/calendar/calendar.html", context)


@require_GET
@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def calendar_day_list(request):
    """The calendar page's list of the day alone, for the same day and filters (the page's query string):
    what the grid reads again after a move, an Undo or a booking, instead of the whole page."""
    return render(request, "scheduling/calendar/_day_list.html", _with_day_list(request))


def _with_day_list(request) -> dict:
    """The calendar page's context with its day's list ready to show (each appointment's link, and the
    buttons of the apps above on the viewer's own) and a read of every patient it names logged; the list
    says where it is read again alone."""
    context = calendar_grid(request)
    coordinator_view = _coordinator_view(request)
    for appointment in context["appointments"]:
        appointment.calendar_url = reverse("scheduling:appointment_detail", args=[appointment.pk])
        if _is_own(request, appointment, coordinator_view=coordinator_view):
            appointment.calendar_actions = appointment_calendar_actions(appointment)
    patients_access_record(
        patients=[appointment.patient for appointment in context["appointments"]],
        request=request,
        # The list's day (the week view's title names the week, the list one day of it)
        viewed=f"Calendar: {context['day']:%A, %B} {context['day'].day}, {context['day'].year}",
    )
    context.update(
        coordinator_view=coordinator_view,
        day_list_empty="scheduling/calendar/_day_list_empty.html",
        day_list_url=reverse("scheduling:calendar_day_list") + context["page_query"],
    )
    return context


def _quick_book_url() -> dict:
    """Where a click on an empty time books: the quick booking panel, or the booking page without it."""
    try:
        return {"quick-book-url": reverse("scheduling:quick_book")}
    except NoReverseMatch:
        return {"book-url": reverse("scheduling:appointment_new")}


def _coordinator_view(request) -> bool:
    """The page is seen from the coordinator's dashboard: no links to patient profiles, visits or settings."""
    return getattr(request, "dashboard", None) == dashboards.COORDINATOR


def _is_own(request, appointment, *, coordinator_view: bool) -> bool:
    """The appointment is the viewer's own (an admin who also treats), outside the coordinator's dashboard:
    the apps above may put their buttons on it."""
    return appointment.provider_id == request.membership.pk and not coordinator_view


def _detail(request, appointment, *, reschedule_form=None, cancel_form=None, error="", status=200):
    allowed = statuses.appointment_statuses_allowed(appointment=appointment)
    actions = [(value, label) for value, label in STATUS_ACTIONS.items() if value in allowed]
    can_change = appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
    if not can_change and reschedule_form is not None and not error:  # the form is not shown: say why here
        error = " ".join(reschedule_form.non_field_errors())
    coordinator_view = _coordinator_view(request)
    own = _is_own(request, appointment, coordinator_view=coordinator_view)
    paperwork_attach([appointment])
    # The notification log names a pre-visit care message by its title.
    prefetch_related_objects([appointment], "notifications__care_version__care_message")
    context = {
        "appointment": appointment,
        "coordinator_view": coordinator_view,
        "link_patient": not coordinator_view,
        "actions": actions,
        "cards": [] if coordinator_view else appointment_page_cards(appointment, own=own),
        "can_change": can_change,
        "reschedule_form": reschedule_form or AppointmentRescheduleForm(appointment=appointment),
        "cancel_form": cancel_form or AppointmentCancelForm(),
        "error": error,
        "gfe_status": gfe_status(appointment),
        "back_url": reverse("scheduling:calendar")
        + "?"
        + urlencode({"view": "day", "date": appointment.local_start.date().isoformat()}),
    }
    patient_access_record(
        patient=appointment.patient, request=request, viewed=f"Appointment {appointment.pk}"
    )
    return render(request, "scheduling/calendar/detail.html", context, status=status)


@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def appointment_new(request):
    """Books a patient: type, provider (or whoever is free), date and time at the type's location."""
    initial = {}
    if request.method == "GET":
        for name in ("date", "time", "provider", "appointment_type", "patient"):
            if request.GET.get(name):
                initial[name] = request.GET[name]
    form = AppointmentBookForm(request.POST or None, medspa=request.medspa, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            with refusals(form=form) as refused:
                appointment = booking.appointment_book(
                    appointment_type=data["appointment_type"],
                    start=data["start"],
                    patient=data["patient"],
                    provider=data["provider"],
                    by=request.user,
                    notes=data["notes"],
                    idempotency_key=data["idempotency_key"] or None,
                )
                messages.success(
                    request,
                    f"{appointment.patient.full_name} is booked for {appointment.appointment_type.name} on "
                    f"{date_format(appointment.local_start, 'D M j, g:i A')}.",
                )
                return redirect("scheduling:appointment_detail", pk=appointment.pk)
            status = refused.status_code  # 409 for a time taken meanwhile
    # The patient choice lists every bookable patient with their date of birth: each is a read.
    listed = form.fields["patient"].queryset.only("pk", "medspa_id")
    patients_access_record(patients=listed, request=request, viewed="Calendar: booking form's patient choice")
    return render(request, "scheduling/calendar/appointment_form.html", {"form": form}, status=status)


@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def appointment_detail(request, pk: int):
    """An appointment's facts, its status buttons, the reschedule and cancel forms and its notifications."""
    return _detail(request, appointment_for_page(pk))


@require_POST
@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def appointment_reschedule(request, pk: int):
    appointment = appointment_for_page(pk)
    form = AppointmentRescheduleForm(request.POST, appointment=appointment)
    if not form.is_valid():
        return _detail(request, appointment, reschedule_form=form, status=400)
    with refusals(form=form) as refused:
        booking.appointment_reschedule(
            appointment=appointment, start=form.cleaned_data["start"], provider=form.cleaned_data["provider"]
        )
    if refused:  # 409 for a time taken meanwhile
        return _detail(request, appointment, reschedule_form=form, status=refused.status_code)
    appointment = appointment_for_page(pk)
    messages.success(request, f"Rescheduled to {date_format(appointment.local_start, 'D M j, g:i A')}.")
    return redirect("scheduling:appointment_detail", pk=appointment.pk)


@require_POST
@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def appointment_cancel(request, pk: int):
    appointment = appointment_for_page(pk)
    form = AppointmentCancelForm(request.POST)
    if not form.is_valid():
        return _detail(request, appointment, cancel_form=form, status=400)
    with refusals() as refused:
        booking.appointment_cancel(appointment=appointment, reason=form.cleaned_data["reason"])
    if refused:
        return _detail(request, appointment, cancel_form=form, error=refused.message, status=400)
    messages.success(request, "The appointment was cancelled; its time is free again.")
    return redirect("scheduling:appointment_detail", pk=appointment.pk)


@require_POST
@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def appointment_status(request, pk: int):
    appointment = appointment_for_page(pk)
    status = request.POST.get("status", "")
    if status not in AppointmentStatus.values:
        return _detail(request, appointment, error="Choose a status.", status=400)
    with refusals() as refused:
        booking.appointment_status_set(appointment=appointment, status=status)
    if refused:
        return _detail(request, appointment, error=refused.message, status=400)
    messages.success(request, f"The appointment is now {AppointmentStatus(status).label.lower()}.")
    return redirect("scheduling:appointment_detail", pk=appointment.pk)
