"""Forms of the core app about patients: the record, and the rows and file of a CSV import."""

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils import timezone

from medspa.models import (
    Membership,
    Patient,
)
from medspa.models.patients import PATIENT_EDITABLE_FIELDS
from medspa.validators import phone_clean, state_code


def _member_name(membership: Membership) -> str:
    return membership.user.get_full_name()


class PatientForm(forms.ModelForm):
    """Demographics, contact, clinical background, messaging consent and the providers who look after
    the patient. Archiving is a separate, confirmed action."""

    # Declared here: the default would query every membership at import time, outside any medspa's scope.
    assigned_providers = forms.ModelMultipleChoiceField(
        queryset=Membership.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Patient
        fields = [*PATIENT_EDITABLE_FIELDS, "assigned_providers"]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "medications": forms.Textarea(attrs={"rows": 2}),
            "medical_history": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, medspa, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_providers"].queryset = (
            Membership.objects.filter(medspa=medspa, is_provider=True, is_active=True)
            .select_related("user")
            .order_by("user__full_name")
        )
        self.fields["assigned_providers"].label_from_instance = _member_name

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if value > today:
            raise forms.ValidationError("The date of birth cannot be in the future.")
        if value.year < today.year - 120:
            raise forms.ValidationError("Check the year: that is more than 120 years ago.")
        return value

    def clean_state(self):
        return state_code(self.cleaned_data["state"], required=False)

    def clean_phone(self):
        return phone_clean(self.cleaned_data["phone"])


class YesNoField(forms.Field):
    """A yes/no answer written as text, as in a spreadsheet: yes/no, y/n, true/false, 1/0; empty is no."""

    YES = frozenset({"yes", "y", "true", "1"})
    NO = frozenset({"no", "n", "false", "0", ""})

    def to_python(self, value) -> bool:
        if isinstance(value, bool):
            return value
        text = (value or "").strip().lower()
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        raise forms.ValidationError("Write yes or no (or true/false, 1/0), or leave it empty for no.")


class PatientImportRowForm(PatientForm):
    """One row of a patient CSV import, checked by the rules of the patient form (dates of birth, state,
    phone) so that a typed-in patient and an imported one agree. Rows carry no assigned providers."""

    date_of_birth = forms.DateField(
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
        error_messages={"invalid": "Write the date as YYYY-MM-DD or MM/DD/YYYY, e.g. 1990-04-02."},
    )
    consent_email = YesNoField(required=False)
    consent_sms = YesNoField(required=False)
    assigned_providers = None

    class Meta(PatientForm.Meta):
        fields = [name for name in PatientForm.Meta.fields if name != "assigned_providers"]

    def __init__(self, *args, **kwargs):
        # PatientForm's own __init__ only sets up the assigned providers' choices, which a row does not have.
        super(PatientForm, self).__init__(*args, **kwargs)


class PatientImportUploadForm(forms.Form):
    """The CSV file of patients an admin uploads; its rows are checked into a preview before importing."""

    file = forms.FileField(
        label="CSV file",
        validators=[
            FileExtensionValidator(
                ["csv"],
                message="Upload a .csv file: in your spreadsheet app, save or export the sheet as CSV.",
            )
        ],
        error_messages={"empty": "The file is empty."},
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )
