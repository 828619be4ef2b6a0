"""Forms of GFE management: the admin's routing settings, a provider's manual request, and the
self-clearance exam a licensed provider signs."""

import re

from django import forms
from django.db.models import Case, F, Q, QuerySet, When

from gfe.models import GfeSettings, Routing
from gfe.models.exams import EXAM_FIELDS
from medspa.forms.accounts import DrawnSignatureForm
from medspa.models import Medspa
from medspa.money import money_format
from services_catalog.models import Service
from services_catalog.selectors import catalog

# ICD-10(-CM): a letter, a digit, a letter or digit, then optionally a dot and one to four letters or digits.
ICD10_CODE = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?$")


def services_needing_clearance(medspa: Medspa) -> QuerySet[Service]:
    """The medspa's active services that need GFE clearance (an imported service follows the library)."""
    needs = Q(library_service__isnull=False, library_service__requires_gfe=True) | Q(
        library_service__isnull=True, requires_gfe=True
    )
    shown_name = Case(When(library_service__isnull=False, then=F("library_service__name")), default=F("name"))
    return catalog.services_selectable(medspa).filter(needs).order_by(shown_name, "pk")


class ServiceChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, *args, labels: dict[int, str] | None = None, **kwargs):
        self.status_labels = labels or {}
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Service) -> str:
        note = self.status_labels.get(obj.pk)
        return f"{obj.display_name} ({note})" if note else obj.display_name


class GfeSettingsForm(forms.Form):
    routing = forms.ChoiceField(
        label="How your patients are cleared", choices=Routing.choices, widget=forms.RadioSelect
    )
    validity_months = forms.IntegerField(
        label="A clearance stays valid for (months)",
        min_value=1,
        max_value=12,
        help_text="At most 12 months.",
    )
    auto_request_on_booking = forms.BooleanField(
        label="Request a GFE automatically when a booked service needs one", required=False
    )
    clearer_name = forms.CharField(label="Clearing provider's name", max_length=150, required=False)
    clearer_credential = forms.CharField(
        label="Credentials", max_length=20, required=False, help_text="For example MD, DO or NP."
    )
    clearer_email = forms.EmailField(
        label="Clearing provider's email", required=False, help_text="Requests are sent there."
    )

    OWN_CLEARER_FIELDS = ("clearer_name", "clearer_credential", "clearer_email")

    @classmethod
    def initial_from(cls, gfe_settings: GfeSettings | None) -> dict:
        """The saved settings, or the defaults when the admin has not saved a choice yet."""
        source = gfe_settings or GfeSettings()
        return {name: getattr(source, name) for name in cls.base_fields}

    def clean(self):
        data = super().clean()
        if data.get("routing") == Routing.OWN_CLEARER:
            for name in self.OWN_CLEARER_FIELDS:
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, "Required when your own clearing provider clears your patients.")
        return data


class GfeRequestForm(forms.Form):
    services = ServiceChoiceField(
        queryset=Service.objects.none(),
        label="Services to clear",
        error_messages={"required": "Choose at least one service to clear."},
    )
    urgent = forms.BooleanField(label="Urgent", required=False)

    def __init__(self, *args, medspa: Medspa, allow_urgent: bool, urgent_fee=None, labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = services_needing_clearance(medspa)
        self.fields["services"].status_labels = labels or {}
        if allow_urgent:
            self.fields["urgent"].label = f"Urgent (adds {money_format(urgent_fee)} to your bill)"
            self.fields["urgent"].help_text = "Portrait's clearers take urgent requests first."
        else:
            del self.fields["urgent"]


def _icd10_codes(value: str) -> str:
    codes = [code.strip().upper() for code in value.split(",") if code.strip()]
    wrong = [code for code in codes if not ICD10_CODE.match(code)]
    if wrong:
        raise forms.ValidationError(
            "Not an ICD-10 code: %(codes)s. Write codes like L57.4 or L90.8, separated by commas.",
            params={"codes": ", ".join(wrong)},
        )
    return ", ".join(codes)


class SelfClearanceForm(forms.Form):
    """The exam a licensed provider signs to clear their own patient."""

    history_reviewed = forms.BooleanField(
        label="Medical history reviewed", error_messages={"required": "Review the patient's history."}
    )
    medications_reviewed = forms.BooleanField(
        label="Medications reviewed", error_messages={"required": "Review the patient's medications."}
    )
    allergies_reviewed = forms.BooleanField(
        label="Allergies reviewed", error_messages={"required": "Review the patient's allergies."}
    )
    services = ServiceChoiceField(
        queryset=Service.objects.none(),
        label="Indicated treatments",
        help_text="The services you clear. Services you do not select are not part of this exam.",
        error_messages={"required": "Select the services you clear."},
    )
    diagnoses = forms.CharField(label="Diagnoses", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    icd10_codes = forms.CharField(
        label="ICD-10 codes",
        max_length=200,
        required=False,
        help_text="Comma-separated, e.g. L57.4, L90.8.",
    )
    contraindications = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    data_url = forms.CharField(max_length=400_000, widget=forms.HiddenInput, required=False)

    EXAM_FIELDS = EXAM_FIELDS  # the page lists the reviewed checkboxes among them

    def __init__(self, *args, medspa: Medspa, signature_on_file: bool, labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.signature_on_file = signature_on_file
        self.fields["services"].queryset = services_needing_clearance(medspa)
        self.fields["services"].status_labels = labels or {}

    def clean_icd10_codes(self):
        return _icd10_codes(self.cleaned_data["icd10_codes"])

    def clean_data_url(self):
        """The drawn signature as PNG bytes; None when nothing was drawn (the one on file is used)."""
        value = self.cleaned_data["data_url"]
        if not value:
            if not self.signature_on_file:
                raise forms.ValidationError(
                    "Draw your signature: you have none on file to sign the exam with."
                )
            return None
        drawn = DrawnSignatureForm({"data_url": value})
        if not drawn.is_valid():
            raise forms.ValidationError(drawn.errors["data_url"])
        return drawn.cleaned_data["data_url"]

    def exam(self) -> dict:
        return {name: self.cleaned_data[name] for name in EXAM_FIELDS}
