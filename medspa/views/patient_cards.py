"""A patient's card on file on their profile, for the front desk: the admin dashboard's profile, and the
provider dashboard's for the provider's own patients (patients_open_to, as the profiles themselves). The
card is typed into Stripe's field (a SetupIntent for the patient's customer on the medspa's connected
account); adding one replaces the card on file; removing detaches it at Stripe. Who added or removed it is
kept on the card."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from medspa.models import Patient
from medspa.models.payments import SavedCard
from medspa.payments import cards
from medspa.payments.client import PaymentError
from medspa.payments.connect import ready_account
from medspa.payments.csp import uses_stripe
from medspa.permissions import role_required
from medspa.selectors.patients import patients_open_to
from medspa.services.patients import patient_access_record

AREAS = ("admin", "provider")


def card_panel_context(patient: Patient, area: str) -> dict:
    """The profile panel: the patient's card on file, and whether the medspa can take one."""
    return {
        "card": cards.patient_card(medspa=patient.medspa, patient=patient),
        "cards_ready": ready_account(patient.medspa) is not None,
    }


def _profile_url(patient: Patient, area: str) -> str:
    if area == "admin":
        return reverse("dashboard_patient_detail", args=[patient.pk])
    return reverse("providers:patient_detail", args=[patient.pk])


@uses_stripe
@role_required("admin", "provider")
@require_http_methods(["GET", "POST"])
def patient_card(request, pk: int):
    """GET: the card field to add or replace the card. POST action=save: keeps the card the field saved;
    action=remove: takes the card off file."""
    patient = get_object_or_404(patients_open_to(request.membership).select_related("medspa"), pk=pk)
    area = request.POST.get("area") or request.GET.get("area") or ""
    if area not in AREAS or (area == "admin" and not request.membership.is_admin):
        area = "admin" if request.membership.is_admin else "provider"
    back = _profile_url(patient, area)
    card = cards.patient_card(medspa=request.medspa, patient=patient)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "remove":
                if card is None:
                    raise Http404
                cards.card_remove(card=card, by=request.user)
                messages.success(request, f"{card} was removed.")
                return redirect(back)
            if action != "save":
                raise PaymentError("Please choose what to do.")
            setup_intent = (request.POST.get("setup_intent") or "").strip()
            if not setup_intent:
                raise PaymentError("Please enter the card.")
            customer = cards.customer_for(medspa=request.medspa, patient=patient)
            saved = cards.card_save(
                customer=customer, setup_intent_id=setup_intent, via=SavedCard.Via.FRONT_DESK, by=request.user
            )
            messages.success(request, f"{saved} is on file for {patient.full_name}.")
            return redirect(back)
        except PaymentError as failed:
            error = str(failed)
    setup = None
    if ready_account(request.medspa) is None:
        error = error or "Connect your Stripe account first (Account settings → Payments)."
    else:
        try:
            setup = cards.card_setup_start(
                customer=cards.customer_for(medspa=request.medspa, patient=patient)
            )
        except PaymentError as failed:
            error = error or str(failed)
    patient_access_record(patient=patient, request=request, viewed="Patient profile: card on file")
    context = {"patient": patient, "card": card, "setup": setup, "error": error, "area": area, "back": back}
    return render(
        request, "medspa/patients/card.html", context, status=400 if request.method == "POST" else 200
    )
