"""The intake form builder: the form's title and description, and its questions as a formset of rows (one
question a row, with its section's title and its place in the form). Saving turns the rows into the
version's sections (services_catalog.models.intake) and the service checks them once more."""

import re

from django import forms

from services_catalog.models import FieldKind, IntakeForm, RecordField
from services_catalog.services import intake_forms as intake_services
from services_catalog.services.errors import IntakeFormInvalid

EXTRA_ROWS = 3
MORE_ROWS = 5


class IntakeFormDetailsForm(forms.Form):
    title = forms.CharField(max_length=intake_services.TITLE_MAX)
    description = forms.CharField(
        required=False,
        max_length=intake_services.DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown to the patient above the questions.",
    )

    def __init__(self, *args, medspa, instance: IntakeForm | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.medspa, self.instance = medspa, instance

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        clash = IntakeForm._base_manager.filter(medspa=self.medspa, title__iexact=title)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("You already have a form with this title.")
        return title


class QuestionForm(forms.Form):
    """One question of the builder. A row left blank is ignored; "Remove" drops the question."""

    label = forms.CharField(label="Question", required=False, max_length=intake_services.LABEL_MAX)
    kind = forms.ChoiceField(label="Answer", choices=FieldKind.choices, initial=FieldKind.TEXT)
    required = forms.BooleanField(label="Required", required=False)
    section = forms.CharField(
        label="Section",
        required=False,
        max_length=intake_services.SECTION_TITLE_MAX,
        widget=forms.TextInput(attrs={"list": "intake-sections"}),
    )
    position = forms.IntegerField(label="Position", required=False, min_value=1, max_value=999)
    choices = forms.CharField(
        label="Choices, one a line",
        required=False,
        max_length=intake_services.CHOICES_MAX * (intake_services.CHOICE_MAX + 2),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    help = forms.CharField(label="Help shown under it", required=False, max_length=intake_services.HELP_MAX)
    record = forms.ChoiceField(
        label="Proposes a change to",
        required=False,
        choices=[("", "Nothing"), *RecordField.choices],
    )
    key = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        if self.errors or not cleaned.get("label", "").strip():
            if not self.errors and self.has_changed():
                self.add_error("label", "Write the question, or tick “Remove”.")
            return cleaned
        question = self.question(key=cleaned.get("key") or "placeholder")
        try:
            cleaned["question"] = intake_services.question_clean(question, where="This question")
        except IntakeFormInvalid as error:
            raise forms.ValidationError(error.message) from None
        return cleaned

    def question(self, *, key: str) -> dict:
        cleaned = self.cleaned_data
        choices = [line.strip() for line in cleaned.get("choices", "").splitlines() if line.strip()]
        return {
            "key": key,
            "label": cleaned.get("label", "").strip(),
            "kind": cleaned.get("kind"),
            "required": bool(cleaned.get("required")),
            "choices": choices,
            "help": cleaned.get("help", ""),
            "record": cleaned.get("record") or "",
        }


class BaseQuestionFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["DELETE"].label = "Remove"

    def sections(self) -> list[dict]:
        """The rows kept, as a version's sections: each section where its first question stands, its
        questions by position (a row without one goes last, in page order). New questions get a key made
        from their wording."""
        rows = [
            form
            for form in self.forms
            if form.cleaned_data.get("question") and not form.cleaned_data.get("DELETE")
        ]
        kept = {form.cleaned_data["key"] for form in rows if form.cleaned_data.get("key")}
        placed = sorted(
            enumerate(rows),
            key=lambda item: (item[1].cleaned_data.get("position") or 10_000, item[0]),
        )
        sections: dict[str, list[dict]] = {}
        for _, form in placed:
            key = form.cleaned_data.get("key") or _new_key(form.cleaned_data["label"], kept)
            kept.add(key)
            title = form.cleaned_data.get("section", "").strip()
            sections.setdefault(title, []).append(form.question(key=key))
        return [{"title": title, "fields": fields} for title, fields in sections.items()]


def _new_key(label: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", label.lower())[:32].strip("_") or "question"
    key, number = base, 2
    while key in taken:
        key = f"{base}_{number}"
        number += 1
    return key


QuestionFormSet = forms.formset_factory(
    QuestionForm,
    formset=BaseQuestionFormSet,
    extra=EXTRA_ROWS,
    can_delete=True,
    max_num=intake_services.QUESTIONS_MAX,
    absolute_max=intake_services.QUESTIONS_MAX + MORE_ROWS,
    validate_max=True,
)


def question_rows(sections: list[dict]) -> list[dict]:
    """A version's questions as the builder's initial rows, numbered in order."""
    rows, position = [], 0
    for section in sections:
        for field in section.get("fields", []):
            position += 1
            rows.append(
                {
                    "section": section.get("title", ""),
                    "position": position,
                    "label": field["label"],
                    "kind": field["kind"],
                    "required": field.get("required", False),
                    "choices": "\n".join(field.get("choices", [])),
                    "help": field.get("help", ""),
                    "record": field.get("record", ""),
                    "key": field["key"],
                }
            )
    return rows
