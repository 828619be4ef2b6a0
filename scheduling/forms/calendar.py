"""Forms of the calendars: booking, rescheduling and cancelling an appointment. Dates and times are entered as
wall-clock times in the location's time zone and made aware here (zoneinfo), before the booking services
see them."""

import uuid
from datetime import date, datetime, time

from django import forms

from medspa.models import Membership, Patient
from scheduling.forms.settings import DateInput, TimeInput, provider_label
from scheduling.models import Appointment, AppointmentType, Location
from scheduling.selectors.search import patients_bookable


def aware(day: date, at: time, location: Location) -> datetime:
    """The moment `day` `at` o'clock on the wall clock at `location`."""
    return datetime.combine(day, at, tzinfo=location.tz)


class AppointmentBookForm(forms.Form):
    """The admin books a patient into an appointment type with a provider (or whoever is free)."""

    patient = forms.ModelChoiceField(queryset=Patient.objects.none())
    appointment_type = forms.ModelChoiceField(queryset=AppointmentType.objects.none())
    provider = forms.ModelChoiceField(
        queryset=Membership.objects.none(), required=False, empty_label="Any provider who is free"
    )
    date = forms.DateField(widget=DateInput())
    time = forms.TimeField(widget=TimeInput(attrs={"step": 300}), help_text="In the location's time zone.")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, medspa, **kwargs):
        super().__init__(*args, **kwargs)
        self.medspa = medspa
        self.fields["patient"].queryset = patients_bookable(medspa).order_by("last_name", "first_name", "pk")
        self.fields["patient"].label_from_instance = lambda patient: (
            f"{patient.last_name}, {patient.first_name} ({patient.date_of_birth:%m/%d/%Y})"
        )
        self.fields["appointment_type"].queryset = (
            AppointmentType.objects.filter(medspa=medspa, is_active=True, location__is_active=True)
            .select_related("location")
            .order_by("location__name", "name")
        )
        self.fields["appointment_type"].label_from_instance = lambda appointment_type: (
            f"{appointment_type.name} · {appointment_type.location.name} "
            f"({appointment_type.duration_minutes} min)"
        )
        self.fields["provider"].queryset = (
            Membership.objects.filter(medspa=medspa, is_provider=True, is_active=True)
            .select_related("user")
            .order_by("user__full_name", "user__email")
        )
        self.fields["provider"].label_from_instance = provider_label
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def clean(self):
        cleaned = super().clean()
        appointment_type, day, at = cleaned.get("appointment_type"), cleaned.get("date"), cleaned.get("time")
        if appointment_type is not None and day is not None and at is not None:
            cleaned["start"] = aware(day, at, appointment_type.location)
        return cleaned


class AppointmentRescheduleForm(forms.Form):
    """Another time (and perhaps another provider who offers the type) for an appointment."""

    date = forms.DateField(widget=DateInput())
    time = forms.TimeField(widget=TimeInput(attrs={"step": 300}))
    provider = forms.ModelChoiceField(queryset=Membership.objects.none())

    def __init__(self, *args, appointment: Appointment, **kwargs):
        super().__init__(*args, **kwargs)
        self.appointment = appointment
        location = appointment.location
        self.fields["time"].help_text = f"In {location.name}'s time zone, {location.time_zone}."
        self.fields["provider"].queryset = (
            appointment.appointment_type.providers.filter(is_active=True)
            .select_related("user")
            .order_by("user__full_name")
        )
        self.fields["provider"].label_from_instance = provider_label
        if not self.is_bound:
            local = appointment.local_start
            self.initial.update(date=local.date(), time=local.time(), provider=appointment.provider_id)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date") is not None and cleaned.get("time") is not None:
            cleaned["start"] = aware(cleaned["date"], cleaned["time"], self.appointment.location)
        return cleaned


class AppointmentCancelForm(forms.Form):
    """Cancelling needs a reason, kept with the appointment."""

    reason = forms.CharField(
        max_length=300, widget=forms.Textarea(attrs={"rows": 2}), help_text="Kept with the appointment."
    )
