"""Masquerade: an admin works in the EHR exactly as one of their medspa's providers; Portrait staff as any
medspa user. Built on django-hijack (POST-only, CSRF-protected) with our own permission rule, a reason
for every start, both identities in the audit trail, and the admin's session clock left untouched.

A masquerade works on the provider's patients, never under their name: a signature or a licence is used
by its holder only. Services learn that a masquerade is acting from `acting_impersonator_id()` (set for
each request by the audit middleware) and refuse a personal signature with SignatureNotPersonal."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django_scopes import scopes_disabled

from medspa.errors import DomainError
from medspa.models import Membership, User

SESSION_RETURN_KEY = "masquerade_return_to"

_impersonator: ContextVar[int | None] = ContextVar("masquerade_impersonator", default=None)


class SignatureNotPersonal(DomainError):
    """A signature, a licence or a witness's word asked of someone while another person acts as them (a
    masquerade): only its holder gives it. The message says why and what to do instead."""


def can_masquerade(*, hijacker: User, hijacked: User | None) -> bool:
    """django-hijack's HIJACK_PERMISSION_CHECK. An admin may act as any provider of a medspa they
    administer, a co-owner who is admin and provider included (never as an admin who is not a provider,
    nor as staff); staff may act as any medspa member who is not staff."""
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
            user=hijacked, medspa__in=administered, is_provider=True, is_active=True
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


@contextmanager
def masquerade_acting(impersonator_id: int | None) -> Iterator[None]:
    """Within the block, services know the real person behind a masquerade (None: nobody masquerades)."""
    token = _impersonator.set(impersonator_id)
    try:
        yield
    finally:
        _impersonator.reset(token)


def acting_impersonator_id() -> int | None:
    """The real person acting through a masquerade right now, else None."""
    return _impersonator.get()


def signature_personal_refusal(what: str) -> str:
    """Why `what` ("sign a GFE exam") is refused now, or "": it is for its holder only, never for a
    masquerade. Pages show it beside the disabled action; services raise it."""
    if acting_impersonator_id() is None:
        return ""
    return (
        f"You are masquerading: only the person themself can {what}. A signature or a licence is never used "
        "by anyone but its holder."
    )


def signature_personal_require(
    what: str, *, error: type[SignatureNotPersonal] = SignatureNotPersonal
) -> None:
    """Raises `error` when a masquerade is acting (see signature_personal_refusal)."""
    refusal = signature_personal_refusal(what)
    if refusal:
        raise error(refusal)
