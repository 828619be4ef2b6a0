"""A service visit in the Provider dashboard: starting one (from a checked-in appointment or as a walk-in),
its chart page, the small actions the chart's forms post to, and its photos.

Only the visit's own provider opens it: any other id, of a colleague or another medspa, is a 404. Each
action calls a charting or checkout service and turns its refusal into a message or a form error; a form
with errors comes back on the chart page with what was typed (status 400)."""

from collections.abc import Callable
from pathlib import PurePosixPath

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from medspa import dashboards, files
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.forms.accounts import DrawnSignatureForm
from medspa.http import client_ip
from medspa.money import ZERO, money_format
from medspa.selectors import masquerade
from medspa.services.patients import patient_access_record
from providers.forms.payment import ChargeForm
from providers.forms.visits import (
    AddendumForm,
    NotesForm,
    PhotoForm,
    ProductForm,
    ServiceAddForm,
    VoidForm,
    WalkInForm,
)
from providers.models import Sale, Visit, VisitStatus
from providers.selectors import chart_pdf, charts
from providers.selectors.patients import provider_patients
from providers.selectors.payments import checkout_card
from providers.services import charting, checkout, settlement
from providers.services.charting import ChartingRefused
from scheduling.models import Appointment
from services_catalog.selectors.catalog import consent_versions_for
from services_catalog.services import errors as catalog_errors

TEMPLATE = "providers/visits/detail.html"
# Which state of the chart shows each form: "billable" (open and unsigned), "editable" (unsigned, not
# voided), "open" (not paid nor voided: a signed chart can still be charged), "signed" (the addendum). A
# refusal for a form the page does not show goes to the top instead.
FORM_SHOWN_WHEN = {
    "service_form": "billable",
    "product_form": "billable",
    "charge_form": "open",
    "void_form": "billable",
    "notes_form": "editable",
    "photo_form": "editable",
    "consent_forms": "editable",
    "addendum_form": "signed",
}


def _visit(request, pk: int) -> Visit:
    """The requesting provider's own visit; anyone else's is a 404."""
    visits = Visit.objects.filter(provider=request.membership).select_related(
        "patient",
        "provider__user",
        "location",
        "medspa",
        "appointment__appointment_type",
        "chart_signed_by",
        "signed_on_behalf_by",
        "signed_on_behalf_of__user",
    )
    return get_object_or_404(visits, pk=pk)


def _back(visit: Visit, anchor: str = ""):
    url = reverse("providers:visit_detail", kwargs={"pk": visit.pk})
    return redirect(f"{url}#{anchor}" if anchor else url)


def _states(visit: Visit) -> dict[str, bool]:
    editable = visit.status != VisitStatus.VOIDED and not visit.is_signed
    return {
        "editable": editable,
        "billable": editable and visit.status == VisitStatus.OPEN,
        "open": visit.status == VisitStatus.OPEN,
        "signed": visit.is_signed,
    }


def _consent_form(version_id: int, data=None) -> DrawnSignatureForm:
    """One signature form per consent on the page: ids of their own, the field still named data_url."""
    form = DrawnSignatureForm(data, auto_id=f"id_consent{version_id}_%s")
    form.fields["data_url"].error_messages["required"] = "Draw your signature in the box first."
    return form


def _chart_context(request, visit: Visit, forms: dict, error: str) -> dict:
    states = _states(visit)
    consent_forms = forms.get("consent_forms", {})
    needs = charts.consents_needed(visit)
    sale = Sale.objects.filter(visit=visit).prefetch_related("lines", "payments", "refunds").first()
    lines = checkout.visit_lines(visit) if states["open"] else []
    card, card_mode = checkout_card(visit.medspa, visit.patient) if states["open"] else (None, "")
    deposit = checkout.visit_deposit(visit) if states["open"] else None
    charge_form = forms.get("charge_form") or ChargeForm(card_on_file=card, connected=card_mode != "terminal")
    return {
        "visit": visit,
        "patient": visit.patient,
        **states,
        "error": error,
        "overdue": charts.chart_overdue(visit),
        "due_hours": int(charts.CHART_DUE_WITHIN.total_seconds() // 3600),
        "services": visit.services.select_related(
            "service__library_service", "standing_order_version__standing_order"
        ),
        "consents": [
            (need, consent_forms.get(need.version.pk) or _consent_form(need.version.pk)) for need in needs
        ],
        "products": visit.products.select_related("visit_service__service__library_service"),
        "photos": list(visit.photos.all()),
        "addenda": visit.addenda.select_related("signed_by"),
        "sale": sale,
        "care_logs": visit.care_messages.select_related("care_message") if sale else [],
        "lines": lines,
        "subtotal": sum((line.amount for line in lines), ZERO),
        "sign_refusal": charts.sign_refusal(visit, request.user) or charts.on_behalf_refusal(visit),
        "signature_lines": charts.chart_signature_lines(visit),
        # Through a masquerade the admin charts, signs only on the provider's behalf, and never witnesses.
        "masquerading": masquerade.acting_impersonator_id() is not None,
        "witness_refusal": masquerade.signature_personal_refusal(catalog_errors.WITNESS_NOT_PERSONAL),
        "addendum_refusal": masquerade.signature_personal_refusal(charting.ADDENDUM_NOT_PERSONAL),
        "service_form": forms.get("service_form") or ServiceAddForm(visit=visit),
        "product_form": forms.get("product_form") or ProductForm(visit=visit),
        "notes_form": forms.get("notes_form") or NotesForm(initial={"notes": visit.notes}),
        "photo_form": forms.get("photo_form") or PhotoForm(),
        "charge_form": charge_form,
        "card_mode": card_mode,
        "deposit": deposit,
        "running": _running_total(charge_form, lines, deposit) if lines else None,
        "addendum_form": forms.get("addendum_form") or AddendumForm(),
        "void_form": forms.get("void_form") or VoidForm(),
    }


def _chart(request, visit: Visit, *, status: int = 200, **forms):
    """The chart page; a form passed in (bound, with its errors) replaces the blank one. When the chart's
    state hides that form (e.g. a POST to a signed chart), its errors are shown at the top."""
    patient_access_record(patient=visit.patient, request=request, viewed="Provider dashboard: visit chart")
    states = _states(visit)
    hidden = []
    for name, form in forms.items():
        if not states[FORM_SHOWN_WHEN[name]]:
            for bound in form.values() if isinstance(form, dict) else [form]:
                hidden += [str(error) for errors in bound.errors.values() for error in errors]
    return render(request, TEMPLATE, _chart_context(request, visit, forms, " ".join(hidden)), status=status)


def _act(request, visit: Visit, action: Callable[[], object], done: str, anchor: str):
    """A chart action without a form (a remove, the signature): its refusal or `done` is the message, then
    back to the chart at `anchor`."""
    with refusals(request):
        action()
        messages.success(request, done)
    return _back(visit, anchor)


def _submit(
    request, visit: Visit, form, action: Callable[[], str], *, anchor: str = "", field=None, **on_chart
):
    """A chart form's post: a valid `form` runs `action`, which returns the success message, then back to the
    chart at `anchor`. Invalid, or refused (the refusal is the form's error, on `field`), the chart comes
    back with status 400 and what was typed: `on_chart` names the bound form as the chart's context does."""
    if form.is_valid():
        try:
            done = action()
        except ChartingRefused as refused:  # CheckoutRefused too; on the field the caller names
            form.add_error(field, str(refused))
        else:
            messages.success(request, done)
            return _back(visit, anchor)
    return _chart(request, visit, status=400, **on_chart)


# --- Starting -----------------------------------------------------------------------------------------------


@require_POST
@dashboard_area(dashboards.PROVIDER)
def visit_start(request, appointment_id: int):
    """Starts the visit of the provider's checked-in appointment (or opens the one already started)."""
    appointments = Appointment.objects.filter(provider=request.membership)
    appointment = get_object_or_404(appointments, pk=appointment_id)
    with refusals(request) as refused:
        visit = charting.visit_start_from_appointment(appointment=appointment, by=request.user)
    if refused:
        return redirect(reverse("providers:calendar") + f"?appointment={appointment.pk}")
    return _back(visit)


@dashboard_area(dashboards.PROVIDER)
def visit_walk_in(request, pk: int):
    """A visit without an appointment, for one of the provider's own patients, at a location chosen here."""
    patient = get_object_or_404(provider_patients(request.membership), pk=pk)
    form = WalkInForm(request.POST or None, medspa=request.medspa)
    if request.method == "POST" and form.is_valid():
        with refusals(form=form):
            visit = charting.visit_start_walk_in(
                patient=patient,
                provider=request.membership,
                location=form.cleaned_data["location"],
                by=request.user,
            )
            messages.success(request, f"A walk-in visit for {patient.full_name} is started.")
            return _back(visit)
    status = 400 if request.method == "POST" else 200
    patient_access_record(patient=patient, request=request, viewed="Provider dashboard: walk-in visit form")
    return render(request, "providers/visits/walk_in.html", {"patient": patient, "form": form}, status=status)


# --- The chart ----------------------------------------------------------------------------------------------


@require_safe
@dashboard_area(dashboards.PROVIDER)
def visit_detail(request, pk: int):
    return _chart(request, _visit(request, pk))


@require_safe
@dashboard_area(dashboards.PROVIDER)
def visit_photo(request, pk: int, photo_id: int):
    """A photo's bytes, to the visit's provider only, never cached: there is no public URL to a photo.

    Streamed through this view from whichever storage holds it (medspa.files.file_stream), never a
    redirect to a signed URL: each look at a patient's photo is checked and written to the access log
    here, and the chart shows it in an <img>, which the CSP allows from our own origin only."""
    visit = _visit(request, pk)
    photo = get_object_or_404(visit.photos.all(), pk=photo_id)
    patient_access_record(patient=visit.patient, request=request, viewed="Provider dashboard: visit photo")
    suffix = PurePosixPath(photo.image.name).suffix.lower()
    return files.file_stream(photo.image, filename=f"visit-{visit.pk}-{photo.kind}-{photo.pk}{suffix}")


@require_POST
@dashboard_area(dashboards.PROVIDER)
def visit_service_add(request, pk: int):
    visit = _visit(request, pk)
    form = ServiceAddForm(request.POST, visit=visit)

    def add() -> str:
        row = charting.visit_service_add(visit=visit, service=form.cleaned_data["service"])
        return f"{row.service.display_name} is added to the visit."

    return _submit(request, visit, form, add, anchor="services", field="service", service_form=form)


@require_POST
@dashboard_area(dashboards.PROVIDER)
def visit_service_remove(request, pk: int, row_id: int):
    visit = _visit(request, pk)
    row = get_object_or_404(visit.services.select_related("service__library_service"), pk=row_id)
    return _act(
        request,
        visit,
        lambda: charting.visit_service_remove(visit_service=row),
        f"{row.service.display_name} is removed from the visit.",
        "services",
    )


@require_POST
@dashboard_area(dashboards.PROVIDER)
def visit_consent_sign(request, pk: int, version_id: int):
    """The patient signs one consent version on screen (the drawing, the time and the IP are kept)."""
    visit = _visit(request, pk)
    version = get_object_or_404(consent_versions_for(request.medspa).select_related("consent"), pk=version_id)
    form = _consent_form(version.pk, request.POST)

    def sign() -> str:
        charting.visit_consent_sign(
            visit=visit,
            version=version,
            signature_png=form.cleaned_data["data_url"],
            by=request.user,
            ip=client_ip(request),
        )
        return f"{visit.patient.full_name} signed the {version.consent.title}."

    return _submit(request, visit, form, sign, anchor="consents", consent_forms={version.pk: form})


@require_POST
@dashboard_area(dashboards.PROVIDER)
def visit_product_add(request, pk: int):
    visit = _visit(request, pk)
    form = ProductForm(request.POST, visit=visit)
    if form.is_valid():
        data = form.cleaned_data
        try:
            product = charting.visit_product_add(visit=visit, **form.product())
        except ChartingRefused as refused:
            # An expired lot is the expiry's fault; any other refusal is the form's.
            expired = visit.is_open and not visit.is_signed and data["expires_on"] < charts.visit_day(visit)
            form.add_error("expires_on" if expired else None, str(refused))
        else:
            messages.success(request, f"{product} is recorded.")
            return _back(visit, "products")
    return _chart(request, visit, status=400, product_form=form)


@require_POST
@dashboard_area(dashboards.PROVIDER)
def visit_product_remove(request, pk: int, product_id: int):
    visit = _visit(request, pk)
    product = get_object_or_404(visit.products.all(), pk=product_id)
    return _act(
        request,
        visit,
        lambda: charting.visit_product_remove(product=product),
        f"{product.name} (lot {product.lot_number}) is removed.",
        "products",
    )


@require_POST
@dashboard_area(dashboards.PROVIDER)
def visit_notes_save(request, pk: int):
    visit = _visit(request, pk)
    form = NotesForm(request.POST)

    def save() -> str:
        charting.visit_notes_save(visit=visit, notes=form.cleaned_data["notes"])
        return "The clinical notes are saved."

    return _submit(request, visit, form, save, anchor="notes", notes_form=form)


@require_POST
@dashboard_area(dashboards.PROVIDER)
def visit_photo_add(request, pk: int):
    visit = _visit(request, pk)
    form = PhotoForm(request.POST, request.FILES)

    def add() -> str:
        data = form.cleaned_data
        charting.visit_photo_add(
            visit=visit, kind=data["kind"], image=data["image"], caption=data["caption"], by=request.user
        )
        return f"The {data['kind']} photo is added."

    return _submit(request, visit, form, add, anchor="photos", photo_form=form)


@require_POST
@dashboard_area(dashboards.PROVIDER)
def visit_photo_remove(request, pk: int, photo_id: int):
    visit = _visit(request, pk)
    photo = get_object_or_404(visit.photos.all(), pk=photo_id)
    return _act(
        request, visit, lambda: charting.visit_photo_remove(photo=photo), "The photo is removed.", "photos"
    )


@require_POST
@dashboard_area(dashboards.PROVIDER)
def visit_checkout(request, pk: int):
    """Charges the visit (split payment) and completes it; the care messages go out after the commit."""
    visit = _visit(request, pk)
    card, mode = checkout_card(visit.medspa, visit.patient)
    form = ChargeForm(request.POST, card_on_file=card, connected=mode != "terminal")

    def charge() -> str:  # refused when short or over paid, by the GFE gate, for a consent unsigned
        try:
            sale = checkout.visit_checkout(visit=visit, by=request.user, **form.charge())
        except ChartingRefused:
            form.key_renew_if_declined()
            raise
        return f"Paid {money_format(sale.total)} ({sale.number}). The care messages go out to the patient."

    return _submit(request, visit, form, charge, anchor="checkout", charge_form=form)


def _running_total(form: ChargeForm, lines: list, deposit) -> settlement.RunningTotal:
    """The visit's checkout as typed so far in `form` (no tax on a visit's services and products), the
    booking's deposit counting as paid."""
    typed = form.typed_so_far()
    paid = typed["paid"] + (deposit.amount if deposit is not None else ZERO)
    return settlement.running_total(
        lines, discount=typed["discount"], tip=typed["tip"], tax_percent=ZERO, paid=paid
    )


@require_POST
@dashboard_area(dashboards.PROVIDER)
def visit_checkout_total(request, pk: int):
    """The checkout's running total (an htmx partial) as the provider types the discount, the tip and the
    payments: worked out by the settlement's own arithmetic, nothing charged."""
    visit = _visit(request, pk)
    if visit.status != VisitStatus.OPEN:
        return render(request, "providers/_running_total.html", {"running": None})
    lines = checkout.visit_lines(visit)
    deposit = checkout.visit_deposit(visit)
    running = _running_total(ChargeForm(request.POST), lines, deposit) if lines else None
    return render(request, "providers/_running_total.html", {"running": running})


@require_POST
@dashboard_area(dashboards.PROVIDER)
def visit_sign(request, pk: int):
    """The provider signs (or co-signs) the chart and it locks; through a masquerade, the admin signs on
    the provider's behalf and the chart waits for the provider's co-signature."""
    visit = _visit(request, pk)
    if masquerade.acting_impersonator_id() is not None:
        done = (
            f"You signed the chart on behalf of {visit.provider.user.get_full_name()}. It stays open until "
            "they co-sign it from their To-Do."
        )
    elif visit.awaits_cosign:
        done = "You co-signed the chart and it is locked. Later changes are addenda."
    else:
        done = "The chart is signed and locked. Later changes are addenda."
    return _act(request, visit, lambda: charting.chart_sign(visit=visit, by=request.user), done, "sign")


@require_safe
@dashboard_area(dashboards.PROVIDER)
def visit_pdf(request, pk: int):
    """The chart as a PDF, with who signed it (and on whose behalf)."""
    visit = _visit(request, pk)
    patient_access_record(
        patient=visit.patient, request=request, viewed="Provider dashboard: visit chart PDF"
    )
    response = HttpResponse(chart_pdf.chart_pdf_bytes(visit), content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename=chart-{visit.pk}.pdf"
    return response


@require_POST
@dashboard_area(dashboards.PROVIDER)
def visit_addendum_add(request, pk: int):
    visit = _visit(request, pk)
    form = AddendumForm(request.POST)

    def add() -> str:
        charting.chart_addendum_add(visit=visit, text=form.cleaned_data["text"], by=request.user)
        return "The addendum is signed and added to the chart."

    return _submit(request, visit, form, add, anchor="addenda", addendum_form=form)


@require_POST
@dashboard_area(dashboards.PROVIDER)
def visit_void(request, pk: int):
    visit = _visit(request, pk)
    form = VoidForm(request.POST)

    def void() -> str:
        charting.visit_void(visit=visit, reason=form.cleaned_data["reason"], by=request.user)
        return "The visit is voided."

    return _submit(request, visit, form, void, void_form=form)
