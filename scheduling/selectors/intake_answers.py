"""An intake response as people read it: each question of the version the patient answered, with the answer
in words. The patient's profile, the GFE review and the patient's own confirmation print it this way.

`answered_forms` gives the GFE review (gfe.selectors.intake.INTAKE_ANSWERS, registered by SchedulingConfig)
a patient's latest answers to each form."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from gfe.selectors.intake import AnsweredForm
from medspa.models import Patient
from medspa.selectors.patients import patient_records
from scheduling.models import IntakeResponse
from services_catalog.models import FieldKind

NO_ANSWER = "—"
# Older answers no longer describe the patient well enough to clear them on.
ANSWERS_SHOWN_FOR = timedelta(days=365)


@dataclass(frozen=True)
class AnswerRow:
    section: str
    label: str
    kind: str
    text: str
    record: str  # the part of the patient's record it proposes to change, or ""


def answer_text(kind: str, value) -> str:
    """One answer in words: "Yes" / "No", choices joined by commas, a date as "Mar 4, 1990", a signature as
    "Signed"; an empty answer as a dash."""
    if value in (None, "", []):
        return NO_ANSWER
    if kind == FieldKind.YES_NO:
        return "Yes" if value is True or value == "yes" else "No"
    if kind == FieldKind.MULTI_CHOICE:
        return ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)
    if kind == FieldKind.DATE:
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            return str(value)
        return f"{day:%b} {day.day}, {day.year}"
    if kind == FieldKind.SIGNATURE:
        return "Signed"
    return str(value)


def answer_rows(response: IntakeResponse) -> list[AnswerRow]:
    """Every question of the response's version, in order, with the answer given (select "version")."""
    return [
        AnswerRow(
            section=field.get("section", ""),
            label=field["label"],
            kind=field["kind"],
            text=answer_text(field["kind"], response.answers.get(field["key"])),
            record=field.get("record", ""),
        )
        for field in response.version.fields()
    ]


def answered_forms(patient: Patient) -> list[AnsweredForm]:
    """The patient's latest response to each intake form in the last year (on any of their merged records),
    with the answers in words, by title. One query."""
    responses = (
        IntakeResponse.objects.filter(
            patient__in=patient_records(patient), submitted_at__gte=timezone.now() - ANSWERS_SHOWN_FOR
        )
        .select_related("version__form")
        .order_by("-submitted_at", "-pk")
    )
    latest: dict[int, IntakeResponse] = {}
    for response in responses:
        latest.setdefault(response.version.form_id, response)
    return sorted(
        (
            AnsweredForm(
                title=response.version.form.title,
                submitted_at=response.submitted_at,
                rows=[(row.section, row.label, row.text) for row in answer_rows(response)],
            )
            for response in latest.values()
        ),
        key=lambda form: form.title.lower(),
    )
