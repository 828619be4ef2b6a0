"""An intake response as people read it: each question of the version the patient answered, with the answer
in words. The patient's profile, the GFE review and the patient's own confirmation print it this way."""

from dataclasses import dataclass
from datetime import date

from scheduling.models import IntakeResponse
from services_catalog.models import FieldKind

NO_ANSWER = "—"


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
