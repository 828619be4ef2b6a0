"""Starting and stopping a masquerade. django-hijack's own URLs are not exposed: these views ask for the
reason, log start and stop, and keep the admin's session clock (masquerading never extends a session)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_scopes import scopes_disabled
from hijack.views import AcquireUserView, ReleaseUserView

from medspa import dashboards
from medspa.middleware import SESSION_STARTED_KEY
from medspa.models import MasqueradeEvent, User
from medspa.selectors import masquerade
from medspa.services.accounts import masquerade_record
from medspa.tenancy import SESSION_MEDSPA_KEY


class MasqueradeForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why you are acting as this person; kept in the audit trail.",
    )
    return_to = forms.CharField(required=False, widget=forms.HiddenInput)


def _safe(request, url: str, fallback: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return fallback


def _target_or_404(request, user_id: int) -> User:
    with scopes_disabled():
        target = get_object_or_404(User, pk=user_id)
    if not masquerade.can_masquerade(hijacker=request.user, hijacked=target):
        # Outside the admin's medspa nothing is revealed; inside it, the rule is said plainly.
        if request.user.is_staff or target.memberships.filter(medspa=request.medspa).exists():
            raise PermissionDenied("You may masquerade only as a provider of your own medspa.")
        raise Http404
    return target


@login_required
def masquerade_start(request, user_id: int):
    """GET: the confirmation with a reason; POST: start acting as the user."""
    if getattr(request.user, "is_hijacked", False):
        raise PermissionDenied("Stop the current masquerade first.")
    target = _target_or_404(request, user_id)
    initial = {"return_to": request.GET.get("next") or request.META.get("HTTP_REFERER", "")}
    form = MasqueradeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        hijacker = request.user
        started_at = request.session.get(SESSION_STARTED_KEY)
        return_to = _safe(request, form.cleaned_data["return_to"], "/")
        medspa_id = masquerade.masquerade_medspa_id(hijacker=hijacker, hijacked=target)
        request.POST = request.POST.copy()
        request.POST["user_pk"] = str(target.pk)
        request.POST["next"] = "/"
        AcquireUserView.as_view()(request)
        if request.user.pk != target.pk:
            raise PermissionDenied("The masquerade could not start.")
        # login() started a fresh session for the provider: carry over what must not change.
        request.session[SESSION_STARTED_KEY] = started_at
        request.session[masquerade.SESSION_RETURN_KEY] = return_to
        request.session[SESSION_MEDSPA_KEY] = medspa_id
        request.session[dashboards.SESSION_KEY] = dashboards.PROVIDER
        masquerade_record(
            request=request,
            action=MasqueradeEvent.Action.START,
            actor=hijacker,
            target=target,
            medspa_id=medspa_id,
            reason=form.cleaned_data["reason"],
        )
        messages.info(request, f"You are now working as {target.get_full_name()}.")
        return redirect("home")
    return render(request, "medspa/masquerade_start.html", {"form": form, "target": target})


@require_POST
@login_required
def masquerade_stop(request):
    """Back to yourself, on the page you were on when you started."""
    if not getattr(request.user, "is_hijacked", False):
        return redirect("home")
    target, medspa_id = request.user, getattr(request.medspa, "pk", None)
    started_at = request.session.get(SESSION_STARTED_KEY)
    return_to = request.session.get(masquerade.SESSION_RETURN_KEY, "/")
    ReleaseUserView.as_view()(request)
    request.session[SESSION_STARTED_KEY] = started_at
    request.session[SESSION_MEDSPA_KEY] = medspa_id
    masquerade_record(
        request=request,
        action=MasqueradeEvent.Action.STOP,
        actor=request.user,
        target=target,
        medspa_id=medspa_id,
    )
    messages.info(request, f"You stopped masquerading as {target.get_full_name()}.")
    return redirect(_safe(request, return_to, "/"))
