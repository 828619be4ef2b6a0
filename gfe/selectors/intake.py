"""The patient's answers to the intake forms of their visits, as the clearer reads them beside the allergies,
medications and medical history. The forms and the answers belong to scheduling, above this app: it fills
INTAKE_ANSWERS from its AppConfig.ready with a function that gives a patient's latest response to each form
(merged-away records included) from the last year, answers already in words (a signature as "Signed",
never the image)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from zoneinfo import ZoneInfo

from medspa.models import Patient
from medspa.registry import Registry


@dataclass(frozen=True)
class AnsweredForm:
    """One intake form as the patient last answered it: its title, when, and each question with the answer
    in words, as (section, question, answer)."""

    title: str
    submitted_at: datetime
    rows: list[tuple[str, str, str]] = field(default_factory=list)


INTAKE_ANSWERS: Registry[Callable[[Patient], list[AnsweredForm]]] = Registry("intake answers")


def answered_label(moment: datetime, time_zone: str) -> str:
    """ "Answered Mar 3, 2027 at 4:05 PM PST", in the medspa's time zone."""
    local = moment.astimezone(ZoneInfo(time_zone))
    hour = f"{local:%I}".lstrip("0")
    return f"Answered {local:%b} {local.day}, {local.year} at {hour}:{local:%M %p} {local.tzname()}"


def intake_answers(patient: Patient, *, time_zone: str) -> list[dict]:
    """The patient's answered intake forms for a review, by title: each with its title, "answered" (when,
    in `time_zone`) and its sections, each a title and its (question, answer) rows. One query per
    registered source."""
    forms = sorted(
        (form for source in INTAKE_ANSWERS for form in source(patient)),
        key=lambda form: (form.title.lower(), -form.submitted_at.timestamp()),
    )
    return [
        {
            "title": form.title,
            "answered": answered_label(form.submitted_at, time_zone),
            "sections": [
                {"title": section, "rows": [(label, text) for _, label, text in rows]}
                for section, rows in groupby(form.rows, key=lambda row: row[0])
            ],
        }
        for form in forms
    ]


def intake_viewed(viewed: str, answers: Iterable[dict]) -> str:
    """What the access log says was read: `viewed`, and the intake forms whose answers were shown."""
    titles = [form["title"] for form in answers]
    return f"{viewed}, with intake answers: {', '.join(titles)}" if titles else viewed
