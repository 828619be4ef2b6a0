"""Request plumbing: request ids, session lifetime, tenant scope, the MFA requirement, audit context."""

import time

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import logout
from django.core.signals import request_finished
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from pghistory.middleware import HistoryMiddleware

from medspa import logs
from medspa.http import client_ip, request_id_for
from medspa.selectors.masquerade import impersonator_id, masquerade_acting
from medspa.tenancy import medspa_scope, tenant_resolve
from medspa.timezones import medspa_of

SESSION_STARTED_KEY = "auth_started_at"
request_finished.connect(logs.request_end, dispatch_uid="medspa.logs.request_end")


class RequestIdMiddleware:
    """Gives every request an id (the caller's X-Request-ID if well-formed) for logs, errors and the audit
    trail, answered in the X-Request-ID header; the log lines of the request name it (medspa.logs)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_for(request)
        logs.request_begin(request)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class SessionLifetimeMiddleware:
    """Ends a session 12 hours (SESSION_MAX_AGE) after sign-in, however active it was. The idle timeout is
    the session's own expiry, renewed on every request (SESSION_COOKIE_AGE + SESSION_SAVE_EVERY_REQUEST)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY)
            if started is None:
                request.session[SESSION_STARTED_KEY] = time.time()
            elif time.time() - started > settings.SESSION_MAX_AGE:
                logout(request)
                messages.info(request, "Your session has ended. Please sign in again.")
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "Session expired."}, status=401)
                return redirect(f"{reverse('account_login')}?next={request.path}")
        return self.get_response(request)


class TenantMiddleware:
    """Sets request.medspa / request.membership and runs the request inside that medspa's scope.
    Portrait staff in Django admin work across every medspa."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = None

    def __call__(self, request):
        tenant_resolve(request, request.user)
        if self.admin_prefix is None:
            self.admin_prefix = reverse("admin:index")
        if (
            request.user.is_authenticated
            and request.user.is_staff
            and request.path.startswith(self.admin_prefix)
        ):
            with scopes_disabled():
                return self.get_response(request)
        with medspa_scope(request.medspa):
            return self.get_response(request)


class LocalTimeMiddleware:
    """Shows times in the medspa's time zone on every request that has a medspa (templates, forms and
    timezone.localtime() follow the active zone), and UTC otherwise, never a zone left over from another
    request. Django admin's page of one object shows it in the zone of the object's medspa (the page names
    the zone); staff pages about one medspa's object activate it themselves (medspa.timezones)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        medspa = getattr(request, "medspa", None)
        try:
            if medspa is None:
                timezone.deactivate()
            else:
                timezone.activate(medspa.tz)
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(self, request, view_func, view_args, view_kwargs):
        model_admin = getattr(view_func, "model_admin", None)
        object_id = view_kwargs.get("object_id")
        if model_admin is None or object_id is None or not request.user.is_staff:
            return None
        with scopes_disabled():
            obj = model_admin.get_object(request, unquote(object_id))
            medspa = medspa_of(obj) if obj is not None else None
        if medspa is not None:
            timezone.activate(medspa.tz)
        return None


def user_has_mfa(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def request_user_has_mfa(request, user) -> bool:
    """user_has_mfa, asked once per request."""
    cached = getattr(request, "_mfa_checked", None)
    if cached is None or cached[0] != user.pk:
        cached = request._mfa_checked = (user.pk, user_has_mfa(user))
    return cached[1]


class MFARequiredMiddleware:
    """Every admin, provider, coordinator and staff user must enrol in MFA before seeing anything else:
    such a user without a TOTP authenticator is sent to set one up."""

    # Account pages (sign out, MFA set-up, password, email), static files and the error pages stay open.
    open_prefixes = ("/accounts/", "/static/", "/invitations/accept/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not getattr(user, "is_hijacked", False)  # the person behind a masquerade has MFA
            and not request.path.startswith(self.open_prefixes)
            and (user.is_staff or request.memberships)
            and not request_user_has_mfa(request, user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "Set up two-factor authentication first."}, status=403)
            if request.headers.get("HX-Request"):
                # A fragment a page asks for by itself (the Inbox badge): refused, not redirected, so that
                # it neither swaps a whole page into the menu nor spends the set-up's flash message.
                return HttpResponse("Set up two-factor authentication first.", status=403)
            messages.warning(request, "Set up two-factor authentication before you continue.")
            return redirect("mfa_activate_totp")
        return self.get_response(request)


class AuditContextMiddleware(HistoryMiddleware):
    """Every database write of the request is recorded with who, on whose behalf, which medspa, the client's
    IP and the request id (django-pghistory context, stored in each event row). The services learn the
    person behind a masquerade from here too, whatever the method, so no path signs under another's name."""

    def __call__(self, request):
        with masquerade_acting(impersonator_id(request)):
            return super().__call__(request)

    def get_context(self, request):
        context = super().get_context(request)
        request.impersonator_id = impersonator_id(request)
        medspa = getattr(request, "medspa", None)
        context.update(
            medspa=medspa.pk if medspa else None,
            ip=client_ip(request),
            request_id=getattr(request, "request_id", ""),
            impersonator=getattr(request, "impersonator_id", None),
            method=request.method,
        )
        return context
