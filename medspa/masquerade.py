"""Masquerade: an admin works in the EHR exactly as one of their medspa's providers; Portrait staff as any
medspa user. Built on django-hijack (POST-only, CSRF-protected) with our own permission rule, a reason
for every start, both identities in the audit trail, and the admin's session clock left untouched."""

from django.db.models import Q
from django_scopes import scopes_disabled

from medspa.models import Membership, User

SESSION_RETURN_KEY = "masquerade_return_to"


def can_masquerade(*, hijacker: User, hijacked: User | None) -> bool:
    """django-hijack's HIJACK_PERMISSION_CHECK. An admin may act as a provider of a medspa they administer
    (never as an admin there, nor as staff); staff may act as any medspa member who is not staff."""
    if hijacked is None or not hijacked.is_active or hijacked.pk == hijacker.pk:
        return False
    if hijacked.is_staff or hijacked.is_superuser:
        return False
    with scopes_disabled():
        if hijacker.is_staff:
            return Membership.objects.filter(user=hijacked, is_active=True).exists()
        administered = Membership.objects.filter(user=hijacker, is_admin=True, is_active=True).values(
            "medspa"
        )
        return Membership.objects.filter(
            Q(user=hijacked, medspa__in=administered, is_provider=True, is_active=True) & ~Q(is_admin=True)
        ).exists()


def impersonator_id(request) -> int | None:
    """The real person behind a masquerading request (django-hijack's history), else None."""
    history = request.session.get("hijack_history", []) if hasattr(request, "session") else []
    return int(history[-1]) if history else None


def masquerade_medspa_id(*, hijacker: User, hijacked: User) -> int | None:
    """The medspa the masquerade happens in: for an admin, the one they administer where the provider
    works; for staff, the member's first medspa."""
    with scopes_disabled():
        target = Membership.objects.filter(user=hijacked, is_active=True)
        if not hijacker.is_staff:
            target = target.filter(
                medspa__in=Membership.objects.filter(user=hijacker, is_admin=True, is_active=True).values(
                    "medspa"
                )
            )
        return target.order_by("medspa__name").values_list("medspa_id", flat=True).first()
