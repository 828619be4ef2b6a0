"""The clearer's decision form, shared by the external clearer's secure link and Portrait's queue: a decision
for each requested service (a reason unless cleared), what was reviewed, the findings, who signs and the
drawn signature."""

import re

from django import forms

from gfe.models import ClearanceStatus
from gfe.models.exams import EXAM_TEXTS
from gfe.services.decisions import Decision
from medspa.forms.accounts import DrawnSignatureForm

DECISION_CHOICES = [
    (ClearanceStatus.CLEARED, "Cleared"),
    (ClearanceStatus.NOT_INDICATED, "Not indicated"),
    (ClearanceStatus.DEFERRED, "Deferred"),
]
REVIEW_CHECKS = {
    "history_reviewed": "I reviewed the patient's medical history",
    "medications_reviewed": "I reviewed the patient's medications",
    "allergies_reviewed": "I reviewed the patient's allergies",
}
# An ICD-10-CM code: a letter, two characters, then optionally a dot and up to four more (L57.0, Z01.818).
_CONFIRM = {"required": "Confirm you reviewed this before signing."}
_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


class GfeDecisionForm(DrawnSignatureForm):
    """`services`: the request's services, each decided on its own. The drawn signature (`data_url`) comes
    from DrawnSignatureForm and is required; cleaned, it is the PNG's bytes."""

    history_reviewed = forms.BooleanField(label=REVIEW_CHECKS["history_reviewed"], error_messages=_CONFIRM)
    medications_reviewed = forms.BooleanField(
        label=REVIEW_CHECKS["medications_reviewed"], error_messages=_CONFIRM
    )
    allergies_reviewed = forms.BooleanField(
        label=REVIEW_CHECKS["allergies_reviewed"], error_messages=_CONFIRM
    )
    diagnoses = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    icd10_codes = forms.CharField(
        label="ICD-10 codes",
        required=False,
        max_length=200,
        help_text="Separated by commas, e.g. L57.0, Z01.818",
    )
    contraindications = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    clearer_name = forms.CharField(label="Your name", max_length=150)
    clearer_credential = forms.CharField(label="Credentials", max_length=20, help_text="e.g. MD, DO, NP, PA")
    clearer_licence = forms.CharField(
        label="Licence", max_length=80, help_text="State and number, e.g. CA A12345"
    )

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.services = list(services)
        self.fields["data_url"].error_messages["required"] = "Draw your signature in the box first."
        for service in self.services:
            self.fields[f"decision_{service.pk}"] = forms.ChoiceField(
                label=service.display_name,
                choices=DECISION_CHOICES,
                widget=forms.RadioSelect,
                error_messages={"required": f"Decide {service.display_name}."},
            )
            self.fields[f"reason_{service.pk}"] = forms.CharField(
                label="Reason (required unless cleared)", required=False, max_length=300
            )

    @property
    def service_rows(self) -> list[dict]:
        """For the template: each service with its decision and reason fields."""
        return [
            {"service": s, "decision": self[f"decision_{s.pk}"], "reason": self[f"reason_{s.pk}"]}
            for s in self.services
        ]

    @property
    def review_fields(self) -> list:
        return [self[name] for name in REVIEW_CHECKS]

    def clean_icd10_codes(self) -> str:
        codes = [code.strip().upper() for code in self.cleaned_data["icd10_codes"].split(",") if code.strip()]
        wrong = [code for code in codes if not _ICD10.match(code)]
        if wrong:
            raise forms.ValidationError(f"Not an ICD-10 code: {', '.join(wrong)}.")
        return ", ".join(codes)

    def clean(self):
        cleaned = super().clean()
        for service in self.services:
            decision = cleaned.get(f"decision_{service.pk}")
            reason = (cleaned.get(f"reason_{service.pk}") or "").strip()
            cleaned[f"reason_{service.pk}"] = reason
            if decision and decision != ClearanceStatus.CLEARED and not reason:
                self.add_error(f"reason_{service.pk}", f"Say why {service.display_name} is not cleared.")
        return cleaned

    def decisions(self) -> dict[int, Decision]:
        data = self.cleaned_data
        return {
            s.pk: Decision(status=data[f"decision_{s.pk}"], reason=data[f"reason_{s.pk}"])
            for s in self.services
        }

    def exam(self) -> dict:
        return {name: self.cleaned_data[name] for name in (*REVIEW_CHECKS, *EXAM_TEXTS)}

    def signer(self) -> dict:
        """gfe_decide's keyword arguments for who signs, and the signature's PNG bytes."""
        data = self.cleaned_data
        return {
            "clearer_name": data["clearer_name"].strip(),
            "clearer_credential": data["clearer_credential"].strip(),
            "clearer_licence": data["clearer_licence"].strip(),
            "signature_png": data["data_url"],
        }
