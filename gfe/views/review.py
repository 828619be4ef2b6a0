"""The external clearer's review (no sign-in): the secure link emailed to the medspa's own clearing provider
opens one request, once, until it expires.

The page shows only that request's patient intake (first name, last initial, date of birth, allergies,
medications, medical history notes, the patient's answers to the intake forms of their visits in the last
year, with when they answered) and the requested services: nothing else of the medspa (no contact details;
a signature answer reads "Signed", never the image). An unknown, used or expired link answers 410 Gone with
the same page. The lookup is made with scopes disabled (by `services.review_link_open`); everything after
it runs inside the request's medspa scope."""

from zoneinfo import ZoneInfo

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from gfe.forms.review import GfeDecisionForm
from gfe.models import GfeRequest, GfeSettings, RequestStatus, Routing
from gfe.selectors.intake import intake_answers, intake_viewed
from gfe.services import decisions, errors, requests
from medspa.errors import refusals
from medspa.http import secret_link
from medspa.services.patients import patient_access_record
from medspa.tenancy import medspa_scope

# What the staff top bar would show a signed-in member: the clearer's pages show none of it.
PUBLIC_CONTEXT = {
    "dashboard_tabs": [],
    "dashboards_open": [],
    "dashboard_current": None,
    "current_membership": None,
    "current_medspa": None,
}
NOT_VALID = "This link is not valid."
MAX_TOKEN_LENGTH = 64


def request_services(gfe_request: GfeRequest) -> list:
    return list(gfe_request.services.select_related("library_service").order_by("pk"))


def intake(gfe_request: GfeRequest, requested: list) -> dict:
    """The patient intake a clearer sees, and nothing more (select "patient" and "medspa")."""
    patient = gfe_request.patient
    return {
        "first_name": patient.first_name,
        "last_initial": patient.last_name[:1],
        "date_of_birth": patient.date_of_birth,
        "allergies": patient.allergies,
        "medications": patient.medications,
        "medical_history": patient.medical_history,
        "answers": intake_answers(patient, time_zone=gfe_request.medspa.time_zone),
        "services": [service.display_name for service in requested],
        "urgent": gfe_request.urgent,
    }


def _render(request, template: str, context: dict, *, status: int = 200):
    response = render(request, template, {**PUBLIC_CONTEXT, **context}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _gone(request, message: str):
    return _render(request, "gfe/review/gone.html", {"message": message}, status=410)


def _open(token: str) -> GfeRequest:
    if len(token) > MAX_TOKEN_LENGTH:
        raise errors.ReviewLinkInvalid(NOT_VALID)
    gfe_request = requests.review_link_open(token)
    if gfe_request.route != Routing.OWN_CLEARER:  # only the own clearer's requests are ever sent as links
        raise errors.ReviewLinkInvalid(NOT_VALID)
    return gfe_request


def clearer_label(gfe_request: GfeRequest, gfe_settings: GfeSettings | None) -> str:
    """Who reads through the link, for the access log: it has no user account, so the link names them."""
    email = gfe_settings.clearer_email if gfe_settings else ""
    return f"Outside clearer {email or '(no email on file)'}, by the link of GFE request {gfe_request.pk}"


@secret_link
@require_http_methods(["GET", "POST"])
def review(request, token: str):
    """GET only shows the request: mail scanners open links, so reading never changes it. The clearer's
    POST (Start review, or the signed decision) moves it to "in review"."""
    try:
        gfe_request = _open(token)
    except errors.ReviewLinkInvalid as error:
        return _gone(request, str(error) or NOT_VALID)
    with medspa_scope(gfe_request.medspa_id, audit_context=True):
        requested = request_services(gfe_request)
        if request.method == "POST" and request.POST.get("action") == "start":
            decisions.gfe_review_start(request=gfe_request)
            return redirect(request.path)
        gfe_settings = GfeSettings.objects.filter(medspa_id=gfe_request.medspa_id).first()
        summary = intake(gfe_request, requested)
        patient_access_record(
            patient=gfe_request.patient,
            request=request,
            viewed=intake_viewed("GFE review link: patient intake", summary["answers"]),
            actor_label=clearer_label(gfe_request, gfe_settings),
        )
        if request.method == "GET":
            initial = (
                {
                    "clearer_name": gfe_settings.clearer_name,
                    "clearer_credential": gfe_settings.clearer_credential,
                }
                if gfe_settings
                else {}
            )
            form = GfeDecisionForm(services=requested, initial=initial)
            return _page(request, gfe_request, summary, form)
        form = GfeDecisionForm(request.POST, services=requested)
        if not form.is_valid():
            return _page(request, gfe_request, summary, form, status=400)
        with refusals(form=form) as refused:
            decisions.gfe_decide(
                request=gfe_request, decisions=form.decisions(), exam=form.exam(), **form.signer()
            )
        if refused:
            return _page(request, gfe_request, summary, form, status=400)
        return _render(request, "gfe/review/thanks.html", {"intake": summary})


def _expiry_label(gfe_request: GfeRequest) -> str:
    """When the link stops working, in the medspa's time zone: "Nov 30, 2026, 9:05 AM EST"."""
    moment = gfe_request.token_expires_at.astimezone(ZoneInfo(gfe_request.medspa.time_zone))
    hour = f"{moment:%I}".lstrip("0")
    return f"{moment:%b} {moment.day}, {moment.year}, {hour}:{moment:%M %p} {moment.tzname()}"


def _page(request, gfe_request: GfeRequest, summary: dict, form: GfeDecisionForm, *, status: int = 200):
    return _render(
        request,
        "gfe/review/review.html",
        {
            "intake": summary,
            "form": form,
            "expires": _expiry_label(gfe_request),
            "not_started": gfe_request.status == RequestStatus.SENT,
        },
        status=status,
    )
