"""Portrait's transition pages (Portrait staff only, /transitions/): every medspa's transitions and what
needs a person, starting one for a Legacy medspa or letting the coordinator of a Launch or Flex medspa go,
and one transition's page where staff decide a request, confirm the OpenPhone release for Portrait, retry a
failed step or mark one done by hand, resolve Acuity conflicts and keep the medspa's Legacy tools (the
vendors' ids the steps use).

Staff belong to no medspa: lists are read with scopes disabled; acting on one transition runs in its medspa's
scope, with the medspa in the audit context. Every change is a service call (transition.services)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_scopes import scopes_disabled

from medspa.errors import refusals
from medspa.http import client_ip
from medspa.permissions import staff_required
from medspa.tenancy import medspa_scope
from medspa.timezones import medspa_time_zone
from transition.forms.notes import (
    ApproveForm,
    booking_resolve_form,
    cancel_form,
    decline_form,
    step_done_form,
)
from transition.forms.terms import StaffCoordinatorLeavesForm, StaffScheduleForm
from transition.forms.tools import LegacyToolsForm
from transition.models import AcuityBooking, LegacyTools, Transition, TransitionStep
from transition.models.transitions import OPEN_STATUSES, StepStatus, TransitionStatus
from transition.services import approval, base, by_hand, confirmations
from transition.views.details import details, hidden_errors

PAGE_SIZE = 25
STATUS_FILTERS = {"open": "Open (requested or scheduled)", "all": "All transitions"}


def _transition(pk: int) -> Transition:
    with scopes_disabled():
        return get_object_or_404(
            Transition.objects.select_related("medspa", "requested_by", "decided_by", "openphone_account_by"),
            pk=pk,
        )


# --- The list ---------------------------------------------------------------------------------------------


@require_GET
@staff_required
def transition_list(request):
    show = request.GET.get("status", "open")
    show = show if show in STATUS_FILTERS else "open"
    with scopes_disabled():
        transitions = Transition.objects.select_related("medspa", "requested_by").order_by(
            "-requested_at", "-pk"
        )
        if show == "open":
            transitions = transitions.filter(status__in=OPEN_STATUSES)
        page = Paginator(transitions, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = list(page.object_list)
        stuck = list(
            TransitionStep.objects.filter(transition__status=TransitionStatus.SCHEDULED)
            .filter(Q(status=StepStatus.FAILED) | Q(status=StepStatus.WAITING, needs_hand=True))
            .select_related("transition__medspa")
            .order_by("due_date", "transition_id", "position")
        )
        to_decide = list(
            Transition.objects.filter(status=TransitionStatus.REQUESTED)
            .select_related("medspa")
            .order_by("requested_at", "pk")
        )
    return render(
        request,
        "transition/staff/list.html",
        {
            "page": page,
            "transitions": rows,
            "status": show,
            "status_choices": list(STATUS_FILTERS.items()),
            "stuck": stuck,
            "to_decide": to_decide,
        },
    )


# --- Starting one -------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def transition_new(request):
    with scopes_disabled():
        if request.method == "GET":
            form = StaffScheduleForm(initial={"medspa": request.GET.get("medspa") or None})
            return render(request, "transition/staff/new.html", {"form": form})
        form = StaffScheduleForm(request.POST)
        if form.is_valid():
            medspa = form.cleaned_data["medspa"]
            with medspa_scope(medspa.pk, audit_context=True), refusals(form=form):
                transition = approval.transition_schedule(medspa=medspa, by=request.user, terms=form.terms())
                messages.success(request, f"The transition of {medspa.name} is scheduled, with its plan.")
                return redirect("transition_staff:detail", pk=transition.pk)
        return render(request, "transition/staff/new.html", {"form": form}, status=400)


@require_http_methods(["GET", "POST"])
@staff_required
def coordinator_leaves_new(request):
    """Portrait staff schedule a Launch or Flex medspa's coordinator to go (at once, with its plan)."""
    with scopes_disabled():
        if request.method == "GET":
            form = StaffCoordinatorLeavesForm(initial={"medspa": request.GET.get("medspa") or None})
            return render(request, "transition/staff/coordinator_leaves.html", {"form": form})
        form = StaffCoordinatorLeavesForm(request.POST)
        if form.is_valid():
            medspa = form.cleaned_data["medspa"]
            with medspa_scope(medspa.pk, audit_context=True), refusals(form=form):
                transition = approval.transition_schedule(medspa=medspa, by=request.user, terms=form.terms())
                messages.success(request, f"{medspa.name}: {transition.headline}, scheduled with its plan.")
                return redirect("transition_staff:detail", pk=transition.pk)
        return render(request, "transition/staff/coordinator_leaves.html", {"form": form}, status=400)


# --- One transition -----------------------------------------------------------------------------------------


def _detail_page(
    request, transition: Transition, *, bound: dict | None = None, refusal: str = "", status=200
):
    """Everything the medspa's admin sees, and what Portrait may do; `bound` holds the form sent back with
    its errors ("approve", "decline", "cancel", "tools", or ("step"/"booking": (pk, form)))."""
    bound = bound or {}
    with medspa_scope(transition.medspa_id, audit_context=True), medspa_time_zone(transition.medspa):
        context = details(request, transition, staff=True, bound=bound)
        tools = LegacyTools.objects.filter(medspa_id=transition.medspa_id).first()
        requested = transition.status == TransitionStatus.REQUESTED
        shown = {"approve": requested, "decline": requested, "cancel": transition.is_open, "tools": True}
        hidden = hidden_errors({key: form for key, form in bound.items() if not shown.get(key, True)})
        context.update(
            {
                "refusal": " ".join(part for part in (refusal, context["refusal"], hidden) if part),
                "approve_form": bound.get("approve") or ApproveForm(),
                "decline_form": bound.get("decline") or decline_form(),
                "cancel_form": bound.get("cancel") or cancel_form(),
                "tools_form": bound.get("tools")
                or LegacyToolsForm(initial=LegacyToolsForm.initial_of(tools)),
                "tools": tools,
            }
        )
        return render(request, "transition/staff/detail.html", context, status=status)


def _back(transition: Transition, anchor: str = ""):
    return redirect(reverse("transition_staff:detail", args=[transition.pk]) + anchor)


@require_GET
@staff_required
def transition_detail(request, pk: int):
    return _detail_page(request, _transition(pk))


@require_POST
@staff_required
def approve(request, pk: int):
    transition = _transition(pk)
    form = ApproveForm(request.POST)
    if form.is_valid():
        with medspa_scope(transition.medspa_id, audit_context=True), refusals(form=form):
            approval.transition_approve(
                transition=transition, by=request.user, effective_date=form.cleaned_data["effective_date"]
            )
            messages.success(request, f"The transition of {transition.medspa.name} is approved and planned.")
            return _back(transition)
    return _detail_page(request, transition, bound={"approve": form}, status=400)


def _note_action(request, pk: int, *, key: str, form_class, service, message: str):
    """Declines or cancels with the note the form asks for: the service's refusal goes back as the form's
    error; `message` is formatted with the medspa's name."""
    transition = _transition(pk)
    form = form_class(request.POST)
    if form.is_valid():
        with medspa_scope(transition.medspa_id, audit_context=True), refusals(form=form):
            service(transition=transition, by=request.user, note=form.cleaned_data["note"])
            messages.success(request, message.format(medspa=transition.medspa.name))
            return _back(transition)
    return _detail_page(request, transition, bound={key: form}, status=400)


@require_POST
@staff_required
def decline(request, pk: int):
    return _note_action(
        request,
        pk,
        key="decline",
        form_class=decline_form,
        service=approval.transition_decline,
        message="The request of {medspa} is declined.",
    )


@require_POST
@staff_required
def cancel(request, pk: int):
    return _note_action(
        request,
        pk,
        key="cancel",
        form_class=cancel_form,
        service=approval.transition_cancel,
        message="The transition of {medspa} is cancelled.",
    )


@require_POST
@staff_required
def portrait_confirm(request, pk: int):
    transition = _transition(pk)
    with medspa_scope(transition.medspa_id, audit_context=True), refusals() as refused:
        confirmations.portrait_confirm(transition=transition, by=request.user, ip=client_ip(request))
        transition.refresh_from_db()
        messages.success(
            request,
            f"Portrait's written confirmation of the move to {transition.openphone_target_email} is "
            "recorded.",
        )
        return _back(transition, "#openphone")
    return _detail_page(request, transition, refusal=refused.message, status=400)


def _step(pk: int) -> TransitionStep:
    with scopes_disabled():
        return get_object_or_404(TransitionStep.objects.select_related("transition"), pk=pk)


@require_POST
@staff_required
def step_retry(request, pk: int):
    step = _step(pk)
    transition = _transition(step.transition_id)
    with medspa_scope(transition.medspa_id, audit_context=True), refusals() as refused:
        by_hand.step_retry(step=step, by=request.user)
        messages.success(request, f"“{step.get_kind_display()}” is queued again.")
        return _back(transition, "#steps")
    return _detail_page(request, transition, refusal=refused.message, status=400)


@require_POST
@staff_required
def step_done(request, pk: int):
    step = _step(pk)
    transition = _transition(step.transition_id)
    form = step_done_form(step, request.POST)
    if form.is_valid():
        with medspa_scope(transition.medspa_id, audit_context=True), refusals(form=form):
            by_hand.step_mark_done(step=step, by=request.user, note=form.cleaned_data["note"])
            messages.success(request, f"“{step.get_kind_display()}” is marked done by hand.")
            return _back(transition, "#steps")
    return _detail_page(request, transition, bound={"step": (step.pk, form)}, status=400)


@require_POST
@staff_required
def booking_resolve(request, pk: int):
    with scopes_disabled():
        booking = get_object_or_404(AcuityBooking, pk=pk)
    transition = _transition(booking.transition_id)
    form = booking_resolve_form(booking, request.POST)
    if form.is_valid():
        with medspa_scope(transition.medspa_id, audit_context=True), refusals(form=form):
            by_hand.booking_resolve(booking=booking, by=request.user, note=form.cleaned_data["note"])
            messages.success(request, f"The Acuity appointment of {booking.patient_name} is marked resolved.")
            return _back(transition, "#acuity")
    return _detail_page(request, transition, bound={"booking": (booking.pk, form)}, status=400)


@require_POST
@staff_required
def tools(request, pk: int):
    transition = _transition(pk)
    form = LegacyToolsForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, transition, bound={"tools": form}, status=400)
    with medspa_scope(transition.medspa_id, audit_context=True):
        base.legacy_tools_set(transition=transition, by=request.user, data=form.cleaned_data)
    messages.success(request, f"The Legacy tools of {transition.medspa.name} are saved.")
    return _back(transition, "#tools")
