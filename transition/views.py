"""The medspa admin's transition page (/dashboard/settings/transition/): asking Portrait to move from Legacy
to Launch or Flex (or, on Launch or Flex with a coordinator, to let the coordinator go), following the plan's
steps (refreshed live), the Acuity import's conflicts, the OpenPhone release (the new account, the
acknowledgement, both written confirmations) and the timeline; and the provider's confirmation link
(/transition/confirm/<token>/) emailed after the acknowledgement.

Views are thin: every change is a service call (transition.services) which refuses what the rules do not
allow (TransitionRuleBroken), shown to the person as a form error with status 400."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_scopes import scopes_disabled

from medspa import clock, dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.http import client_ip, secret_link
from medspa.models.tenancy import BusinessModel
from medspa.selectors.masquerade import impersonator_id
from medspa.tenancy import medspa_scope
from transition import services
from transition.forms import (
    AcknowledgeForm,
    CoordinatorLeavesForm,
    OpenPhoneAccountForm,
    TransitionTermsForm,
    booking_resolve_form,
    step_done_form,
)
from transition.models import (
    OPEN_STATUSES,
    OPENPHONE_ACKNOWLEDGEMENT,
    AcuityBooking,
    ConfirmationParty,
    ImportStatus,
    StepKind,
    StepStatus,
    Transition,
    TransitionStatus,
)

TIMELINE_PAGE_SIZE = 20
HAND_KINDS = {StepKind.ACUITY_IMPORT, StepKind.ACUITY_REVOKE, StepKind.TIGERCONNECT, StepKind.OPENPHONE}


# --- What the admin's page and Portrait's detail page both show -------------------------------------------


def openphone_open(transition: Transition, steps) -> bool:
    """The OpenPhone part takes input: the plan releases the number, and the transfer is not asked for yet."""
    step = next((step for step in steps if step.kind == StepKind.OPENPHONE), None)
    return (
        step is not None
        and transition.status == TransitionStatus.SCHEDULED
        and step.status != StepStatus.DONE
        and not step.external_ref
    )


def can_run_again(step) -> bool:
    """As services.step_retry allows: failed, waiting for a hand, or the import waiting on conflicts."""
    return step.status == StepStatus.FAILED or (
        step.status == StepStatus.WAITING and (step.needs_hand or step.kind == StepKind.ACUITY_IMPORT)
    )


def step_rows(transition: Transition, steps, *, staff: bool = False, bound=None) -> list[dict]:
    """Each step with, for Portrait staff, what they may do with it (retry a failed one; mark one done by
    hand with a note). `bound` is (step pk, form) sent back with its errors."""
    rows = []
    scheduled = transition.status == TransitionStatus.SCHEDULED
    for step in steps:
        row = {"step": step, "can_retry": False, "done_form": None}
        if staff and scheduled:
            row["can_retry"] = can_run_again(step)
            if step.kind in HAND_KINDS and step.status in (
                StepStatus.PENDING,
                StepStatus.WAITING,
                StepStatus.FAILED,
            ):
                row["done_form"] = bound[1] if bound and bound[0] == step.pk else step_done_form(step)
        rows.append(row)
    return rows


def todo(transition: Transition, steps, *, conflicts: int, confirmed: dict) -> list[dict]:
    """What the medspa must do now, in order."""
    items = []
    if transition.status == TransitionStatus.REQUESTED:
        items.append(
            {
                "text": "Nothing yet: Portrait reviews your request, then approves it (which makes the plan) "
                "or declines it with a reason."
            }
        )
        return items
    if transition.status != TransitionStatus.SCHEDULED:
        return items
    by_kind = {step.kind: step for step in steps}
    model_change = by_kind.get(StepKind.MODEL_CHANGE)
    if model_change is not None and model_change.status != StepStatus.DONE:
        items.append(
            {
                "text": f"Before {transition.effective_date:%b %-d, %Y}: set up scheduling in the EHR "
                "(locations, appointment types, your providers' availability), so that your future Acuity "
                "appointments can be imported into the EHR calendar.",
                "url": reverse("scheduling:home"),
                "link": "Scheduling",
            }
        )
    if conflicts:
        items.append(
            {
                "text": f"{conflicts} Acuity appointment{'s' if conflicts != 1 else ''} could not be "
                "imported: book each by hand in the EHR calendar or call the patient, then mark it "
                "resolved (below).",
                "url": "#acuity",
                "link": "The Acuity appointments",
            }
        )
    if openphone_open(transition, steps):
        if not transition.openphone_target_email:
            items.append(
                {
                    "text": "Open your own, separate OpenPhone account and enter its email address below: "
                    "the number moves there.",
                    "url": "#openphone",
                    "link": "OpenPhone",
                }
            )
        elif transition.openphone_acknowledged_at is None:
            items.append(
                {
                    "text": "Acknowledge what does not move with the number (below); a confirmation link is "
                    "then emailed to you.",
                    "url": "#openphone",
                    "link": "OpenPhone",
                }
            )
        elif ConfirmationParty.PROVIDER not in confirmed:
            items.append(
                {
                    "text": "Open the confirmation link we emailed you and press “Confirm”: OpenPhone's "
                    "support team needs your written confirmation (and Portrait's).",
                    "url": "#openphone",
                    "link": "OpenPhone",
                }
            )
    if model_change is not None and model_change.status == StepStatus.DONE:
        items.append(
            {
                "text": "Check that your inventory prices follow the new model before your next order; if "
                "they do not, send Portrait a pricing ticket.",
                "url": reverse("inventory_orders:home"),
                "link": "Inventory",
            }
        )
    return items


def details(request, transition: Transition, *, staff: bool = False, bound: dict | None = None) -> dict:
    """The transition's plan, the medspa's to-dos, the Acuity import, the OpenPhone release and one page of
    the timeline (newest first). A fixed number of queries, whatever the timeline's length."""
    bound = bound or {}
    steps = list(transition.steps.select_related("done_by"))
    counts = dict(transition.acuity_bookings.order_by().values_list("status").annotate(count=Count("pk")))
    bookings = list(
        transition.acuity_bookings.filter(status__in=[ImportStatus.CONFLICT, ImportStatus.RESOLVED])
        .select_related("resolved_by")
        .order_by("status", "start", "pk")
    )
    booking_bound = bound.get("booking")
    conflicts = [
        {
            "booking": booking,
            "form": booking_bound[1]
            if booking_bound and booking_bound[0] == booking.pk
            else booking_resolve_form(booking),
        }
        for booking in bookings
        if booking.status == ImportStatus.CONFLICT
    ]
    resolved = [booking for booking in bookings if booking.status == ImportStatus.RESOLVED]
    has_openphone = any(step.kind == StepKind.OPENPHONE for step in steps)
    confirmed = services.confirmations(transition) if has_openphone else {}
    taking_input = openphone_open(transition, steps)
    rows = step_rows(transition, steps, staff=staff, bound=bound.get("step"))
    shown = {"booking": any(row["form"] is (booking_bound or (None, None))[1] for row in conflicts)}
    shown["step"] = any(row["done_form"] is (bound.get("step") or (None, None))[1] for row in rows)
    shown["account"] = taking_input and not staff
    shown["ack"] = (
        shown["account"]
        and bool(transition.openphone_target_email)
        and (transition.openphone_acknowledged_at is None or ConfirmationParty.PROVIDER not in confirmed)
    )
    timeline = Paginator(transition.timeline.select_related("actor"), TIMELINE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return {
        "transition": transition,
        "medspa": transition.medspa,
        "rows": rows,
        "todo": todo(transition, steps, conflicts=len(conflicts), confirmed=confirmed),
        "imported_count": counts.get(ImportStatus.IMPORTED, 0),
        "conflicts": conflicts,
        "resolved": resolved,
        "has_import": any(step.kind == StepKind.ACUITY_IMPORT for step in steps),
        "import_again": transition.status == TransitionStatus.SCHEDULED
        and any(
            step.kind == StepKind.ACUITY_IMPORT and step.status == StepStatus.WAITING and not step.needs_hand
            for step in steps
        ),
        "has_openphone": has_openphone,
        "openphone_open": taking_input,
        "account_form": bound.get("account")
        or OpenPhoneAccountForm(
            initial={
                "email": transition.openphone_target_email,
                "workspace": transition.openphone_target_workspace,
            }
        ),
        "ack_form": bound.get("ack")
        or AcknowledgeForm(acknowledged=transition.openphone_acknowledged_at is not None),
        "provider_confirmation": confirmed.get(ConfirmationParty.PROVIDER),
        "portrait_confirmation": confirmed.get(ConfirmationParty.PORTRAIT),
        "acknowledgement": OPENPHONE_ACKNOWLEDGEMENT,
        "portrait_text": services.PORTRAIT_CONFIRMATION.format(email=transition.openphone_target_email),
        "timeline": timeline,
        "staff": staff,
        "resolve_url": "transition_staff:booking_resolve" if staff else "transition:booking_resolve",
        # A form sent back that the page no longer shows (the step moved on, the conflict was resolved
        # meanwhile, the OpenPhone part closed): its errors go above everything.
        "refusal": hidden_errors({key: value for key, value in bound.items() if not shown.get(key, True)}),
    }


def hidden_errors(forms: dict) -> str:
    """The errors of bound forms ({key: form or (pk, form)}) that the page does not show."""
    messages_ = []
    for value in forms.values():
        form = value[1] if isinstance(value, tuple) else value
        messages_ += [str(error) for errors in form.errors.values() for error in errors]
    return " ".join(messages_)


# --- The admin's page -------------------------------------------------------------------------------------


def _current(medspa) -> Transition | None:
    """The medspa's open transition, or else its latest one."""
    transitions = Transition.objects.filter(medspa=medspa).select_related(
        "medspa", "requested_by", "decided_by", "openphone_account_by"
    )
    return transitions.filter(status__in=OPEN_STATUSES).first() or transitions.first()


def _page(request, *, request_form=None, leave_form=None, bound=None, status: int = 200):
    medspa = request.medspa
    transition = _current(medspa)
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
    transition = _current(request.medspa)
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
            services.transition_request(medspa=request.medspa, by=request.user, terms=form.terms())
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
            services.transition_request(medspa=request.medspa, by=request.user, terms=form.terms())
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


def _in_person(request) -> None:
    """The provider's own account, acknowledgement and confirmation are theirs to give: not while someone
    masquerades as them."""
    if impersonator_id(request):
        raise PermissionDenied("Only the provider, in person, gives this; not while masquerading.")


@require_POST
@dashboard_area(dashboards.ADMIN)
def import_again(request):
    """The admin runs the Acuity import again, once they added the patients it could not match."""
    transition = _open_transition(request)
    step = get_object_or_404(transition.steps, kind=StepKind.ACUITY_IMPORT)
    if step.status != StepStatus.WAITING or step.needs_hand:
        messages.error(request, "The import cannot run again now.")
        return _page(request, status=400)
    services.step_retry(step=step, by=request.user)
    messages.success(request, "The import runs again: appointments it can now place appear in the calendar.")
    return redirect(reverse("transition:page") + "#acuity")


@require_POST
@dashboard_area(dashboards.ADMIN)
def openphone_account(request):
    _in_person(request)
    transition = _open_transition(request)
    form = OpenPhoneAccountForm(request.POST)
    if form.is_valid():
        with refusals(form=form):
            services.openphone_account_set(
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
    _in_person(request)
    transition = _open_transition(request)
    form = AcknowledgeForm(request.POST, acknowledged=transition.openphone_acknowledged_at is not None)
    if form.is_valid():
        with refusals(form=form):
            services.openphone_acknowledge(transition=transition, by=request.user)
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
            services.booking_resolve(booking=booking, by=request.user, note=form.cleaned_data["note"])
            messages.success(request, f"The Acuity appointment of {booking.patient_name} is marked resolved.")
            return redirect(reverse("transition:page") + "#acuity")
    return _page(request, bound={"booking": (booking.pk, form)}, status=400)


# --- The provider's confirmation link ----------------------------------------------------------------------


def _problem(request, message: str, status: int):
    return render(request, "transition/confirm_problem.html", {"problem": message}, status=status)


@secret_link
@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """The provider confirms in writing, signed in as the person the link was sent to, that the OpenPhone
    number may move to the account entered now. Works whatever medspa the session is in: the link's
    transition decides the scope."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    with refusals() as refused:
        data = services.confirmation_token_read(token)
    if refused:
        return _problem(request, refused.message, 400)
    if data.get("u") != request.user.pk:
        return _problem(
            request, "This confirmation link was sent to someone else: sign in as that person.", 403
        )
    with scopes_disabled():
        transition = Transition.objects.select_related("medspa").filter(pk=data.get("t")).first()
    if transition is None:
        return _problem(request, "This confirmation link is not valid.", 400)
    with medspa_scope(transition.medspa):
        confirmed = services.confirmations(transition).get(ConfirmationParty.PROVIDER)
        if (
            confirmed is not None
            and confirmed.user_id == request.user.pk
            and data.get("e") == (transition.openphone_target_email)
        ):
            return render(request, "transition/confirm.html", {"transition": transition, "done": confirmed})
        if request.method == "POST":
            _in_person(request)
            with refusals() as refused:
                services.provider_confirm(token=token, by=request.user, ip=client_ip(request))
            if refused:
                return _problem(request, refused.message, 400)
            messages.success(request, "Thank you: your written confirmation was recorded.")
            return redirect("transition_confirm:confirm", token=token)
        problem = _confirm_problem(transition, data)
        if problem:
            return _problem(request, problem, 400)
    return render(
        request,
        "transition/confirm.html",
        {
            "transition": transition,
            "text": services.PROVIDER_CONFIRMATION.format(email=transition.openphone_target_email),
            "acknowledgement": OPENPHONE_ACKNOWLEDGEMENT,
        },
    )


def _confirm_problem(transition: Transition, data: dict) -> str:
    """What provider_confirm would refuse, said before the button is shown."""
    if transition.status != TransitionStatus.SCHEDULED:
        return "This transition is no longer under way."
    step = transition.steps.filter(kind=StepKind.OPENPHONE).first()
    if step is None:
        return "This transition keeps the coordinator: the OpenPhone number stays with Portrait."
    if step.status == StepStatus.DONE or step.external_ref:
        return "The transfer has already been requested from OpenPhone: nothing is left to confirm."
    if data.get("e") != transition.openphone_target_email:
        return "The OpenPhone account has changed since this link was sent: use the newest link."
    if transition.openphone_acknowledged_at is None:
        return "Acknowledge what does not move with the number first (on the transition page)."
    return ""
