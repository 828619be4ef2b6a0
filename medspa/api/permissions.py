"""DRF permissions and the base of every tenant API view."""

from contextlib import ExitStack

import pghistory
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import permissions
from rest_framework.exceptions import ValidationError

from medspa.api.auth import ApiTokenAuthentication
from medspa.middleware import request_user_has_mfa
from medspa.permissions import has_role
from medspa.tenancy import medspa_scope, tenant_resolve


class IsMedspaMember(permissions.BasePermission):
    """Signed in (session or token), enrolled in MFA, and an active member of a medspa. Views narrow it
    further with `roles`."""

    message = "You need an active membership of a medspa and two-factor authentication."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and request.membership is not None):
            return False
        if not request_user_has_mfa(request._request, user):
            return False
        roles = getattr(view, "roles", None)
        if request.method not in permissions.SAFE_METHODS:
            roles = getattr(view, "write_roles", None) or roles
        return has_role(request, *roles) if roles else True


class TenantAPIMixin:
    """Token-authenticated requests are anonymous in middleware (DRF authenticates in the view), so the
    medspa, its scope and the audit context's medspa and user are settled here, after authentication, for
    the rest of the request."""

    roles: tuple[str, ...] = ()  # who may read; empty: any member
    write_roles: tuple[str, ...] = ()  # who may write, when narrower than `roles`

    def initial(self, request, *args, **kwargs):
        self._scope_stack = ExitStack()
        user = request.user  # authenticates (session or token)
        tenant_resolve(request._request, user)
        # The audit context was opened by AuditContextMiddleware before a token could be read: name the
        # medspa and the user now, or a token's writes would be recorded as nobody's in no medspa.
        pghistory.context(
            medspa=request.medspa.pk if request.medspa else None,
            user=user.pk if user.is_authenticated else None,
        )
        self._scope_stack.enter_context(medspa_scope(request.medspa))
        super().initial(request, *args, **kwargs)

    def get_authenticate_header(self, request):
        # DRF asks only the first authenticator (the session, which has no challenge, hence 403): a request
        # that presented a token that is expired, revoked or wrong is told so with 401 and the challenge.
        if request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("token "):
            return ApiTokenAuthentication().authenticate_header(request)
        return super().get_authenticate_header(request)

    def handle_exception(self, exc):
        # A model rule (full_clean in a service) is the caller's mistake: 400 with its messages, never a 500.
        if isinstance(exc, DjangoValidationError):
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
            exc = ValidationError(detail)
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        stack = getattr(self, "_scope_stack", None)
        if stack is not None:
            stack.close()
        return super().finalize_response(request, response, *args, **kwargs)
