"""Forms of the calendar's quick-booking panel: the booking (a patient on file or a new one, the type, the
provider or whoever is free, one of the day's open times) and the new patient's few details, validated as
the dashboard's "New patient" page validates them.

Times travel as the location's wall clock in ISO form ("2026-12-08T10:30"), or with their offset
("2026-11-01T01:30-07:00") when they come from the list of open times, so that a time the clocks read
twice is still one moment."""

import uuid
from datetime import date, datetime

from django import forms

from medspa.forms.patients import PatientForm
from medspa.models import Membership, Patient
from medspa.models.patients import PatientStatus
from scheduling.forms.settings import DateInput, provider_label
from scheduling.models import AppointmentType, Location, Resource

NEW_PATIENT_FIELDS = [
    "first_name",
    "last_name",
    "date_of_birth",
    "phone",
    "email",
    "consent_email",
    "consent_sms",
]


def local_start(value: str, location: Location) -> datetime | None:
    """The moment a wall-clock ISO time (or one with its offset) names at `location`; None when unreadable."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=location.tz)
    return moment.astimezone(location.tz)


class NewPatientForm(PatientForm):
    """A first-time patient's name, date of birth and contact, checked by the "New patient" page's rules."""

    assigned_providers = None  # the profile's business, not the front desk's

    class Meta(PatientForm.Meta):
        fields = NEW_PATIENT_FIELDS

    def __init__(self, *args, **kwargs):
        kwargs.pop("medspa")
        forms.ModelForm.__init__(self, *args, **kwargs)
        self.fields["consent_email"].label = "Email them about their appointments"
        self.fields["consent_sms"].label = "Text them about their appointments"

    @property
    def started(self) -> bool:
        """Whether anything was typed for a new patient: the booking is then for a new record."""
        return any(
            (self.data.get(self.add_prefix(name)) or "").strip() for name in ("first_name", "last_name")
        )


class QuickBookForm(forms.Form):
    """A booking from the calendar: who (`patient`, or a new patient in NewPatientForm), what, with whom and
    when. `use_patient` is the button that books a namesake on file instead of a new record; `add_anyway`
    says the new patient is a different person from the namesake."""

    patient = forms.ModelChoiceField(
        queryset=Patient.objects.none(),
        required=False,
        widget=forms.HiddenInput(attrs={"data-quick-book-patient": ""}),
    )
    use_patient = forms.ModelChoiceField(queryset=Patient.objects.none(), required=False)
    add_anyway = forms.BooleanField(required=False, label="They are a different person: add a new record")
    location = forms.ModelChoiceField(queryset=Location.objects.none(), empty_label=None)
    # The room of the column clicked in the Rooms view: the booking is made in it (or refused).
    resource = forms.ModelChoiceField(
        queryset=Resource.objects.none(), required=False, widget=forms.HiddenInput
    )
    appointment_type = forms.ModelChoiceField(
        queryset=AppointmentType.objects.none(), label="Service", empty_label=None
    )
    provider = forms.ModelChoiceField(
        queryset=Membership.objects.none(), required=False, empty_label="Whoever is free"
    )
    date = forms.DateField(widget=DateInput())
    start = forms.CharField(required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, medspa, location: Location, types, providers, **kwargs):
        super().__init__(*args, **kwargs)
        patients = Patient.objects.filter(medspa=medspa).exclude(status=PatientStatus.ARCHIVED)
        self.fields["patient"].queryset = patients
        self.fields["use_patient"].queryset = patients
        self.fields["location"].queryset = Location.objects.filter(medspa=medspa, is_active=True).order_by(
            "name"
        )
        self.fields["appointment_type"].queryset = types
        self.fields["appointment_type"].label_from_instance = lambda appointment_type: (
            f"{appointment_type.name} ({appointment_type.duration_minutes} min)"
        )
        self.fields["resource"].queryset = Resource.objects.filter(
            location=location, kind=Resource.Kind.ROOM, is_active=True
        )
        self.fields["provider"].queryset = providers
        self.fields["provider"].label_from_instance = provider_label
        self.place = location
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def clean(self):
        cleaned = super().clean()
        if "patient" in self.errors or "use_patient" in self.errors:  # hidden, or a button: say it above
            self.add_error(None, "That patient cannot be booked here: find them again.")
        if "resource" in self.errors:  # hidden: say it above
            self.add_error(None, "That room takes no bookings here: click a time in its column again.")
        if cleaned.get("use_patient") is not None:
            cleaned["patient"] = cleaned["use_patient"]
        value = cleaned.get("start") or ""
        cleaned["start"] = local_start(value, self.place) if value else None
        if value and cleaned["start"] is None:
            self.add_error("start", "Choose one of the open times.")
        elif not value:
            self.add_error("start", "Choose a time.")
        day: date | None = cleaned.get("date")
        if cleaned.get("start") is not None and day is not None and cleaned["start"].date() != day:
            self.add_error("start", "Choose one of the open times of the day shown.")
        return cleaned
