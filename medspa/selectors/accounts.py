"""Reads of the core app about people and medspas: profiles, physicians, onboarding facts, API tokens."""

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from medspa.models import ApiToken, Invitation, Medspa, Membership, ProviderProfile, User
from medspa.models.tenancy import Credential

PHYSICIAN_CREDENTIALS = (Credential.MD, Credential.DO)


def profile_of(membership: Membership) -> ProviderProfile | None:
    return ProviderProfile.objects.filter(membership=membership).prefetch_related("licences").first()


def profile_missing(membership: Membership) -> list[str]:
    """What the member's profile still lacks for onboarding (empty when complete)."""
    profile = profile_of(membership)
    if profile is None:
        return ["headshot", "photo ID", "signature", "credential", "position", "a current licence"]
    missing = [
        label
        for label, value in (
            ("headshot", profile.headshot),
            ("photo ID", profile.photo_id),
            ("signature", profile.signature),
            ("credential", profile.credential),
            ("position", profile.position),
        )
        if not value
    ]
    if not any(licence.expires_on >= timezone.localdate() for licence in profile.licences.all()):
        missing.append("a current licence")
    return missing


def medspa_has_shipping_address(medspa: Medspa) -> bool:
    return all(
        [medspa.shipping_line1, medspa.shipping_city, medspa.shipping_state, medspa.shipping_postal_code]
    )


def medspa_shipping_address_lines(medspa: Medspa) -> list[str]:
    """The shipping address as it prints on an envelope: street lines, then "City, ST 12345"."""
    city = " ".join(part for part in (medspa.shipping_state, medspa.shipping_postal_code) if part)
    city = ", ".join(part for part in (medspa.shipping_city, city) if part)
    return [line for line in (medspa.shipping_line1, medspa.shipping_line2, city) if line]


def medspa_has_invited_providers(medspa: Medspa) -> bool:
    return (
        Invitation.objects.filter(medspa=medspa, as_provider=True).exists()
        or Membership.objects.filter(medspa=medspa, is_provider=True, is_admin=False).exists()
    )


def physicians_of(medspa: Medspa) -> QuerySet[Membership]:
    """Members who may be the medical director: active MD / DO providers."""
    return Membership.objects.filter(
        medspa=medspa, is_active=True, provider_profile__credential__in=PHYSICIAN_CREDENTIALS
    ).select_related("user")


def api_tokens_of(user) -> QuerySet[ApiToken]:
    """The user's API tokens that still work (not expired), newest first."""
    return ApiToken.objects.filter(user=user).exclude(expiry__lt=timezone.now()).order_by("-created")


def members_with_actions(members: Iterable[Membership], viewer: User) -> list[Membership]:
    """The memberships an admin's pages list, each with the flags that say which actions its row offers:
    `can_deactivate` (an active member other than the admin), `can_reactivate` (a deactivated one other than
    the admin) and `can_masquerade` (an active member other than the admin who is not Portrait staff)."""
    members = list(members)
    for membership in members:
        other = membership.user_id != viewer.pk
        membership.can_deactivate = other and membership.is_active
        membership.can_reactivate = other and not membership.is_active
        membership.can_masquerade = membership.can_deactivate and not membership.user.is_staff
    return members
