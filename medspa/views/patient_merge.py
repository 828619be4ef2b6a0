"""The admin's answer to a possible duplicate: compare the two records, then merge them (after a
confirmation step) or say they are different people."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.models import Patient
from medspa.services.patient_merge import (
    patient_duplicate_dismiss,
    patient_merge,
    patient_merge_preview,
)
from medspa.services.patients import patient_access_record


def _flagged_or_404(pk: int) -> Patient:
    return get_object_or_404(
        Patient.objects.select_related("possible_duplicate_of"), pk=pk, possible_duplicate_of__isnull=False
    )


@dashboard_area(dashboards.ADMIN)
def merge(request, pk: int):
    """GET compares the flagged record with the one it resembles; a POST naming the record to keep asks for
    confirmation, showing what moves; only a POST that confirms merges."""
    patient = _flagged_or_404(pk)
    other = patient.possible_duplicate_of
    keep = {str(patient.pk): patient, str(other.pk): other}.get(request.POST.get("keep", ""))
    if request.method == "POST" and keep is not None:
        duplicate = other if keep is patient else patient
        if request.POST.get("confirm") == "merge":
            with refusals(request) as refused:
                survivor = patient_merge(survivor=keep, duplicate=duplicate, by=request.user)
            if refused:
                return redirect("dashboard_patient_detail", pk=patient.pk)
            messages.success(request, f"The two records were merged into {survivor.full_name}'s.")
            return redirect("dashboard_patient_detail", pk=survivor.pk)
        context = {"patient": patient, "survivor": keep, "duplicate": duplicate}
        context["lines"] = patient_merge_preview(duplicate=duplicate)
        return render(request, "medspa/patients/merge_confirm.html", context)
    for record in (patient, other):
        patient_access_record(
            patient=record, request=request, viewed="Admin dashboard: possible duplicate comparison"
        )
    status = 400 if request.method == "POST" else 200  # a POST that did not say which record to keep
    return render(request, "medspa/patients/merge.html", {"patient": patient, "other": other}, status=status)


@require_POST
@dashboard_area(dashboards.ADMIN)
def not_a_duplicate(request, pk: int):
    patient = _flagged_or_404(pk)
    patient_duplicate_dismiss(patient=patient, by=request.user)
    messages.success(request, f"{patient.full_name} is kept as a person of their own.")
    return redirect("dashboard_patient_detail", pk=patient.pk)
