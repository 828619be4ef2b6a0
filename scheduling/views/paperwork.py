"""The staff's pages behind a patient's Paperwork panel, in both the admin's and the provider's dashboard: a
patient's intake responses, one response's answers, and the decision on an answer that proposes a change to
the record. Each opens for the patients the member opens in that dashboard (another's id is a 404), and
each read of answers is written to the access log."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render

from medspa import dashboards
from medspa.dashboards import dashboard_area
from medspa.errors import refusals
from medspa.services.patients import patient_access_record
from scheduling.forms.history_changes import HistoryChangeAcceptForm
from scheduling.models import HistoryChange, IntakeResponse
from scheduling.selectors import patient_paperwork
from scheduling.selectors.intake_answers import answer_rows
from scheduling.services import history_changes

PAGE_SIZE = 25
AREA_NAMES = {dashboards.ADMIN: "Admin dashboard", dashboards.PROVIDER: "Provider dashboard"}


def _open_to(request) -> Q:
    """The rows of patients the member opens in this dashboard, their merged-away records included."""
    patients = patient_paperwork.patients_open_in(request.membership, request.dashboard)
    return Q(patient__in=patients.values("pk")) | Q(patient__merged_into__in=patients.values("pk"))


def _record(request, patient, viewed: str) -> None:
    patient_access_record(
        patient=patient, request=request, viewed=f"{AREA_NAMES[request.dashboard]}: {viewed}"
    )


def _profile_url(request, patient) -> str:
    return dashboards.patient_url(request.dashboard, patient.merged_into_id or patient.pk) + "#paperwork"


@dashboard_area(dashboards.ADMIN, dashboards.PROVIDER)
def patient_responses(request, patient_pk: int):
    """Every intake response of the patient, newest first, a page at a time (the profile shows the latest)."""
    patient = get_object_or_404(
        patient_paperwork.patients_open_in(request.membership, request.dashboard), pk=patient_pk
    )
    responses = patient_paperwork.intake_responses_of(patient)
    page = Paginator(responses, PAGE_SIZE).get_page(request.GET.get("page"))
    _record(request, patient, "intake responses")
    context = {"patient": patient, "page": page, "profile_url": _profile_url(request, patient)}
    return render(request, "scheduling/paperwork/responses.html", context)


@dashboard_area(dashboards.ADMIN, dashboards.PROVIDER)
def response_detail(request, pk: int):
    """One intake response: each question the patient saw, with the answer in words, when and from where it
    was sent."""
    response = get_object_or_404(
        IntakeResponse.objects.filter(_open_to(request)).select_related(
            "patient", "version__form", "appointment__appointment_type", "appointment__location"
        ),
        pk=pk,
    )
    _record(request, response.patient, f"intake answers ({response.version.form.title})")
    context = {
        "response": response,
        "patient": response.patient,
        "rows": answer_rows(response),
        "profile_url": _profile_url(request, response.patient),
    }
    return render(request, "scheduling/paperwork/response.html", context)


def _change(request, pk: int) -> HistoryChange:
    return get_object_or_404(
        HistoryChange.objects.filter(_open_to(request)).select_related(
            "patient__merged_into", "response__version__form", "decided_by"
        ),
        pk=pk,
    )


def _decision_context(request, change: HistoryChange) -> dict:
    holder = change.patient.merged_into or change.patient  # whose record an accepted answer is written to
    current = getattr(holder, change.record)
    return {
        "change": change,
        "patient": holder,
        "current": current,
        "changed_since": current != change.before,
        "profile_url": _profile_url(request, change.patient),
    }


@dashboard_area(dashboards.ADMIN, dashboards.PROVIDER)
def change_accept(request, pk: int):
    """The record as it is now beside the patient's answer, and the text to write, which starts as the answer
    and may be edited (the two combined, say) before it is accepted."""
    change = _change(request, pk)
    context = _decision_context(request, change)
    form = HistoryChangeAcceptForm(
        request.POST or None, initial={"text": change.proposed, "record_was": context["current"]}
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        with refusals() as refused:
            history_changes.history_change_accept(
                change=change,
                by=request.user,
                text=form.cleaned_data["text"],
                record_was=form.cleaned_data["record_was"],
            )
            messages.success(request, f"{change.get_record_display()} of {change.patient.full_name} updated.")
            return redirect(_profile_url(request, change.patient))
        status = refused.status_code
        change = _change(request, pk)  # decided, or the record changed, meanwhile: shown as it is now
        context = _decision_context(request, change)
        form = HistoryChangeAcceptForm(
            {"text": form.cleaned_data["text"], "record_was": context["current"]}, initial=form.initial
        )
        form.is_valid()
        form.add_error(None, refused.message)
    elif request.method == "POST":
        status = 400
    _record(request, context["patient"], f"answer to review ({change.get_record_display().lower()})")
    return render(request, "scheduling/paperwork/accept.html", {**context, "form": form}, status=status)


@dashboard_area(dashboards.ADMIN, dashboards.PROVIDER)
def change_decline(request, pk: int):
    """Asks to confirm, then declines the answer: the record stays as it is."""
    change = _change(request, pk)
    if request.method == "POST":
        with refusals(request):
            history_changes.history_change_decline(change=change, by=request.user)
            record = change.get_record_display().lower()
            messages.success(
                request, f"The answer was declined: {change.patient.full_name}'s {record} stays as it was."
            )
        return redirect(_profile_url(request, change.patient))
    context = _decision_context(request, change)
    _record(request, context["patient"], f"answer to review ({change.get_record_display().lower()})")
    return render(request, "scheduling/paperwork/decline.html", context)
