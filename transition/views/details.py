"""What the medspa admin's transition page and Portrait's detail page both show: the plan's steps (with what
staff may do with each), the medspa's to-dos, the Acuity import, the OpenPhone release and the timeline."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.urls import reverse

from medspa.selectors.masquerade import impersonator_id
from transition.forms.notes import booking_resolve_form, step_done_form
from transition.forms.openphone import AcknowledgeForm, OpenPhoneAccountForm
from transition.models import Transition
from transition.models.records import ConfirmationParty, ImportStatus
from transition.models.transitions import OPENPHONE_ACKNOWLEDGEMENT, StepKind, StepStatus, TransitionStatus
from transition.services import base, confirmations

TIMELINE_PAGE_SIZE = 20


HAND_KINDS = {StepKind.ACUITY_IMPORT, StepKind.ACUITY_REVOKE, StepKind.TIGERCONNECT, StepKind.OPENPHONE}


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
    """As by_hand.step_retry allows: failed, waiting for a hand, or the import waiting on conflicts."""
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
    confirmed = base.confirmations(transition) if has_openphone else {}
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
        "portrait_text": confirmations.PORTRAIT_CONFIRMATION.format(email=transition.openphone_target_email),
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


def in_person(request) -> None:
    """The provider's own account, acknowledgement and confirmation are theirs to give: not while someone
    masquerades as them."""
    if impersonator_id(request):
        raise PermissionDenied("Only the provider, in person, gives this; not while masquerading.")
