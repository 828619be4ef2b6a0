"""The patient's paperwork page before the visit (no sign-in), opened by one appointment's signed link: an
overview of the steps (each intake form, each consent, and a card when the booking's policy wants one), one
page per form and one per consent, then "All done". Every request is rate-limited per IP; a link that ended
or was never ours gets one page that says so."""

from dataclasses import dataclass

from django.urls import reverse
from django.views.decorators.http import require_http_methods

from medspa.errors import refusals
from medspa.http import client_ip, secret_link
from medspa.money import money_format
from medspa.payments import cards
from medspa.payments.connect import ready_account
from medspa.tenancy import medspa_scope
from scheduling.forms.paperwork import ConsentSignForm, IntakeAnswersForm
from scheduling.models import Appointment
from scheduling.selectors import paperwork as paperwork_rules
from scheduling.services import deposits
from scheduling.services import paperwork as paperwork_services
from scheduling.services.ratelimit import PAPERWORK_POSTS, PAPERWORK_VIEWS, rate_limit_exceeded
from scheduling.views.public_common import (
    day_label,
    long_day_label,
    public_render,
    see_other,
    time_label,
    too_many,
)
from services_catalog.models import FieldKind

TEMPLATES = "scheduling/public/paperwork"


@dataclass
class Step:
    """One thing to do before the visit, as the overview lists it."""

    key: str  # "form-<form id>", "consent-<version id>" or "card"
    title: str
    kind: str  # "form", "consent" or "card"
    done: bool
    status: str  # "To do", "Done Mon, Mar 4", "To sign", "Signed Mon, Mar 4"
    when: str  # the day it was done, or ""
    url: str = ""
    form: object = None  # the IntakeForm
    version: object = None  # the ConsentVersion
    response: object = None  # the latest IntakeResponse
    signature: object = None  # the covering ConsentSignature


def _steps(appointment: Appointment, base: str) -> tuple[list[Step], bool]:
    """The steps of the appointment's paperwork in order, and whether its forms and consents are all done."""
    tz = appointment.location.tz

    def on(moment) -> str:
        return day_label(moment.astimezone(tz).date()) if moment else ""

    paperwork = paperwork_rules.appointment_paperwork(appointment)
    steps = []
    for form, response in paperwork.forms:
        when = on(response and response.submitted_at)
        steps.append(
            Step(
                key=f"form-{form.pk}",
                title=form.title,
                kind="form",
                done=response is not None,
                status=f"Done {when}" if response else "To do",
                when=when,
                form=form,
                response=response,
            )
        )
    for version, signature in paperwork.consents:
        when = on(signature and signature.signed_at)
        steps.append(
            Step(
                key=f"consent-{version.pk}",
                title=version.consent.title,
                kind="consent",
                done=signature is not None,
                status=f"Signed {when}" if signature else "To sign",
                when=when,
                version=version,
                signature=signature,
            )
        )
    for step in steps:
        step.url = f"{base}?step={step.key}"
    # The booking policy's own step, done on the appointment's page, and only where the medspa takes cards
    # (without its Stripe account that page can take no card): a card on file, else a deposit still due.
    if appointment.appointment_type.has_booking_policy and ready_account(appointment.medspa) is not None:
        manage = reverse("booking_manage", args=[appointment.manage_token])
        if cards.patient_card(medspa=appointment.medspa, patient=appointment.patient) is None:
            title, url = "Save a card", f"{manage}#card"
        elif deposits.deposit_payable(appointment):
            deposit = money_format(appointment.appointment_type.deposit_due)
            title, url = f"Pay the {deposit} deposit", f"{manage}#deposit-title"
        else:
            title = url = ""
        if title:
            steps.append(
                Step(key="card", title=title, kind="card", done=False, status="To do", when="", url=url)
            )
    return steps, paperwork.complete


def _facts(appointment: Appointment) -> dict:
    tz = appointment.location.tz
    return {
        "service": appointment.appointment_type.name,
        "when": f"{long_day_label(appointment.local_start.date())} at {time_label(appointment.start, tz)}",
        "location": appointment.location,
    }


def _render(request, appointment: Appointment, template: str, context: dict, *, status: int = 200):
    return public_render(
        request, f"{TEMPLATES}/{template}", context, medspa=appointment.medspa, status=status
    )


def _link_closed(request, token: str):
    """One page for every link that does not open: altered, never ours, too old, or its visit over or
    cancelled. A genuine link's location gives its phone number; nothing else tells them apart."""
    location = paperwork_rules.paperwork_link_location(token)
    return public_render(request, f"{TEMPLATES}/closed.html", {"location": location}, medspa=None, status=404)


@secret_link
@require_http_methods(["GET", "POST"])
def booking_paperwork(request, token: str):
    limited = rate_limit_exceeded(request, PAPERWORK_POSTS if request.method == "POST" else PAPERWORK_VIEWS)
    appointment = paperwork_rules.paperwork_open(token)
    if appointment is None:
        return too_many(request, None) if limited else _link_closed(request, token)
    with medspa_scope(appointment.medspa, audit_context=True):
        if limited:
            return too_many(request, appointment.medspa)
        base = reverse("booking_paperwork", args=[token])
        steps, complete = _steps(appointment, base)
        key = (request.POST if request.method == "POST" else request.GET).get("step", "")
        step = next((step for step in steps if step.key == key and step.kind != "card"), None)
        if step is None:
            return _overview(request, appointment, steps, complete, status=200 if not key else 404)
        if step.kind == "form":
            return _form_step(request, appointment, step, steps, base)
        return _consent_step(request, appointment, step, steps, base)


def _overview(request, appointment: Appointment, steps: list[Step], complete: bool, *, status: int = 200):
    to_do = [step for step in steps if not step.done]
    context = {
        "facts": _facts(appointment),
        "steps": steps,
        "complete": complete,
        "has_paperwork": any(step.kind != "card" for step in steps),
        "next_step": to_do[0] if to_do else None,
        "card_step": next((step for step in steps if step.kind == "card"), None),
        "missing_step": status == 404,
    }
    return _render(request, appointment, "overview.html", context, status=status)


def _next_url(base: str, steps: list[Step], after: Step) -> str:
    """The next step still to do (forms, then consents), else the overview."""
    later = steps[steps.index(after) + 1 :] + steps[: steps.index(after)]
    following = next((step for step in later if not step.done and step.kind != "card"), None)
    return following.url if following else base


def _initial(version, response) -> dict:
    """The patient's last answers to this very version, to start from when they open a done form again."""
    if response is None or response.version_id != version.pk:
        return {}
    initial = {}
    for question in version.fields():
        value = response.answers.get(question["key"])
        if question.get("kind") == FieldKind.YES_NO and value is not None:
            value = "yes" if value else "no"
        initial[question["key"]] = value
    return initial


def _form_step(request, appointment: Appointment, step: Step, steps: list[Step], base: str):
    version = step.form.current_version
    if version is None:  # a form with no questions yet: nothing to answer
        return _overview(request, appointment, steps, complete=False, status=404)
    error, status = "", 200
    if request.method == "POST":
        form = IntakeAnswersForm(request.POST, version=version)
        if form.is_valid():
            with refusals() as refused:
                paperwork_services.intake_response_submit(
                    appointment=appointment, version=version, answers=form.answers(), ip=client_ip(request)
                )
                return see_other(_next_url(base, steps, step))
            error, status = refused.message, refused.status_code
        else:
            error, status = "Please check the answers marked below.", 400
    else:
        form = IntakeAnswersForm(version=version, initial=_initial(version, step.response))
    context = {
        "facts": _facts(appointment),
        "step": step,
        "position": steps.index(step) + 1,
        "count": len(steps),
        "form": form,
        "intake": step.form,
        "error": error,
        "base": base,
        "signature_kind": FieldKind.SIGNATURE,
    }
    return _render(request, appointment, "form.html", context, status=status)


def _consent_step(request, appointment: Appointment, step: Step, steps: list[Step], base: str):
    error, status = "", 200
    form = ConsentSignForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not step.done:
        if form.is_valid():
            with refusals() as refused:
                paperwork_services.consent_sign_online(
                    appointment=appointment,
                    version=step.version,
                    signature_png=form.cleaned_data["data_url"],
                    ip=client_ip(request),
                )
                return see_other(_next_url(base, steps, step))
            error, status = refused.message, refused.status_code
        else:
            error, status = "Please check the items marked below.", 400
    elif request.method == "POST":
        return see_other(_next_url(base, steps, step))
    context = {
        "facts": _facts(appointment),
        "step": step,
        "position": steps.index(step) + 1,
        "count": len(steps),
        "form": form,
        "version": step.version,
        "error": error,
        "base": base,
    }
    return _render(request, appointment, "consent.html", context, status=status)
