"""Invitations: an admin invites people by email; the invited person accepts through the link."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_scopes import scopes_disabled

from medspa.errors import refusals
from medspa.forms.accounts import InvitationAcceptForm, InvitationForm
from medspa.models import Invitation
from medspa.permissions import role_required
from medspa.services import accounts as account_services


@role_required("admin")
def invitation_list(request):
    """The admin invites providers, admins and coordinators, and sees the invitations still open."""
    form = InvitationForm(request.POST or None, medspa=request.medspa)
    if request.method == "POST" and form.is_valid():
        account_services.invitation_create(
            medspa=request.medspa,
            invited_by=request.user,
            email=form.cleaned_data["email"],
            as_admin=form.cleaned_data["as_admin"],
            as_provider=form.cleaned_data["as_provider"],
            as_coordinator=form.cleaned_data["as_coordinator"],
        )
        messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
        return redirect("invitation_list")
    invitations = Invitation.objects.select_related("invited_by").order_by("-created_at")
    page = Paginator(invitations, 25).get_page(request.GET.get("page"))
    return render(request, "medspa/invitation_list.html", {"form": form, "page": page})


@require_POST
@role_required("admin")
def invitation_revoke(request, pk: int):
    invitation = get_object_or_404(Invitation, pk=pk)
    with refusals(request):
        account_services.invitation_revoke(invitation=invitation)
        messages.success(request, f"The invitation to {invitation.email} was revoked.")
    return redirect("invitation_list")


def invitation_accept(request, token: str):
    """The invited person's link: create an account (or, signed in as the invited email, just join)."""
    with scopes_disabled():
        invitation = get_object_or_404(Invitation.objects.select_related("medspa"), token=token)
    if not invitation.is_usable:
        return render(request, "medspa/invitation_unusable.html", {"invitation": invitation}, status=410)
    existing = request.user.is_authenticated
    form = None if existing else InvitationAcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and (existing or form.is_valid()):
        try:
            with scopes_disabled():
                account_services.invitation_accept(
                    invitation=invitation,
                    user=request.user if existing else None,
                    full_name="" if existing else form.cleaned_data["full_name"],
                    password="" if existing else form.cleaned_data["password1"],
                )
        except account_services.InvitationEmailTaken as error:
            messages.info(request, str(error))
            return redirect(f"/accounts/login/?next={request.path}")
        except account_services.InvitationUnusable as error:
            messages.error(request, str(error))
            return redirect("home")
        if existing:
            messages.success(request, f"You joined {invitation.medspa.name}.")
            return redirect("home")
        messages.success(request, "Your account is ready. Sign in, then set up two-factor authentication.")
        return redirect("account_login")
    return render(request, "medspa/invitation_accept.html", {"invitation": invitation, "form": form})
