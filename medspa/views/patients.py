"""The admin dashboard's Patients tab: list, search, create, edit, archive, profile."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.forms.patients import PatientForm
from medspa.http import search_query
from medspa.models import Patient
from medspa.models.patients import PatientStatus
from medspa.selectors import patients as patient_selectors
from medspa.services import patients as patient_services
from medspa.views import panels

PAGE_SIZE = 25


@dashboard_area(dashboards.ADMIN)
def patient_list(request):
    query = search_query(request)
    status = request.GET.get("status", "")
    patients = patient_selectors.patient_list(query=query, status=status)
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    viewed = "Admin dashboard: patient search results" if query else "Admin dashboard: patient list"
    patient_services.patients_access_record(patients=page.object_list, request=request, viewed=viewed)
    context = {"page": page, "query": query, "status": status, "statuses": PatientStatus.choices}
    template = "medspa/patients/_results.html" if request.htmx else "medspa/patients/list.html"
    return render(request, template, context)


@dashboard_area(dashboards.ADMIN, dashboards.COORDINATOR)
def patient_create(request):
    """A new patient. The coordinator adds one to book a first-time caller, so is taken on to booking them
    (the patient's profile is the admin's page, not the coordinator's)."""
    coordinator = getattr(request, "dashboard", None) == dashboards.COORDINATOR
    form = PatientForm(request.POST or None, medspa=request.medspa)
    if request.method == "POST" and form.is_valid():
        patient = patient_services.patient_create(medspa=request.medspa, data=form.cleaned_data)
        messages.success(request, f"{patient.full_name} was added.")
        if coordinator:
            return redirect(reverse("scheduling:appointment_new") + f"?patient={patient.pk}")
        return redirect("dashboard_patient_detail", pk=patient.pk)
    return render(request, "medspa/patients/form.html", {"form": form, "coordinator_view": coordinator})


@dashboard_area(dashboards.ADMIN)
def patient_edit(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    form = PatientForm(request.POST or None, instance=patient, medspa=request.medspa)
    if request.method == "POST" and form.is_valid():
        patient_services.patient_update(patient=patient, data=form.cleaned_data)
        messages.success(request, "The patient's record was saved.")
        return redirect("dashboard_patient_detail", pk=patient.pk)
    patient_services.patient_access_record(
        patient=patient, request=request, viewed="Admin dashboard: patient edit form"
    )
    return render(request, "medspa/patients/form.html", {"form": form, "patient": patient})


@dashboard_area(dashboards.ADMIN)
def patient_detail(request, pk: int):
    patient = get_object_or_404(Patient.objects.prefetch_related("assigned_providers__user"), pk=pk)
    patient_services.patient_access_record(
        patient=patient, request=request, viewed="Admin dashboard: patient profile"
    )
    context = {
        "patient": patient,
        "area": "admin",
        "panels": panels.patient_panels(request, patient, "admin"),
    }
    return render(request, "medspa/patients/detail.html", context)


@require_POST
@dashboard_area(dashboards.ADMIN)
def patient_archive(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    archive = request.POST.get("archive") != "0"
    if not archive and patient.merged_into_id:
        messages.error(
            request, "A merged record stays archived: the record it was merged into is the one in use."
        )
        return redirect("dashboard_patient_detail", pk=patient.pk)
    patient_services.patient_archive(patient=patient, archived=archive)
    messages.success(request, f"{patient.full_name} was {'archived' if archive else 'restored'}.")
    return redirect("dashboard_patient_detail", pk=patient.pk)
