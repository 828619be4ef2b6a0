"""Forms of the patient's paperwork page: an intake form version's questions as a Django form, and a consent's
signature. They check the shape of what is posted and clean it into the answers kept (a yes/no as a boolean,
a date as ISO text, a signature as the re-encoded PNG's data URL); scheduling.services.paperwork decides
whether the appointment may take it."""

import base64
from datetime import date, timedelta

from django import forms
from django.utils import timezone

from medspa.forms.accounts import DrawnSignatureForm
from services_catalog.models import FieldKind, IntakeFormVersion

EARLIEST_DATE = date(1900, 1, 1)
LATEST_YEARS_AHEAD = 5
SHORT_ANSWER_MAX = 500
PARAGRAPH_MAX = 5000
YES_NO = [("yes", "Yes"), ("no", "No")]
SIGNATURE_REQUIRED = "Draw your signature in the box first."


def _latest_date() -> date:
    return timezone.localdate() + timedelta(days=365 * LATEST_YEARS_AHEAD)


def _field(question: dict) -> forms.Field:
    """The Django field of one question of a version (see services_catalog.models.intake)."""
    kind, required = question.get("kind"), bool(question.get("required"))
    options = {
        "label": question["label"],
        "required": required,
        "help_text": question.get("help", ""),
        "error_messages": {"required": "Please answer this question."},
    }
    choices = [(str(choice), str(choice)) for choice in question.get("choices") or []]
    if kind == FieldKind.LONG_TEXT:
        return forms.CharField(max_length=PARAGRAPH_MAX, widget=forms.Textarea(attrs={"rows": 4}), **options)
    if kind == FieldKind.YES_NO:
        return forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, **options)
    if kind == FieldKind.CHOICE:
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **options)
    if kind == FieldKind.MULTI_CHOICE:
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **options)
    if kind == FieldKind.DATE:
        attrs = {"type": "date", "min": EARLIEST_DATE.isoformat(), "max": _latest_date().isoformat()}
        return forms.DateField(widget=forms.DateInput(attrs=attrs, format="%Y-%m-%d"), **options)
    if kind == FieldKind.SIGNATURE:
        options["error_messages"] = {"required": SIGNATURE_REQUIRED}
        return forms.CharField(max_length=400_000, widget=forms.HiddenInput, **options)
    return forms.CharField(max_length=SHORT_ANSWER_MAX, **options)


def _signature_clean(value: str) -> str:
    drawn = DrawnSignatureForm({"data_url": value})
    if not drawn.is_valid():
        raise forms.ValidationError(drawn.errors["data_url"])
    return "data:image/png;base64," + base64.b64encode(drawn.cleaned_data["data_url"]).decode()


class IntakeAnswersForm(forms.Form):
    """The questions of one intake form version, section by section (`sections()` for the template), each
    field named after its question's key (prefixed, so that no key meets the page's own fields)."""

    prefix = "q"

    def __init__(self, *args, version: IntakeFormVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.version = version
        self.questions = {question["key"]: question for question in version.fields()}
        for key, question in self.questions.items():
            self.fields[key] = _field(question)

    def sections(self) -> list[dict]:
        """Each section's title and its bound fields, in order."""
        return [
            {
                "title": section.get("title", ""),
                "fields": [
                    self[field["key"]] for field in section.get("fields", []) if field["key"] in self.fields
                ],
            }
            for section in self.version.sections
        ]

    def clean(self):
        cleaned = super().clean()
        for key, question in self.questions.items():
            if key not in cleaned:
                continue
            value, kind = cleaned[key], question.get("kind")
            if kind == FieldKind.YES_NO:
                cleaned[key] = {"yes": True, "no": False}.get(value)
            elif kind == FieldKind.DATE and value is not None:
                if not EARLIEST_DATE <= value <= _latest_date():
                    self.add_error(key, "Check the year: that date is out of range.")
                else:
                    cleaned[key] = value.isoformat()
            elif kind == FieldKind.SIGNATURE and value:
                try:
                    cleaned[key] = _signature_clean(value)
                except forms.ValidationError as error:
                    self.add_error(key, error)
            elif isinstance(value, str):
                cleaned[key] = value.strip()
        return cleaned

    def answers(self) -> dict:
        """The cleaned answers, by question key (call after is_valid)."""
        return {key: self.cleaned_data.get(key) for key in self.questions}


class ConsentSignForm(DrawnSignatureForm):
    """The patient's drawn signature under a consent's text, and their word that they read it."""

    agree = forms.BooleanField(
        label="I have read and agree to this consent",
        error_messages={"required": "Please confirm that you have read and agree to this consent."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["data_url"].error_messages["required"] = SIGNATURE_REQUIRED
