"""Permission checks declared on views: role flags of the request's membership, or Portrait staff."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

ROLES = ("admin", "provider", "coordinator")


def has_role(request, *roles: str) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and any(getattr(membership, f"is_{role}") for role in roles)


def role_required(*roles: str):
    """The view opens to signed-in members holding any of `roles` in the current medspa; others get 403."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"Unknown roles: {unknown}")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request, *roles):
                raise PermissionDenied("Your role in this medspa does not open this page.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def staff_required(view):
    """Portrait staff only: anonymous visitors sign in first, anyone else gets 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied("This page is for Portrait staff.")
        return view(request, *args, **kwargs)

    return wrapper
