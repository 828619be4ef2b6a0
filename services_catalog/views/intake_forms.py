"""The intake forms of the Services / Products tab: the medspa's own forms and Portrait's library forms, the
builder that edits a form's questions (each save that changes them is a new version; older ones stay as they
were, read-only), a preview of what the patient sees, and the copy of a library form to edit."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.http import ascii_int
from services_catalog.forms.intake_forms import (
    MORE_ROWS,
    IntakeFormDetailsForm,
    QuestionFormSet,
    question_rows,
)
from services_catalog.selectors import intake_forms as intake_selectors
from services_catalog.services import intake_forms as intake_services

PREFIX = "questions"


@dashboard_area(dashboards.ADMIN)
def intake_form_list(request):
    """The medspa's own forms, then Portrait's (usable as they are, or copied to edit)."""
    forms = list(intake_selectors.intake_forms_listed(request.medspa))
    context = {
        "own": [form for form in forms if not form.is_library],
        "library": [form for form in forms if form.is_library],
    }
    return render(request, "services_catalog/intake_form_list.html", context)


@dashboard_area(dashboards.ADMIN)
def intake_form_create(request):
    details = IntakeFormDetailsForm(request.POST or None, medspa=request.medspa)
    questions = _questions(request, initial=[])
    status = 200
    if request.method == "POST" and "more" not in request.POST:
        status = 400
        if details.is_valid() and questions.is_valid():
            with refusals(request) as refused:
                form = intake_services.intake_form_create(
                    medspa=request.medspa,
                    by=request.user,
                    sections=questions.sections(),
                    **details.cleaned_data,
                )
                messages.success(request, f"The form “{form.title}” was created.")
                return redirect("services_catalog:intake_form_detail", pk=form.pk)
            status = refused.status_code
    context = {"details": details, "questions": questions, "form": None}
    return render(request, "services_catalog/intake_form_builder.html", context, status=status)


@dashboard_area(dashboards.ADMIN)
def intake_form_detail(request, pk: int):
    """A form: its questions as the patient sees them (any version), its history, and for the medspa's own
    the builder that saves a new version."""
    form = get_object_or_404(intake_selectors.intake_forms_listed(request.medspa), pk=pk)
    versions = sorted(form.versions.all(), key=lambda version: -version.number)
    if form.is_library:
        if request.method == "POST":
            messages.error(request, "This form is Portrait's: copy it to edit your own.")
            return redirect("services_catalog:intake_form_detail", pk=form.pk)
        details = questions = None
    else:
        initial = {"title": form.title, "description": form.description}
        details = IntakeFormDetailsForm(
            request.POST or None, medspa=request.medspa, instance=form, initial=initial
        )
        questions = _questions(request, initial=question_rows(versions[0].sections))
    status = 200
    if questions is not None and request.method == "POST" and "more" not in request.POST:
        status = 400
        if details.is_valid() and questions.is_valid():
            with refusals(request) as refused:
                version = intake_services.intake_form_revise(
                    form=form, by=request.user, sections=questions.sections(), **details.cleaned_data
                )
                if version.number > versions[0].number:
                    messages.success(
                        request, f"Saved as version {version.number}. Earlier versions are kept unchanged."
                    )
                else:
                    messages.success(
                        request, f"Saved. The questions did not change: still version {version.number}."
                    )
                return redirect("services_catalog:intake_form_detail", pk=form.pk)
            status = refused.status_code
    shown = versions[0]
    number = ascii_int(request.GET.get("version", ""))
    if number is not None:
        shown = next((version for version in versions if version.number == number), shown)
    context = {
        "form": form,
        "versions": versions,
        "shown": shown,
        "details": details,
        "questions": questions,
    }
    return render(request, "services_catalog/intake_form_builder.html", context, status=status)


@require_POST
@dashboard_area(dashboards.ADMIN)
def intake_form_copy(request, pk: int):
    """Copies one of Portrait's forms into the medspa's own, to edit."""
    library_form = get_object_or_404(intake_selectors.intake_forms_for(request.medspa), pk=pk)
    with refusals(request):
        copy = intake_services.intake_form_copy(form=library_form, medspa=request.medspa, by=request.user)
        messages.success(request, f"“{copy.title}” is your own copy: edit it below.")
        return redirect("services_catalog:intake_form_detail", pk=copy.pk)
    return redirect("services_catalog:intake_form_detail", pk=library_form.pk)


def _questions(request, *, initial: list[dict]) -> QuestionFormSet:
    """The builder's rows: the current questions and blank rows to add more; "Add more rows" shows the
    rows as they were typed with more blank ones, saving nothing."""
    if request.method != "POST":
        return QuestionFormSet(initial=initial, prefix=PREFIX)
    data = request.POST
    if "more" in data:
        data = data.copy()
        total = ascii_int(data.get(f"{PREFIX}-TOTAL_FORMS", "")) or 0
        data[f"{PREFIX}-TOTAL_FORMS"] = str(min(total, QuestionFormSet.absolute_max - MORE_ROWS) + MORE_ROWS)
    return QuestionFormSet(data, initial=initial, prefix=PREFIX)
