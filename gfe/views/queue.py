"""Portrait's GFE queue (Portrait staff only): the open requests of every medspa routed to Portrait clearing
services, urgent first then oldest, and the review page where a Portrait clearer decides and signs.

Staff belong to no medspa, so the list is read with scopes disabled; opening and deciding a request run in
that request's medspa scope. Opening a request moves it to "in review" and is written to the patient's
access log."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.timesince import timesince
from django.views.decorators.http import require_GET, require_http_methods
from django_scopes import scopes_disabled

from gfe.forms.review import GfeDecisionForm
from gfe.models import OPEN_REQUEST_STATUSES, GfeRequest, RequestStatus, Routing
from gfe.selectors.intake import intake_viewed
from gfe.services import decisions
from gfe.views.review import intake, request_services
from medspa.errors import refusals
from medspa.permissions import staff_required
from medspa.services import patients as medspa_services
from medspa.tenancy import medspa_scope
from medspa.timezones import medspa_time_zone

PAGE_SIZE = 25
STATUS_FILTERS = {
    "": ("Open (sent or in review)", OPEN_REQUEST_STATUSES),
    RequestStatus.SENT.value: ("Sent", [RequestStatus.SENT]),
    RequestStatus.IN_REVIEW.value: ("In review", [RequestStatus.IN_REVIEW]),
}
URGENCY_FILTERS = {"": "Urgent and routine", "1": "Urgent only", "0": "Routine only"}


def _row(gfe_request: GfeRequest, now) -> dict:
    patient = gfe_request.patient
    return {
        "pk": gfe_request.pk,
        "medspa": gfe_request.medspa.name,
        "patient": f"{patient.first_name} {patient.last_name[:1]}.",
        "services": [service.display_name for service in gfe_request.services.all()],
        "urgent": gfe_request.urgent,
        "status": gfe_request.get_status_display(),
        "created_at": gfe_request.created_at,
        "age": timesince(gfe_request.created_at, now, depth=1),
    }


@require_GET
@staff_required
def queue_list(request):
    status = request.GET.get("status", "")
    status = status if status in STATUS_FILTERS else ""
    urgency = request.GET.get("urgent", "")
    urgency = urgency if urgency in URGENCY_FILTERS else ""
    with scopes_disabled():
        requests = (
            GfeRequest.objects.filter(route=Routing.PORTRAIT, status__in=STATUS_FILTERS[status][1])
            .select_related("medspa", "patient")
            .prefetch_related("services__library_service")
            .order_by("-urgent", "created_at", "pk")
        )
        if urgency:
            requests = requests.filter(urgent=urgency == "1")
        page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
        now = timezone.now()
        rows = [_row(gfe_request, now) for gfe_request in page.object_list]
        shown = [gfe_request.patient for gfe_request in page.object_list]
        medspa_services.patients_access_record(patients=shown, request=request, viewed="GFE queue")
    return render(
        request,
        "gfe/queue/list.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "urgency": urgency,
            "status_choices": [(value, label) for value, (label, _) in STATUS_FILTERS.items()],
            "urgency_choices": list(URGENCY_FILTERS.items()),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def queue_review(request, pk: int):
    with scopes_disabled():
        gfe_request = get_object_or_404(
            GfeRequest.objects.select_related("patient", "medspa"), pk=pk, route=Routing.PORTRAIT
        )
    with medspa_scope(gfe_request.medspa_id, audit_context=True), medspa_time_zone(gfe_request.medspa):
        requested = request_services(gfe_request)
        summary = intake(gfe_request, requested)
        context = {"gfe_request": gfe_request, "medspa_name": gfe_request.medspa.name, "intake": summary}
        medspa_services.patient_access_record(
            patient=gfe_request.patient,
            request=request,
            viewed=intake_viewed("GFE queue: intake for review", summary["answers"]),
        )
        if request.method == "GET" and not gfe_request.is_open:  # decided or expired: nothing to sign
            return render(request, "gfe/queue/review.html", context)
        if request.method == "GET":  # reading never changes the request: Start review (a POST) does
            form = GfeDecisionForm(services=requested, initial={"clearer_name": request.user.full_name})
            return _page(request, context, form)
        if request.POST.get("action") == "start":
            decisions.gfe_review_start(request=gfe_request)
            return redirect(request.path)
        form = GfeDecisionForm(request.POST, services=requested)
        if not form.is_valid():
            return _page(request, context, form, status=400)
        with refusals(form=form) as refused:
            decisions.gfe_decide(
                request=gfe_request, decisions=form.decisions(), exam=form.exam(), **form.signer()
            )
        if refused:
            return _page(request, context, form, status=400)
    patient = gfe_request.patient
    messages.success(request, f"The GFE of {patient.first_name} {patient.last_name[:1]}. was signed.")
    return redirect("gfe_queue:list")


def _page(request, context: dict, form: GfeDecisionForm, *, status: int = 200):
    gfe_request = context["gfe_request"]
    return render(
        request,
        "gfe/queue/review.html",
        {
            **context,
            "form": form,
            "not_started": gfe_request.status == RequestStatus.SENT,
        },
        status=status,
    )
