"""Writes of the core app. Each service is one transaction and raises a domain error the view translates."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from medspa import tasks
from medspa.http import client_ip
from medspa.models import Invitation, Medspa, Membership, Patient, PatientAccessLog, User, UserSession


class InvitationUnusable(Exception):
    """The invitation was accepted, revoked or has expired."""


class InvitationEmailTaken(Exception):
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


def patient_access_record(*, patient: Patient, request: HttpRequest, viewed: str) -> PatientAccessLog:
    """Writes one line of the append-only access log for a read of `patient`."""
    return PatientAccessLog.objects.create(
        medspa_id=patient.medspa_id,
        patient=patient,
        actor=request.user,
        impersonator_id=getattr(request, "impersonator_id", None),
        viewed=viewed[:200],
        ip=client_ip(request),
        request_id=getattr(request, "request_id", ""),
    )


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
    )
    transaction.on_commit(lambda: tasks.invitation_email_send.delay(invitation.pk, medspa.pk))
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
