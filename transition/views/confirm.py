"""The provider's confirmation link (/transition/confirm/<token>/), emailed after the acknowledgement: they
confirm in writing, signed in as the person it was sent to, that the OpenPhone number may move."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django_scopes import scopes_disabled

from medspa.errors import refusals
from medspa.http import client_ip, secret_link
from medspa.tenancy import medspa_scope
from transition.models import Transition
from transition.models.records import ConfirmationParty
from transition.models.transitions import OPENPHONE_ACKNOWLEDGEMENT, StepKind, StepStatus, TransitionStatus
from transition.services import base, confirmations
from transition.views.details import in_person


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
        data = confirmations.confirmation_token_read(token)
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
        confirmed = base.confirmations(transition).get(ConfirmationParty.PROVIDER)
        if (
            confirmed is not None
            and confirmed.user_id == request.user.pk
            and data.get("e") == (transition.openphone_target_email)
        ):
            return render(request, "transition/confirm.html", {"transition": transition, "done": confirmed})
        if request.method == "POST":
            in_person(request)
            with refusals() as refused:
                confirmations.provider_confirm(token=token, by=request.user, ip=client_ip(request))
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
            "text": confirmations.PROVIDER_CONFIRMATION.format(email=transition.openphone_target_email),
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
        return "OpenPhone support has already been asked to move the number: nothing is left to confirm."
    if data.get("e") != transition.openphone_target_email:
        return "The OpenPhone account has changed since this link was sent: use the newest link."
    if transition.openphone_acknowledged_at is None:
        return "Acknowledge what does not move with the number first (on the transition page)."
    return ""
