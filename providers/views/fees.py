"""The no-show and late-cancellation fees on the appointment pages: the button "Charge the $75.00 no-show
fee to Visa ending 4242" (with a confirmation) for an appointment that owes one, or, once charged, what was
charged with a link to its sale (where it can be refunded). The buttons are what this app puts on the
calendar's appointment pages (scheduling.selectors.calendar.APPOINTMENT_ACTIONS, ProvidersConfig.ready);
the admin and the appointment's provider may charge."""

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.money import money_format
from providers.services import fees
from providers.services.settlement import CheckoutRefused
from scheduling.models import Appointment
from scheduling.selectors.calendar import AppointmentAction


def fee_actions(appointment: Appointment, *, sale_url_name: str = "providers:admin_sale_detail"):
    """The fee's button, or the fee charged with a link to its sale; nothing when no fee is owed."""
    offer = fees.fee_offer(appointment)
    if offer is None:
        return []
    sale = offer["sale"]
    if sale is not None:
        day = date_format(sale.paid_at.astimezone(appointment.location.tz), "M j, Y")
        note = f"{offer['label']} charged {money_format(sale.total)} on {day}."
        return [
            AppointmentAction(
                f"Open {sale.number}", reverse(sale_url_name, args=[sale.pk]), "note", note=note
            )
        ]
    words = fees.fee_offer_words(offer)
    return [
        AppointmentAction(
            words,
            reverse("providers:appointment_fee", args=[appointment.pk]),
            method="post",
            css="button-secondary",
            fields=(("kind", offer["kind"]), ("idempotency_key", str(uuid.uuid4()))),
            confirm=f"{words}? {appointment.patient.full_name}'s card is charged now.",
        )
    ]


def fee_page_actions(appointment: Appointment):
    return fee_actions(appointment)


def no_calendar_actions(appointment: Appointment):
    return []


@require_POST
@dashboard_area(dashboards.ADMIN, dashboards.PROVIDER)
def appointment_fee(request, pk: int):
    """Charges the appointment's no-show or late-cancellation fee to the card on file (POST kind,
    idempotency_key): the admin, or the appointment's own provider; anyone else's appointment is a 404."""
    appointment = get_object_or_404(
        Appointment.objects.select_related("appointment_type", "patient", "location", "medspa"), pk=pk
    )
    if not (request.membership.is_admin or appointment.provider_id == request.membership.pk):
        raise Http404
    kind = request.POST.get("kind", "")
    with refusals(request):
        amount = fees._fee_of(appointment, kind) if kind in fees.FEE_FIELDS else None
        if not amount:
            raise CheckoutRefused("This appointment type's booking policy sets no such fee.")
        sale = fees.appointment_fee_charge(
            appointment=appointment,
            kind=kind,
            amount=amount,
            by=request.user,
            idempotency_key=request.POST.get("idempotency_key", "")[:60],
        )
        messages.success(
            request,
            f"Charged {money_format(sale.total)}: the {sale.get_fee_kind_display().lower()} ({sale.number}).",
        )
    if request.dashboard == dashboards.ADMIN:
        return redirect("scheduling:appointment_detail", pk=appointment.pk)
    return redirect(reverse("providers:calendar") + f"?appointment={appointment.pk}")
