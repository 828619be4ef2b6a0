"""GFE management pages: the admin's GFE Management tab (routing, recent requests), and in both dashboards a
patient's exams (each kept for good, viewable and printable as a PDF). In the Provider dashboard a provider
requests a GFE for their own patient, and a licensed provider clears them ("Approve services and
diagnoses")."""

import base64
import mimetypes
from io import BytesIO

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods

from gfe.forms.dashboard import GfeRequestForm, GfeSettingsForm, SelfClearanceForm
from gfe.models import Clearance, ClearanceStatus, GfeExam, GfeRequest, GfeSettings, Routing
from gfe.selectors import clearances as clearance_selectors
from gfe.selectors.intake import intake_answers, intake_viewed
from gfe.services import decisions, errors
from gfe.services import requests as gfe_requests
from gfe.services import routing as gfe_routing
from gfe.services.decisions import Decision
from gfe.services.errors import GfeRuleBroken
from medspa import clock, dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.models import Patient
from medspa.money import money_format
from medspa.pdf import Document
from medspa.selectors import masquerade
from medspa.selectors.patients import patient_records
from medspa.selectors.patients import patients_of_provider as provider_patients
from medspa.services.patients import patient_access_record, patients_access_record

REQUESTS_PAGE_SIZE = 20
NAMESPACES = {dashboards.ADMIN: "gfe", dashboards.PROVIDER: "gfe_provider"}


# --- The GFE Management tab (admin) -----------------------------------------------------------------------


def _routing_options(form: GfeSettingsForm, eligible: list) -> list[dict]:
    """The three routings as radio options, each with what it means; "clear our own" is unavailable, with
    the reason, while no provider may clear."""
    fee = gfe_routing.urgent_fee()
    chosen = form["routing"].value()
    names = ", ".join(f"{m.user.get_full_name()} ({m.provider_profile.credential})" for m in eligible)
    explanations = {
        Routing.SELF: (
            "Nothing is routed: your medspa requests GFEs manually, or a licensed provider clears the "
            "patient in the Provider dashboard." + (f" Who may clear: {names}." if names else "")
        ),
        Routing.OWN_CLEARER: (
            "A third-party clearing provider of your choosing (name, credentials and email below): every "
            "request is sent to them automatically."
        ),
        Routing.PORTRAIT: (
            "Requests land in a queue that Portrait's clearers work through. An urgent request is taken "
            f"first and adds {money_format(fee)} to your bill."
        ),
    }
    options = []
    for value, label in Routing.choices:
        disabled = value == Routing.SELF and not eligible
        options.append(
            {
                "value": value,
                "label": label,
                "explanation": explanations[value],
                "checked": str(chosen) == value,
                "disabled": disabled,
                "reason": (
                    "Unavailable: no provider may clear yet. It needs an MD, DO or NP (or a PA where the "
                    "state allows it) marked as allowed to clear GFEs, with a current licence on file."
                    if disabled
                    else ""
                ),
            }
        )
    return options


def _recent_requests(request):
    requests = (
        GfeRequest.objects.filter(medspa=request.medspa)
        .select_related("patient")
        .prefetch_related("services__library_service")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(requests, REQUESTS_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    shown = [gfe_request.patient for gfe_request in page.object_list]
    patients_access_record(patients=shown, request=request, viewed="GFE management: recent requests")
    return page


@require_http_methods(["GET", "POST"])
@dashboard_area(dashboards.ADMIN)
def home(request):
    """The routing choice, validity and automatic requests, and the medspa's recent requests. Reading it
    never creates the settings: only saving does (which is what marks the onboarding step done)."""
    medspa = request.medspa
    saved = GfeSettings.objects.filter(medspa=medspa).first()
    status = 200
    if request.method == "POST":
        form = GfeSettingsForm(request.POST)
        if form.is_valid():
            try:
                gfe_routing.gfe_settings_update(medspa=medspa, data=form.cleaned_data)
            except GfeRuleBroken as refused:
                field = "routing" if form.cleaned_data["routing"] == Routing.SELF else None
                form.add_error(field, str(refused))
            else:
                messages.success(request, "Your GFE settings were saved.")
                return redirect("gfe:home")
        status = 400
    else:
        form = GfeSettingsForm(initial=GfeSettingsForm.initial_from(saved))
    eligible = clearance_selectors.self_clearing_providers(medspa)
    context = {
        "form": form,
        "saved": saved,
        "routing_options": _routing_options(form, eligible),
        "page": _recent_requests(request),
        "urgent_fee": gfe_routing.urgent_fee(),
    }
    return render(request, "gfe/home.html", context, status=status)


# --- A patient's GFEs, in either dashboard ----------------------------------------------------------------


def _area_patients(request) -> QuerySet[Patient]:
    """The patients the request's dashboard may open: a provider their own, an admin the medspa's."""
    if request.dashboard == dashboards.PROVIDER:
        return provider_patients(request.membership)
    return Patient.objects.filter(medspa=request.medspa)


def _exam_of(request, pk: int) -> GfeExam:
    exams = GfeExam.objects.filter(patient__in=_area_patients(request)).select_related(
        "patient", "request", "medspa"
    )
    return get_object_or_404(exams, pk=pk)


def _exam_clearances(exam: GfeExam) -> list[Clearance]:
    return list(exam.clearances.select_related("service__library_service").order_by("pk"))


def _signature_data_url(exam: GfeExam) -> str:
    png = _signature_bytes(exam)
    if not png:
        return ""
    content_type = mimetypes.guess_type(exam.signature.name)[0] or "image/png"
    return f"data:{content_type};base64,{base64.b64encode(png).decode('ascii')}"


def _signature_bytes(exam: GfeExam) -> bytes:
    if not exam.signature:
        return b""
    try:
        with exam.signature.open("rb") as upload:
            return upload.read()
    except OSError:
        return b""


def _patient_gfes_context(patient: Patient) -> dict:
    return {
        "patient": patient,
        "exams": GfeExam.objects.filter(patient__in=patient_records(patient))
        .select_related("request")
        .order_by("-signed_at"),
        "requests": GfeRequest.objects.filter(patient=patient)
        .prefetch_related(
            Prefetch("clearances", queryset=Clearance.objects.select_related("service__library_service"))
        )
        .select_related("exam")
        .order_by("-created_at", "-pk"),
    }


def _exam_detail(request, pk: int):
    exam = _exam_of(request, pk)
    patient_access_record(patient=exam.patient, request=request, viewed=f"GFE exam {exam.pk}")
    context = {
        "exam": exam,
        "patient": exam.patient,
        "clearances": _exam_clearances(exam),
        "signature_url": _signature_data_url(exam),
        "other_exams": GfeExam.objects.filter(patient=exam.patient).order_by("-signed_at"),
        "area": request.dashboard,
        "ns": NAMESPACES[request.dashboard],
        "tz": exam.medspa.tz,
        "patient_url": dashboards.patient_url(request.dashboard, exam.patient_id),
    }
    return render(request, "gfe/exam_detail.html", context)


def _exam_pdf(request, pk: int):
    exam = _exam_of(request, pk)
    patient_access_record(patient=exam.patient, request=request, viewed=f"GFE exam {exam.pk} (PDF)")
    response = HttpResponse(exam_pdf_bytes(exam), content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename=gfe-{exam.pk}.pdf"
    response["Cache-Control"] = "private, no-store"
    return response


def _patient_gfes(request, patient_pk: int):
    patient = get_object_or_404(_area_patients(request), pk=patient_pk)
    patient_access_record(patient=patient, request=request, viewed="GFE exams and requests")
    context = {
        **_patient_gfes_context(patient),
        "area": request.dashboard,
        "ns": NAMESPACES[request.dashboard],
        "patient_url": dashboards.patient_url(request.dashboard, patient.pk),
    }
    return render(request, "gfe/patient_gfes.html", context)


@require_http_methods(["GET"])
@dashboard_area(dashboards.ADMIN)
def admin_exam_detail(request, pk: int):
    return _exam_detail(request, pk)


@require_http_methods(["GET"])
@dashboard_area(dashboards.ADMIN)
def admin_exam_pdf(request, pk: int):
    return _exam_pdf(request, pk)


@require_http_methods(["GET"])
@dashboard_area(dashboards.ADMIN)
def admin_patient_gfes(request, patient_pk: int):
    return _patient_gfes(request, patient_pk)


@require_http_methods(["GET"])
@dashboard_area(dashboards.PROVIDER)
def exam_detail(request, pk: int):
    """One signed exam of the provider's own patient; any other id is 404."""
    return _exam_detail(request, pk)


@require_http_methods(["GET"])
@dashboard_area(dashboards.PROVIDER)
def exam_pdf(request, pk: int):
    """The signed exam as a PDF, to print or keep."""
    return _exam_pdf(request, pk)


@require_http_methods(["GET"])
@dashboard_area(dashboards.PROVIDER)
def patient_gfes(request, patient_pk: int):
    """Every request and exam of the provider's own patient: nothing is ever overwritten."""
    return _patient_gfes(request, patient_pk)


# --- Requests and self-clearance (Provider dashboard) -----------------------------------------------------


def _service_labels(patient: Patient) -> dict[int, str]:
    """Where the patient stands for each service, shown beside it in the forms."""
    today = clock.today(patient.medspa)
    labels = {}
    for service_id, clearance in clearance_selectors.clearances_by_service(patient).items():
        if clearance.status == ClearanceStatus.CLEARED:
            if clearance.is_valid_on(today):
                labels[service_id] = f"cleared until {date_format(clearance.valid_until, 'M j, Y')}"
            else:
                labels[service_id] = "clearance expired"
        else:
            labels[service_id] = clearance.get_status_display().lower()
    return labels


def _routing_of(medspa) -> str:
    """The medspa's routing without creating its settings (the default until the admin saves a choice)."""
    saved = GfeSettings.objects.filter(medspa=medspa).first()
    return saved.routing if saved else GfeSettings().routing


@require_http_methods(["GET", "POST"])
@dashboard_area(dashboards.PROVIDER)
def request_new(request, patient_pk: int):
    """A manual GFE request for the provider's own patient, routed by the medspa's setting."""
    patient = get_object_or_404(provider_patients(request.membership), pk=patient_pk)
    routing = _routing_of(request.medspa)
    fee = gfe_routing.urgent_fee()
    form = GfeRequestForm(
        request.POST if request.method == "POST" else None,
        medspa=request.medspa,
        allow_urgent=routing == Routing.PORTRAIT,
        urgent_fee=fee,
        labels=_service_labels(patient),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            with refusals(form=form):
                created = gfe_requests.gfe_request_create(
                    patient=patient,
                    services=list(form.cleaned_data["services"]),
                    requested_by=request.user,
                    urgent=form.cleaned_data.get("urgent", False),
                )
                if created is None:
                    messages.info(
                        request, "Nothing was requested: those services are already cleared or requested."
                    )
                else:
                    names = ", ".join(
                        s.display_name for s in created.services.select_related("library_service")
                    )
                    messages.success(
                        request, f"A GFE was requested for {names} ({created.get_route_display()})."
                    )
                return redirect(dashboards.patient_url(request.dashboard, patient.pk))
        status = 400
    context = {
        "patient": patient,
        "form": form,
        "routing": Routing(routing),
        "urgent_fee": fee,
        "patient_url": dashboards.patient_url(request.dashboard, patient.pk),
    }
    patient_access_record(patient=patient, request=request, viewed="GFE request form")
    return render(request, "gfe/request_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@dashboard_area(dashboards.PROVIDER)
def self_clear(request, patient_pk: int):
    """A licensed provider clears their own patient and signs the exam. Someone who may not clear sees why
    (and a POST is refused with 403), never a broken form: a masquerading admin too, since the exam is
    signed under the provider's own licence."""
    patient = get_object_or_404(provider_patients(request.membership), pk=patient_pk)
    refusal = masquerade.signature_personal_refusal(
        errors.EXAM_NOT_PERSONAL
    ) or clearance_selectors.provider_clearing_refusal(request.membership)
    if refusal:
        patient_access_record(patient=patient, request=request, viewed="GFE self-clearance")
        context = {
            "patient": patient,
            "can_clear": False,
            "refusal": refusal,
            "patient_url": dashboards.patient_url(request.dashboard, patient.pk),
        }
        return render(
            request, "gfe/self_clear.html", context, status=403 if request.method == "POST" else 200
        )
    answers = intake_answers(patient, time_zone=request.medspa.time_zone)
    patient_access_record(
        patient=patient, request=request, viewed=intake_viewed("GFE self-clearance", answers)
    )
    profile = request.membership.provider_profile
    form = SelfClearanceForm(
        request.POST if request.method == "POST" else None,
        medspa=request.medspa,
        signature_on_file=bool(profile.signature),
        labels=_service_labels(patient),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            with refusals(form=form):
                exam = decisions.gfe_self_clear(
                    membership=request.membership,
                    patient=patient,
                    decisions={
                        s.pk: Decision(ClearanceStatus.CLEARED) for s in form.cleaned_data["services"]
                    },
                    exam=form.exam(),
                    signature_png=form.cleaned_data["data_url"],
                )
                messages.success(request, "The exam is signed and the services are cleared.")
                return redirect("gfe_provider:exam_detail", pk=exam.pk)
        status = 400
    context = {
        "patient": patient,
        "can_clear": True,
        "answers": answers,
        "form": form,
        "profile": profile,
        "patient_url": dashboards.patient_url(request.dashboard, patient.pk),
        "signature_on_file_url": (
            reverse("profile_file", args=[request.membership.pk, "signature"]) if profile.signature else ""
        ),
    }
    return render(request, "gfe/self_clear.html", context, status=status)


# --- The PDF ----------------------------------------------------------------------------------------------


def _day(value) -> str:
    return date_format(value, "F j, Y")


def exam_pdf_bytes(exam: GfeExam) -> bytes:
    """The signed exam as a PDF document."""
    patient, medspa = exam.patient, exam.medspa
    signed = clock.local(exam.signed_at, medspa)
    document = Document(title=f"Good Faith Exam {exam.pk}", author=exam.clearer_name, created=exam.signed_at)
    line, heading, fact, pdf = document.line, document.heading, document.fact, document.pdf

    line(medspa.name, size=11, style="B")
    line("Good Faith Exam", size=18, style="B", height=10)
    fact("Patient", patient.full_name)
    fact("Date of birth", _day(patient.date_of_birth) if patient.date_of_birth else "")
    fact("Exam date", _day(signed))
    fact("Clearing provider", f"{exam.clearer_name}, {exam.clearer_credential}")
    fact("Licence", exam.clearer_licence or "None recorded")

    heading("Reviewed")
    for label, done in (
        ("Medical history", exam.history_reviewed),
        ("Medications", exam.medications_reviewed),
        ("Allergies", exam.allergies_reviewed),
    ):
        fact(label, "Reviewed" if done else "Not reviewed")

    heading("Services")
    for clearance in _exam_clearances(exam):
        decision = clearance.get_status_display()
        if clearance.valid_until:
            decision += f", valid until {_day(clearance.valid_until)}"
        if clearance.reason:
            decision += f" ({clearance.reason})"
        fact(clearance.service.display_name, decision)

    heading("Diagnoses")
    line(exam.diagnoses or "None recorded")
    fact("ICD-10 codes", exam.icd10_codes or "None recorded")
    heading("Contraindications")
    line(exam.contraindications or "None recorded")
    heading("Notes")
    line(exam.notes or "None")

    heading("Signature")
    signature = _signature_bytes(exam)
    if signature:
        try:
            pdf.image(BytesIO(signature), w=60)
        except Exception:  # an unreadable image must not keep the signed record from printing
            line("(The signature image could not be read.)")
    line(
        f"Signed electronically on {_day(signed)} at {date_format(signed, 'g:i A')} ({medspa.time_zone}) by "
        f"{exam.clearer_name}, {exam.clearer_credential}"
        + (f", licence {exam.clearer_licence}." if exam.clearer_licence else ".")
    )
    return document.output()
