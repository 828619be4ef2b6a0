"""The patient's paperwork before a visit, from the paperwork link: the answers to an intake form and a
consent signed alone. Neither changes the patient's record: an answer about allergies, medications or
medical history that differs from it becomes a proposed change, which staff or the provider accept or
decline."""

from collections import defaultdict

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from medspa import images
from medspa.errors import DomainError
from scheduling.models import Appointment, HistoryChange, IntakeResponse
from scheduling.selectors import paperwork as paperwork_rules
from scheduling.selectors.intake_answers import NO_ANSWER, answer_text
from services_catalog.models import ConsentSignature, ConsentVersion, IntakeFormVersion
from services_catalog.services import texts as catalog_texts


class PaperworkRefused(DomainError):
    """The paperwork link cannot take this answer or signature (the visit is over, the form changed, …)."""


CLOSED = "This appointment is no longer open for paperwork. Please call us if you need to change anything."
FORM_CHANGED = "This form has changed since you opened it. Please reload the page and answer it again."
CONSENT_CHANGED = "This consent is not one your visit needs, or it has changed. Please reload the page."
ALREADY_SIGNED = "You have already signed this consent for your visit."


def _open_appointment(appointment: Appointment) -> Appointment:
    """The appointment, locked so that two submissions of the same link take turns; refused once it is no
    longer open (cancelled, over, or marked done or a no-show)."""
    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "appointment_type")
        .get(pk=appointment.pk)
    )
    if locked.status not in paperwork_rules.OPEN_STATUSES or locked.end <= timezone.now():
        raise PaperworkRefused(CLOSED)
    return locked


def _checked_answers(version: IntakeFormVersion, answers: dict) -> dict:
    """The answers to the version's questions only, each required one answered (the form cleaned them)."""
    checked = {}
    for question in version.fields():
        value = answers.get(question["key"])
        if question.get("required") and value in (None, "", []):
            raise PaperworkRefused(f"Please answer “{question['label']}”.")
        checked[question["key"]] = value
    return checked


@transaction.atomic
def intake_response_submit(
    *, appointment: Appointment, version: IntakeFormVersion, answers: dict, ip: str | None
) -> IntakeResponse:
    """Keeps the patient's answers to the current version of one of the appointment type's intake forms, and
    proposes each answer about the patient's record that differs from it (pending, for staff to decide).
    Submitting again adds a newer response; the patient's record itself never changes here."""
    appointment = _open_appointment(appointment)
    named = appointment.appointment_type.intake_forms.filter(pk=version.form_id).first()
    current = named.current_version if named is not None else None
    if current is None or current.pk != version.pk:
        raise PaperworkRefused(FORM_CHANGED)
    response = IntakeResponse.objects.create(
        medspa_id=appointment.medspa_id,
        appointment=appointment,
        patient=appointment.patient,
        version=version,
        answers=_checked_answers(version, answers),
        ip=ip,
    )
    _propose_changes(response)
    return response


def _propose_changes(response: IntakeResponse) -> None:
    """One pending change per part of the record the answers speak of (answers of two questions about the
    same part are joined), unless the record already says it or the same change already waits."""
    patient = response.patient
    proposed: dict[str, list[str]] = defaultdict(list)
    for question in response.version.fields():
        record = question.get("record") or ""
        text = answer_text(question["kind"], response.answers.get(question["key"]))
        if record and text != NO_ANSWER:
            proposed[record].append(text.strip())
    for record, texts in proposed.items():
        text = "\n".join(texts)
        before = (getattr(patient, record) or "").strip()
        if text == before:
            continue
        waiting = HistoryChange.objects.filter(
            patient=patient, record=record, status=HistoryChange.Status.PENDING, proposed=text
        )
        if waiting.exists():
            continue
        HistoryChange.objects.create(
            medspa_id=response.medspa_id,
            patient=patient,
            response=response,
            record=record,
            before=before,
            proposed=text,
        )


@transaction.atomic
def consent_sign_online(
    *, appointment: Appointment, version: ConsentVersion, signature_png: bytes, ip: str | None
) -> ConsentSignature:
    """The patient signs, alone from the paperwork link, the current version of a consent the appointment's
    service needs and no signature of theirs covers yet: the drawing (re-encoded, medspa.images), the time
    and the IP are kept, with no witness."""
    appointment = _open_appointment(appointment)
    try:
        signature_png = images.signature_normalise(signature_png)
    except images.ImageRefused as refused:
        raise PaperworkRefused(str(refused)) from None
    paperwork = paperwork_rules.appointment_paperwork(appointment)
    need = next(((v, signed) for v, signed in paperwork.consents if v.pk == version.pk), None)
    if need is None:
        raise PaperworkRefused(CONSENT_CHANGED)
    if need[1] is not None:
        raise PaperworkRefused(ALREADY_SIGNED)
    return catalog_texts.consent_sign(
        patient=appointment.patient,
        version=need[0],
        signature=ContentFile(signature_png, name=f"consent-{appointment.patient_id}-{version.pk}.png"),
        witnessed_by=None,
        ip=ip,
    )
