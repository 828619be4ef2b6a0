"""The admin dashboard's patient import: upload a CSV, check its preview, confirm to import every row."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.forms.patients import PatientImportUploadForm
from medspa.models import PatientImport
from medspa.services.patient_import import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    patient_import_confirm,
    patient_import_ignored_columns,
    patient_import_parse,
)

PREVIEW_ROWS = 20
RECENT_IMPORTS = 5


@dashboard_area(dashboards.ADMIN)
def upload(request):
    """The admin uploads a CSV of patients; it is checked into a preview and nothing is imported yet."""
    if request.method == "POST":
        form = PatientImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            csv_file = form.cleaned_data["file"]
            with refusals(form=form):  # on the file field
                patient_import = patient_import_parse(
                    medspa=request.medspa,
                    uploaded_by=request.user,
                    filename=csv_file.name,
                    content=csv_file.read(MAX_FILE_BYTES + 1),  # one byte more tells a file that is too large
                )
                return redirect("dashboard_patient_import_preview", pk=patient_import.pk)
        status = 400
    else:
        form, status = PatientImportUploadForm(), 200
    context = {
        "form": form,
        "header": ",".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS),
        "required_columns": REQUIRED_COLUMNS,
        "optional_columns": OPTIONAL_COLUMNS,
        "max_megabytes": MAX_FILE_BYTES // (1024 * 1024),
        "max_rows": f"{MAX_ROWS:,}",
        "recent_imports": PatientImport.objects.select_related("uploaded_by")[:RECENT_IMPORTS],
    }
    return render(request, "medspa/patients/import_upload.html", context, status=status)


@dashboard_area(dashboards.ADMIN)
def preview(request, pk: int):
    """What an uploaded file would import: rows to fix, duplicates to skip, patients to add. The admin
    confirms to import them all in one go; a file with rows to fix must be fixed and uploaded again."""
    patient_import = get_object_or_404(PatientImport.objects.select_related("uploaded_by"), pk=pk)
    if request.method == "POST":
        with refusals(request) as refused:
            imported = patient_import_confirm(patient_import=patient_import)
        if refused:
            return redirect("dashboard_patient_import_preview", pk=patient_import.pk)
        skipped = len(patient_import.rows) - imported
        note = f"; {skipped} duplicate{pluralize(skipped)} skipped" if skipped else ""
        messages.success(
            request, f"{imported} patient{pluralize(imported)} imported from {patient_import.filename}{note}."
        )
        return redirect("dashboard_patients")
    importable = patient_import.importable
    context = {
        "patient_import": patient_import,
        "errors": patient_import.errors,
        "duplicates": patient_import.duplicates,
        "importable_count": len(importable),
        "importable_first": importable[:PREVIEW_ROWS],
        "ignored_columns": patient_import_ignored_columns(patient_import),
    }
    return render(request, "medspa/patients/import_preview.html", context)
