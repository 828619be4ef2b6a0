"""The medspa admin's transition page (/dashboard/settings/transition/): asking Portrait to move from Legacy
to Launch or Flex (or, on Launch or Flex with a coordinator, to let the coordinator go), following the plan's
steps (refreshed live), the Acuity import's conflicts, the OpenPhone release (the new account, the
acknowledgement, both written confirmations) and the timeline.

Views are thin: every change is a service call (transition.services) which refuses what the rules do not
allow (TransitionRuleBroken), shown to the person as a form error with status 400."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from medspa import clock, dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.models.tenancy import BusinessModel
from transition.forms.notes import booking_resolve_form
from transition.forms.openphone import AcknowledgeForm, OpenPhoneAccountForm
from transition.forms.terms import CoordinatorLeavesForm, TransitionTermsForm
from transition.models import AcuityBooking, Transition
from transition.models.transitions import OPEN_STATUSES, OPENPHONE_ACKNOWLEDGEMENT, StepKind, StepStatus
from transition.selectors.transitions import transition_current
from transition.services import approval, by_hand, confirmations
from transition.views.details import details, hidden_errors, in_person, step_rows


def _page(request, *, request_form=None, leave_form=None, bound=None, status: int = 200):
    medspa = request.medspa
    transition = transition_current(medspa)
    under_way = bool(transition and transition.is_open)
    can_request = medspa.business_model == BusinessModel.LEGACY and not under_way
    can_let_go = medspa.business_model != BusinessModel.LEGACY and medspa.keeps_coordinator and not under_way
    context = {
        "can_request": can_request,
        "request_form": (request_form or TransitionTermsForm(medspa=medspa)) if can_request else None,
        "can_let_go": can_let_go,
        "leave_form": (leave_form or CoordinatorLeavesForm(medspa=medspa)) if can_let_go else None,
        # A valid choice of day not confirmed yet: the page says what happens that day, and asks.
        "leave_confirming": bool(
            can_let_go and leave_form is not None and leave_form.is_valid() and not leave_form.errors
        ),
        "acknowledgement": OPENPHONE_ACKNOWLEDGEMENT,
        "today": clock.today(medspa),
        "transition": transition,
    }
    if transition is not None:
        context.update(details(request, transition, bound=bound))
    refused = {}
    if request_form is not None and not can_request:  # e.g. not on Legacy (any more): say why, above all
        refused["request"] = request_form
    if leave_form is not None and not can_let_go:
        refused["leave"] = leave_form
    if refused:
        context["refusal"] = hidden_errors(refused) or "This cannot be asked for now."
    return render(request, "transition/page.html", context, status=status)


@require_GET
@dashboard_area(dashboards.ADMIN)
def page(request):
    return _page(request)


@require_GET
@dashboard_area(dashboards.ADMIN)
def steps(request):
    """The steps' live statuses: the fragment the page polls every 10 s (htmx swaps it in place)."""
    transition = transition_current(request.medspa)
    context = {"transition": transition}
    if transition is not None:
        step_list = list(transition.steps.select_related("done_by"))
        context["rows"] = step_rows(transition, step_list)
    return render(request, "transition/_steps.html", context)


@require_POST
@dashboard_area(dashboards.ADMIN)
def request_transition(request):
    form = TransitionTermsForm(request.POST, medspa=request.medspa)
    if form.is_valid():
        with refusals(form=form):
            approval.transition_request(medspa=request.medspa, by=request.user, terms=form.terms())
            messages.success(
                request, "Your request was sent to Portrait: you will see here when it is approved."
            )
            return redirect("transition:page")
    return _page(request, request_form=form, status=400)


@require_POST
@dashboard_area(dashboards.ADMIN)
def coordinator_leaves(request):
    """The admin asks Portrait to let the coordinator go from a day they choose: a first post shows what
    happens that day and asks for confirmation; the confirmed post sends the request."""
    form = CoordinatorLeavesForm(request.POST, medspa=request.medspa)
    if form.is_valid() and form.cleaned_data["confirmed"]:
        with refusals(form=form):
            approval.transition_request(medspa=request.medspa, by=request.user, terms=form.terms())
            messages.success(
                request,
                "Your request to let the coordinator go was sent to Portrait: you will see here when it is "
                "approved.",
            )
            return redirect("transition:page")
    if not form.is_valid():
        return _page(request, leave_form=form, status=400)
    return _page(request, leave_form=form)  # valid, to confirm


def _open_transition(request) -> Transition:
    return get_object_or_404(
        Transition.objects.select_related("medspa"), medspa=request.medspa, status__in=OPEN_STATUSES
    )


@require_POST
@dashboard_area(dashboards.ADMIN)
def import_again(request):
    """The admin runs the Acuity import again, once they added the patients it could not match."""
    transition = _open_transition(request)
    step = get_object_or_404(transition.steps, kind=StepKind.ACUITY_IMPORT)
    if step.status != StepStatus.WAITING or step.needs_hand:
        messages.error(request, "The import cannot run again now.")
        return _page(request, status=400)
    by_hand.step_retry(step=step, by=request.user)
    messages.success(request, "The import runs again: appointments it can now place appear in the calendar.")
    return redirect(reverse("transition:page") + "#acuity")


@require_POST
@dashboard_area(dashboards.ADMIN)
def openphone_account(request):
    in_person(request)
    transition = _open_transition(request)
    form = OpenPhoneAccountForm(request.POST)
    if form.is_valid():
        with refusals(form=form):
            confirmations.openphone_account_set(
                transition=transition,
                by=request.user,
                email=form.cleaned_data["email"],
                workspace=form.cleaned_data["workspace"],
            )
            transition.refresh_from_db()
            text = f"The number will move to {transition.openphone_target_email}."
            if transition.openphone_acknowledged_at:
                text += f" A new confirmation link was emailed to {request.user.email}."
            messages.success(request, text)
            return redirect(reverse("transition:page") + "#openphone")
    return _page(request, bound={"account": form}, status=400)


@require_POST
@dashboard_area(dashboards.ADMIN)
def openphone_acknowledge(request):
    in_person(request)
    transition = _open_transition(request)
    form = AcknowledgeForm(request.POST, acknowledged=transition.openphone_acknowledged_at is not None)
    if form.is_valid():
        with refusals(form=form):
            confirmations.openphone_acknowledge(transition=transition, by=request.user)
            messages.success(
                request,
                f"The confirmation link was emailed to {request.user.email}: open it and press “Confirm”.",
            )
            return redirect(reverse("transition:page") + "#openphone")
    return _page(request, bound={"ack": form}, status=400)


@require_POST
@dashboard_area(dashboards.ADMIN)
def booking_resolve(request, pk: int):
    booking = get_object_or_404(AcuityBooking.objects.select_related("transition"), pk=pk)
    form = booking_resolve_form(booking, request.POST)
    if form.is_valid():
        with refusals(form=form):
            by_hand.booking_resolve(booking=booking, by=request.user, note=form.cleaned_data["note"])
            messages.success(request, f"The Acuity appointment of {booking.patient_name} is marked resolved.")
            return redirect(reverse("transition:page") + "#acuity")
    return _page(request, bound={"booking": (booking.pk, form)}, status=400)
