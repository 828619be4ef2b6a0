"""A member's own profile (/profile/) and the admin's Account settings (/dashboard/settings/)."""

from pathlib import PurePosixPath

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from medspa import dashboards, files
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.forms.accounts import (
    AddonsForm,
    BusinessForm,
    DrawnSignatureForm,
    LicenceForm,
    MedicalDirectorForm,
    MedicalDirectorRequestForm,
    ProfileForm,
)
from medspa.models import MedicalDirectorRequest, Membership, ProviderLicence, ProviderProfile
from medspa.payments.csp import uses_stripe
from medspa.permissions import has_role, role_required
from medspa.selectors import accounts as account_selectors
from medspa.selectors import masquerade
from medspa.services import accounts as account_services
from medspa.services import onboarding
from medspa.views import panels

MEMBER_ROLES = ("admin", "provider", "coordinator")


def _profile_context(request, **forms):
    profile = account_selectors.profile_of(request.membership)
    context = {
        "profile": profile,
        "licences": profile.licences.all() if profile else [],
        "missing": account_selectors.profile_missing(request.membership),
        "profile_form": ProfileForm(instance=profile or ProviderProfile(membership=request.membership)),
        "signature_form": DrawnSignatureForm(),
        "licence_form": LicenceForm(),
        # Through a masquerade, the member's signature on file and licences are theirs to change only.
        "signature_refusal": masquerade.signature_personal_refusal(
            account_services.PROFILE_SIGNATURE_NOT_PERSONAL
        ),
        "licence_refusal": masquerade.signature_personal_refusal(
            account_services.PROFILE_LICENCE_NOT_PERSONAL
        ),
    }
    context.update(forms)
    return context


@role_required(*MEMBER_ROLES)
def profile(request):
    """Headshot, photo ID, signature (uploaded or drawn), licences, credential and position."""
    if request.method == "POST":
        current = account_selectors.profile_of(request.membership)
        form = ProfileForm(
            request.POST,
            request.FILES,
            instance=current or ProviderProfile(membership=request.membership, medspa=request.medspa),
        )
        if form.is_valid():
            with refusals(form=form):
                account_services.profile_update(membership=request.membership, data=form.cleaned_data)
                messages.success(request, "Your profile was saved.")
                return redirect("profile")
        return render(
            request, "medspa/profile.html", _profile_context(request, profile_form=form), status=400
        )
    return render(request, "medspa/profile.html", _profile_context(request))


@require_POST
@role_required(*MEMBER_ROLES)
def profile_signature(request):
    form = DrawnSignatureForm(request.POST)
    if not form.is_valid():
        return render(
            request, "medspa/profile.html", _profile_context(request, signature_form=form), status=400
        )
    with refusals(request):
        account_services.profile_signature_draw(
            membership=request.membership, png=form.cleaned_data["data_url"]
        )
        messages.success(request, "Your signature was saved.")
    return redirect("profile")


@require_POST
@role_required(*MEMBER_ROLES)
def licence_add(request):
    form = LicenceForm(request.POST)
    if not form.is_valid():
        return render(
            request, "medspa/profile.html", _profile_context(request, licence_form=form), status=400
        )
    with refusals(request):
        account_services.licence_add(membership=request.membership, data=form.cleaned_data)
        messages.success(request, "The licence was added.")
    return redirect("profile")


@require_POST
@role_required(*MEMBER_ROLES)
def licence_remove(request, pk: int):
    licence = get_object_or_404(ProviderLicence, pk=pk, profile__membership=request.membership)
    with refusals(request):
        account_services.licence_remove(licence=licence)
        messages.success(request, f"The {licence.state} licence {licence.number} was removed.")
    return redirect("profile")


PROFILE_FILES = {"headshot", "signature", "photo_id"}


@role_required(*MEMBER_ROLES)
def profile_file(request, membership_id: int, kind: str):
    """Serves an uploaded profile file to people allowed to see it: colleagues see headshots and
    signatures; a photo ID only its owner and the medspa's admins. Never from a public URL.

    Headshots and signatures are streamed through this view (medspa.files.file_stream): pages show them in
    an <img>, which the CSP allows from our own origin only. A photo ID opens as a page of its own (an
    image or a scanned PDF) from the profile's link: from S3 it is a redirect, after the check above, to a
    URL signed for S3_SIGNED_URL_SECONDS (medspa.files.file_signed_redirect), so a large scan is read
    from the bucket by the browser's viewer rather than through a web worker; from the folder, streamed."""
    if kind not in PROFILE_FILES:
        raise Http404
    profile = get_object_or_404(ProviderProfile, membership_id=membership_id)
    if (
        kind == "photo_id"
        and profile.membership_id != request.membership.pk
        and not has_role(request, "admin")
    ):
        raise PermissionDenied("Only the owner and the medspa's admins see a photo ID.")
    upload = getattr(profile, kind)
    if not upload:
        raise Http404
    filename = f"{kind.replace('_', '-')}-{membership_id}{PurePosixPath(upload.name).suffix.lower()}"
    if kind == "photo_id":
        return files.file_signed_redirect(upload, filename=filename)
    return files.file_stream(upload, filename=filename)


def _settings_context(request, **forms):
    medspa = request.medspa
    physicians = account_selectors.physicians_of(medspa)
    context = {
        "business_form": BusinessForm(instance=medspa),
        "addons_form": AddonsForm(instance=medspa),
        "director_form": MedicalDirectorForm(
            physicians=physicians, initial={"director": medspa.medical_director_id}
        ),
        "director_request_form": MedicalDirectorRequestForm(),
        "director_requests": MedicalDirectorRequest.objects.filter(medspa=medspa)[:5],
        "has_physicians": physicians.exists(),
        "members": account_selectors.members_with_actions(
            Membership.objects.filter(medspa=medspa)
            .select_related("user", "provider_profile")
            .order_by("-is_active", "user__full_name"),
            request.user,
        ),
        "checklist": onboarding.checklist(medspa, request.membership),
        "panels": panels.account_settings_panels(request),  # the transition's, payments' and billing's cards
    }
    context.update(forms)
    return context


@uses_stripe
@dashboard_area(dashboards.ADMIN)
def account_settings(request):
    return render(request, "medspa/account_settings.html", _settings_context(request))


@require_POST
@dashboard_area(dashboards.ADMIN)
def settings_business(request):
    form = BusinessForm(request.POST, instance=request.medspa)
    if not form.is_valid():
        request.medspa.refresh_from_db()
        return render(
            request,
            "medspa/account_settings.html",
            _settings_context(request, business_form=form),
            status=400,
        )
    account_services.medspa_update(medspa=request.medspa, data=form.cleaned_data)
    messages.success(request, "Business details saved.")
    return redirect("account_settings")


@require_POST
@dashboard_area(dashboards.ADMIN)
def settings_addons(request):
    form = AddonsForm(request.POST, instance=request.medspa)
    if form.is_valid():
        account_services.medspa_update(medspa=request.medspa, data=form.cleaned_data)
        messages.success(request, "Add-ons saved.")
    return redirect("account_settings")


@require_POST
@dashboard_area(dashboards.ADMIN)
def settings_medical_director(request):
    form = MedicalDirectorForm(request.POST, physicians=account_selectors.physicians_of(request.medspa))
    if not form.is_valid():
        return render(
            request,
            "medspa/account_settings.html",
            _settings_context(request, director_form=form),
            status=400,
        )
    with refusals(request):
        account_services.medical_director_set(medspa=request.medspa, membership=form.cleaned_data["director"])
        messages.success(
            request, f"{form.cleaned_data['director'].user.get_full_name()} is your medical director."
        )
    return redirect("account_settings")


@require_POST
@dashboard_area(dashboards.ADMIN)
def settings_medical_director_request(request):
    form = MedicalDirectorRequestForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "medspa/account_settings.html",
            _settings_context(request, director_request_form=form),
            status=400,
        )
    with refusals(request):
        account_services.medical_director_request(
            medspa=request.medspa, requested_by=request.user, data=form.cleaned_data
        )
        messages.success(request, "Portrait will create a physician user for you and let you know.")
    return redirect("account_settings")


@require_POST
@dashboard_area(dashboards.ADMIN)
def settings_member(request, pk: int, action: str):
    """Admin management: grant or remove the admin role, deactivate or reactivate a person."""
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk)
    actions = {
        "grant-admin": lambda: account_services.membership_set_admin(membership=membership, is_admin=True),
        "remove-admin": lambda: account_services.membership_set_admin(membership=membership, is_admin=False),
        "deactivate": lambda: account_services.membership_deactivate(membership=membership),
        "reactivate": lambda: account_services.membership_reactivate(membership=membership),
    }
    if action not in actions:
        raise Http404
    with refusals(request):
        actions[action]()
        done = {
            "grant-admin": "is now an admin",
            "remove-admin": "is no longer an admin",
            "deactivate": "was deactivated and signed out everywhere",
            "reactivate": "was reactivated",
        }
        messages.success(request, f"{membership.user.get_full_name()} {done[action]}.")
    return redirect("dashboard_providers" if request.POST.get("back") == "providers" else "account_settings")
