"""The admin dashboard's Providers tab: who treats patients here, their credentials and licences, and the
way to masquerade as each of them."""

from django.shortcuts import render
from django.utils import timezone

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.models import Invitation, Membership
from medspa.selectors import accounts as account_selectors


@dashboard_area(dashboards.ADMIN)
def provider_list(request):
    providers = (
        Membership.objects.filter(is_provider=True)
        .select_related("user", "provider_profile")
        .prefetch_related("provider_profile__licences")
        .order_by("-is_active", "user__full_name")
    )
    open_invitations = Invitation.objects.filter(
        as_provider=True, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    return render(
        request,
        "medspa/providers.html",
        {
            "providers": account_selectors.members_with_actions(providers, request.user),
            "open_invitations": open_invitations,
            "today": timezone.localdate(),
        },
    )
