"""Writes of the core app about people and medspas: sessions, API tokens, invitations, memberships,
profiles, the medspa's settings and masquerades. Each service is one transaction and raises a domain error
the view translates."""

from functools import partial

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_scopes import scopes_disabled

from medspa import images
from medspa.celery import task_queue
from medspa.errors import DomainError
from medspa.http import client_ip
from medspa.models import (
    ApiToken,
    Invitation,
    MasqueradeEvent,
    MedicalDirectorRequest,
    Medspa,
    Membership,
    ProviderLicence,
    ProviderProfile,
    User,
    UserSession,
)
from medspa.selectors.masquerade import signature_personal_require
from medspa.services import invitations


class InvitationUnusable(DomainError):
    """The invitation was accepted, revoked or has expired."""


class InvitationEmailTaken(DomainError):
    """The invited email belongs to an account: that person must sign in to accept."""


def user_sessions_end(*, user: User) -> int:
    """Ends every session of `user` (on deactivation, say). Returns how many were ended."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


@transaction.atomic
def user_deactivate(*, user: User) -> None:
    """Deactivates a user: they can no longer sign in and every open session of theirs ends now."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    user_sessions_end(user=user)


def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Makes an API token for `user`, expiring after REST_KNOX["TOKEN_TTL"]. Returns the row (which holds
    only a hash) and the token itself, to be shown once: it cannot be read again."""
    return ApiToken.objects.create(user=user, name=name)


def api_token_revoke(*, token: ApiToken) -> None:
    """Revokes a token: the next request that presents it answers 401."""
    token.delete()


@transaction.atomic
def invitation_create(
    *, medspa: Medspa, invited_by: User, email: str, as_admin: bool, as_provider: bool, as_coordinator: bool
) -> Invitation:
    """Invites `email` to `medspa` with the given roles and queues the email (sent after commit)."""
    invitation = Invitation.objects.create(
        medspa=medspa,
        email=email.strip().lower(),
        as_admin=as_admin,
        as_provider=as_provider,
        as_coordinator=as_coordinator,
        invited_by=invited_by,
        **invitations.INVITATION_EMAILS.queued(),
    )
    transaction.on_commit(partial(task_queue, "medspa.tasks.invitation_email_send", invitation.pk, medspa.pk))
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> None:
    if invitation.accepted_at is not None:
        raise InvitationUnusable("This invitation was already accepted.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user: User | None = None, full_name: str = "", password: str = ""
) -> Membership:
    """Accepts an invitation: creates the account (when `user` is None) with its email verified, and the
    membership with the invited roles. An existing account must be the signed-in `user`."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise InvitationUnusable("This invitation is no longer valid: ask your medspa admin for a new one.")
    if user is None:
        if get_user_model().objects.filter(email__iexact=invitation.email).exists():
            raise InvitationEmailTaken("An account with this email exists: sign in to accept the invitation.")
        user = get_user_model().objects.create_user(invitation.email, password, full_name=full_name)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    elif user.email.lower() != invitation.email.lower():
        raise PermissionDenied("This invitation was sent to another email address.")
    membership, _ = Membership.objects.get_or_create(
        medspa_id=invitation.medspa_id,
        user=user,
        defaults={
            "is_admin": invitation.as_admin,
            "is_provider": invitation.as_provider,
            "is_coordinator": invitation.as_coordinator,
        },
    )
    membership.is_admin |= invitation.as_admin
    membership.is_provider |= invitation.as_provider
    membership.is_coordinator |= invitation.as_coordinator
    membership.is_active = True
    membership.save()
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


def masquerade_record(
    *, request: HttpRequest, action: str, actor: User, target: User, medspa_id: int | None, reason: str = ""
) -> MasqueradeEvent:
    """Writes the start or stop of a masquerade to its append-only log."""
    return MasqueradeEvent.objects.create(
        medspa_id=medspa_id,
        action=action,
        actor=actor,
        target=target,
        reason=reason,
        ip=client_ip(request),
        request_id=getattr(request, "request_id", ""),
    )


class MedspaRuleBroken(DomainError):
    """An account-settings change that would leave the medspa in a state it must never be in."""


@transaction.atomic
def medspa_update(*, medspa: Medspa, data: dict) -> Medspa:
    """Business details and add-ons: only the fields given change."""
    for name, value in data.items():
        setattr(medspa, name, value)
    medspa.full_clean()
    medspa.save()
    return medspa


@transaction.atomic
def medical_director_set(*, medspa: Medspa, membership: Membership) -> None:
    profile = getattr(membership, "provider_profile", None)
    if membership.medspa_id != medspa.pk or profile is None or profile.credential not in ("MD", "DO"):
        raise MedspaRuleBroken("The medical director must be a physician (MD or DO) of your medspa.")
    medspa.medical_director = membership
    medspa.save(update_fields=["medical_director", "updated_at"])
    MedicalDirectorRequest.objects.filter(medspa=medspa, status=MedicalDirectorRequest.Status.OPEN).update(
        status=MedicalDirectorRequest.Status.DONE,
        resolved_at=timezone.now(),
        staff_note="Chosen by the medspa.",
    )


@transaction.atomic
def medical_director_request(*, medspa: Medspa, requested_by: User, data: dict) -> MedicalDirectorRequest:
    """Asks Portrait to create a physician user; staff see it in Django admin. One open request at a time."""
    existing = MedicalDirectorRequest.objects.filter(medspa=medspa, status=MedicalDirectorRequest.Status.OPEN)
    if existing.exists():
        raise MedspaRuleBroken("Portrait is already working on your request.")
    return MedicalDirectorRequest.objects.create(medspa=medspa, requested_by=requested_by, **data)


@transaction.atomic
def membership_set_admin(*, membership: Membership, is_admin: bool) -> Membership:
    """Adds or removes the admin role; a medspa always keeps at least one active admin."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not is_admin and membership.is_admin:
        others = Membership.objects.filter(medspa_id=membership.medspa_id, is_admin=True, is_active=True)
        if not others.exclude(pk=membership.pk).exists():
            raise MedspaRuleBroken("A medspa needs at least one admin: add another before removing this one.")
        if not (membership.is_provider or membership.is_coordinator):
            raise MedspaRuleBroken("This person has no other role here: deactivate them instead.")
    membership.is_admin = is_admin
    membership.save(update_fields=["is_admin"])
    return membership


@transaction.atomic
def membership_deactivate(*, membership: Membership) -> None:
    """Takes a person out of the medspa and ends every session of theirs now. An account with no other
    medspa is deactivated too, so it can no longer sign in."""
    if membership.is_admin:
        others = Membership.objects.filter(medspa_id=membership.medspa_id, is_admin=True, is_active=True)
        if not others.exclude(pk=membership.pk).exists():
            raise MedspaRuleBroken("The last admin of a medspa cannot be deactivated.")
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    user = membership.user
    with scopes_disabled():
        elsewhere = Membership.objects.filter(user=user, is_active=True).exists()
    if not elsewhere and not user.is_staff:
        user_deactivate(user=user)
    else:
        user_sessions_end(user=user)


@transaction.atomic
def membership_reactivate(*, membership: Membership) -> None:
    membership.is_active = True
    membership.save(update_fields=["is_active"])
    if not membership.user.is_active:
        membership.user.is_active = True
        membership.user.save(update_fields=["is_active"])


# Said by the profile services and beside the hidden forms while masquerading.
PROFILE_SIGNATURE_NOT_PERSONAL = "put a signature on file for them"


PROFILE_LICENCE_NOT_PERSONAL = "change their credential or licences"


@transaction.atomic
def profile_update(*, membership: Membership, data: dict) -> ProviderProfile:
    """Saves the member's own profile. A new signature image or credential only by the member themself
    (never through a masquerade): exams are signed with them."""
    profile, _ = ProviderProfile.objects.get_or_create(
        membership=membership, defaults={"medspa": membership.medspa}
    )
    if isinstance(data.get("signature"), UploadedFile):
        signature_personal_require(PROFILE_SIGNATURE_NOT_PERSONAL)
    if data.get("credential") not in (None, profile.credential):
        signature_personal_require(PROFILE_LICENCE_NOT_PERSONAL)
    for name, value in data.items():
        if value is not None:
            setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    return profile


@transaction.atomic
def profile_signature_draw(*, membership: Membership, png: bytes) -> ProviderProfile:
    """Stores a signature drawn in the browser as the member's signature image: by the member themself, since
    it signs their exams (never through a masquerade). The drawing is stored re-encoded and downscaled
    (medspa.images): ImageRefused for bytes that are not a PNG or JPEG within the limits."""
    signature_personal_require(PROFILE_SIGNATURE_NOT_PERSONAL)
    png = images.signature_normalise(png)
    profile, _ = ProviderProfile.objects.get_or_create(
        membership=membership, defaults={"medspa": membership.medspa}
    )
    profile.signature.save(f"signature-{membership.pk}.png", ContentFile(png), save=True)
    return profile


@transaction.atomic
def licence_add(*, membership: Membership, data: dict) -> ProviderLicence:
    """Adds a licence to the member's own profile (never through a masquerade: exams are signed under it)."""
    signature_personal_require(PROFILE_LICENCE_NOT_PERSONAL)
    profile, _ = ProviderProfile.objects.get_or_create(
        membership=membership, defaults={"medspa": membership.medspa}
    )
    licence = ProviderLicence(medspa_id=membership.medspa_id, profile=profile, **data)
    licence.full_clean()
    licence.save()
    return licence


@transaction.atomic
def licence_remove(*, licence: ProviderLicence) -> None:
    """Removes a licence from the member's own profile (never through a masquerade)."""
    signature_personal_require(PROFILE_LICENCE_NOT_PERSONAL)
    licence.delete()


@transaction.atomic
def medspa_business_model_set(
    *, medspa: Medspa, business_model: str, flex_revenue_split_percent=None
) -> Medspa:
    """Moves a medspa to Legacy, Launch or Flex (Flex with its revenue split); billing and the inventory cart
    follow in the same transaction (medspa.plan_changes)."""
    # FOR NO KEY UPDATE: the medspa is locked first, then its cart (inventory_orders.services.cart), and rows
    # that point to the medspa may still be written meanwhile.
    medspa = Medspa.objects.select_for_update(no_key=True).get(pk=medspa.pk)
    medspa.business_model = business_model
    if flex_revenue_split_percent is not None:
        medspa.flex_revenue_split_percent = flex_revenue_split_percent
    medspa.full_clean()
    medspa.save()
    return medspa
