"""Intake forms: the questions a medspa asks a patient before a visit. The questions are checked against the
schema of services_catalog.models.intake, kept in versions (an edit that changes them adds one; an answered
version never changes), and a medspa may make its own editable copy of one of Portrait's library forms."""

import re
from typing import Any

from django.db import transaction
from django.db.models import Max

from medspa.models import Medspa, User
from services_catalog.models import FieldKind, IntakeForm, IntakeFormVersion, RecordField
from services_catalog.services.errors import IntakeFormInvalid, LibraryTextLocked

KEY = re.compile(r"[a-z0-9_]{1,40}")
TITLE_MAX = 200
DESCRIPTION_MAX = 2_000
SECTIONS_MAX = 20
SECTION_TITLE_MAX = 120
QUESTIONS_MAX = 150
LABEL_MAX = 300
HELP_MAX = 500
CHOICES_MIN, CHOICES_MAX, CHOICE_MAX = 2, 30, 120
CHOICE_KINDS = {FieldKind.CHOICE, FieldKind.MULTI_CHOICE}
# Only a written answer can be proposed as the patient's allergies, medications or medical history.
RECORD_KINDS = {FieldKind.TEXT, FieldKind.LONG_TEXT}
QUESTION_KEYS = {"key", "label", "kind", "required", "choices", "help", "record"}


def _text(value: Any, *, what: str, limit: int, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise IntakeFormInvalid(f"{what} must be text.")
    value = value.strip()
    if "\x00" in value:
        raise IntakeFormInvalid(f"{what} holds a character that cannot be stored.")
    if required and not value:
        raise IntakeFormInvalid(f"{what} is empty.")
    if len(value) > limit:
        raise IntakeFormInvalid(f"{what} is longer than {limit} characters.")
    return value


def question_clean(question: Any, *, where: str = "A question") -> dict:
    """One question checked on its own (its key's uniqueness is the version's to check), tidied: text
    stripped, the optional parts filled in. `where` names it in the message ("Question 3")."""
    if not isinstance(question, dict):
        raise IntakeFormInvalid(f"{where} is not a question.")
    unknown = sorted(set(question) - QUESTION_KEYS, key=str)
    if unknown:
        raise IntakeFormInvalid(
            f"{where} has parts a question does not have: {', '.join(map(str, unknown))}."
        )
    label = _text(question.get("label"), what=f"{where}'s wording", limit=LABEL_MAX, required=True)
    where = f"{where} (“{label[:60]}”)"
    key = question.get("key")
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise IntakeFormInvalid(
            f"{where} needs a key of at most 40 lowercase letters, digits and underscores."
        )
    kind = question.get("kind")
    if kind not in FieldKind.values:
        raise IntakeFormInvalid(f"{where} has no kind of answer, or one the form does not know.")
    required = question.get("required", False)
    if not isinstance(required, bool):
        raise IntakeFormInvalid(f"{where}: “required” is yes or no.")
    choices = question.get("choices") or []
    if not isinstance(choices, list):
        raise IntakeFormInvalid(f"{where}: the choices must be a list.")
    choices = [_text(c, what=f"{where}: a choice", limit=CHOICE_MAX, required=True) for c in choices]
    if kind in CHOICE_KINDS:
        if not CHOICES_MIN <= len(choices) <= CHOICES_MAX:
            raise IntakeFormInvalid(f"{where} needs between {CHOICES_MIN} and {CHOICES_MAX} choices.")
        if len({c.casefold() for c in choices}) != len(choices):
            raise IntakeFormInvalid(f"{where} lists the same choice twice.")
    elif choices:
        raise IntakeFormInvalid(f"{where} has choices, but only a choice question offers them.")
    record = question.get("record") or ""
    if record not in ("", *RecordField.values):
        raise IntakeFormInvalid(f"{where} names a part of the patient's record that does not exist.")
    if record and kind not in RECORD_KINDS:
        raise IntakeFormInvalid(
            f"{where}: only a written answer (short answer or paragraph) can update the patient's record."
        )
    return {
        "key": key,
        "label": label,
        "kind": str(kind),
        "required": required,
        "choices": choices,
        "help": _text(question.get("help"), what=f"{where}'s help", limit=HELP_MAX, required=False),
        "record": str(record),
    }


def sections_clean(sections: Any) -> list:
    """The sections of a version checked against the schema (see services_catalog.models.intake) and
    tidied; raises IntakeFormInvalid naming the first question at fault."""
    if not isinstance(sections, list) or not sections:
        raise IntakeFormInvalid("A form needs at least one section with a question.")
    if len(sections) > SECTIONS_MAX:
        raise IntakeFormInvalid(f"A form has at most {SECTIONS_MAX} sections.")
    cleaned, keys, number = [], set(), 0
    for position, section in enumerate(sections, start=1):
        if not isinstance(section, dict) or set(section) - {"title", "fields"}:
            raise IntakeFormInvalid(f"Section {position} is not a section (a title and its questions).")
        title = _text(
            section.get("title"), what=f"Section {position}'s title", limit=SECTION_TITLE_MAX, required=False
        )
        questions = section.get("fields")
        if not isinstance(questions, list) or not questions:
            raise IntakeFormInvalid(f"Section {position}{f' ({title})' if title else ''} has no question.")
        fields = []
        for question in questions:
            number += 1
            if number > QUESTIONS_MAX:
                raise IntakeFormInvalid(f"A form asks at most {QUESTIONS_MAX} questions.")
            field = question_clean(question, where=f"Question {number}")
            if field["key"] in keys:
                raise IntakeFormInvalid(
                    f"Question {number} (“{field['label'][:60]}”) has the key “{field['key']}” of an "
                    "earlier question: each key is used once."
                )
            keys.add(field["key"])
            fields.append(field)
        cleaned.append({"title": title, "fields": fields})
    return cleaned


def _details(title: str, description: str) -> tuple[str, str]:
    return (
        _text(title, what="The title", limit=TITLE_MAX, required=True),
        _text(description, what="The description", limit=DESCRIPTION_MAX, required=False),
    )


def _title_taken(medspa: Medspa | None, title: str, *, exclude: int | None = None) -> bool:
    clash = IntakeForm._base_manager.filter(medspa=medspa, title__iexact=title)
    return clash.exclude(pk=exclude).exists() if exclude else clash.exists()


@transaction.atomic
def intake_form_create(
    *, medspa: Medspa | None, title: str, description: str, sections: list, by: User | None
) -> IntakeForm:
    """Creates an intake form with its first version. medspa=None makes it Portrait's (staff only)."""
    title, description = _details(title, description)
    sections = sections_clean(sections)
    if _title_taken(medspa, title):
        raise IntakeFormInvalid(f"There is already a form called “{title}”.")
    form = IntakeForm.all_objects.create(medspa=medspa, title=title, description=description)
    IntakeFormVersion.objects.create(form=form, number=1, sections=sections, created_by=by)
    return form


@transaction.atomic
def intake_form_revise(
    *,
    form: IntakeForm,
    title: str,
    description: str,
    sections: list,
    by: User | None,
    as_portrait: bool = False,
) -> IntakeFormVersion:
    """Saves an edit: the title and description in place, the questions as a new version when they changed
    (every older version stays exactly as it was). Library forms change only through Portrait."""
    if form.is_library and not as_portrait:
        raise LibraryTextLocked("This form is Portrait's: copy it to edit your own.")
    form = IntakeForm._base_manager.select_for_update().get(pk=form.pk)
    title, description = _details(title, description)
    sections = sections_clean(sections)
    if (title, description) != (form.title, form.description):
        if title != form.title and _title_taken(form.medspa, title, exclude=form.pk):
            raise IntakeFormInvalid(f"There is already a form called “{title}”.")
        form.title, form.description = title, description
        form.save(update_fields=["title", "description", "updated_at"])
    current = form.versions.order_by("-number").first()
    if current is not None and current.sections == sections:
        return current
    number = (form.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = IntakeFormVersion.objects.create(form=form, number=number, sections=sections, created_by=by)
    form.save(update_fields=["updated_at"])
    return version


@transaction.atomic
def intake_form_copy(*, form: IntakeForm, medspa: Medspa, by: User | None) -> IntakeForm:
    """The medspa's own editable copy of one of Portrait's forms, with its current questions: titled as the
    original, or "<title> (copy)" when the medspa already has a form of that title."""
    if not form.is_library:
        raise IntakeFormInvalid("Only Portrait's forms are copied: edit your own form directly.")
    current = form.current_version
    title, count = form.title, 1
    while _title_taken(medspa, title):
        suffix = " (copy)" if count == 1 else f" (copy {count})"
        title = form.title[: TITLE_MAX - len(suffix)] + suffix
        count += 1
    copy = IntakeForm.all_objects.create(
        medspa=medspa, title=title, description=form.description, copied_from=form
    )
    IntakeFormVersion.objects.create(form=copy, number=1, sections=current.sections, created_by=by)
    return copy
