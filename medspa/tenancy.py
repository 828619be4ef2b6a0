"""Which medspa a request works in, and the scope that confines every tenant-owned query to it.

Tenant-owned models use django-scopes' ScopedManager: a query made outside a scope raises ScopeError, so a
forgotten filter fails loudly instead of leaking another medspa's rows. Code that must see every medspa
(Django admin for Portrait staff, migrations, periodic sweeps) says so with `scopes_disabled()`."""

from contextlib import contextmanager

import pghistory
from django_scopes import scope, scopes_disabled

from medspa.models import Medspa, Membership

SESSION_MEDSPA_KEY = "medspa_id"


def memberships_of(user) -> list[Membership]:
    if not user.is_authenticated:
        return []
    with scopes_disabled():
        return list(
            Membership.objects.filter(user=user, is_active=True)
            .select_related("medspa")
            .order_by("medspa__name", "pk")
        )


def membership_choose(memberships: list[Membership], preferred_medspa_id) -> Membership | None:
    for membership in memberships:
        if membership.medspa_id == preferred_medspa_id:
            return membership
    return memberships[0] if memberships else None


def memberships_known(request, user, memberships: list[Membership]) -> None:
    """Tells tenant_resolve `user`'s memberships (as memberships_of reads them), read already with something
    else (an API token: medspa.api.auth), so that it reads them no more."""
    request._memberships_known = (user.pk, memberships)


def tenant_resolve(request, user) -> None:
    """Sets request.memberships / .membership / .medspa for `user` (once per request and user)."""
    if getattr(request, "tenant_user_id", object()) == user.pk:
        return
    known = getattr(request, "_memberships_known", None)
    memberships = known[1] if known is not None and known[0] == user.pk else memberships_of(user)
    session = getattr(request, "session", None)
    membership = membership_choose(
        memberships, session.get(SESSION_MEDSPA_KEY) if session is not None else None
    )
    request.memberships = memberships
    request.membership = membership
    request.medspa = membership.medspa if membership else None
    request.tenant_user_id = user.pk


@contextmanager
def medspa_scope(medspa: Medspa | int | None, *, audit_context: bool = False):
    """Enter the scope of one medspa; with None, a scope in which tenant-owned queries find nothing.

    With `audit_context`, every write inside is also recorded as made in that medspa: for requests whose
    medspa the middleware could not know (Portrait staff pages, public pages nobody is signed in to)."""
    medspa_id = medspa.pk if isinstance(medspa, Medspa) else medspa
    with scope(medspa=[medspa_id] if medspa_id else []):
        if audit_context:
            with pghistory.context(medspa=medspa_id):
                yield
        else:
            yield
