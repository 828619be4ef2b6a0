"""Forms of the public booking pages. Everything a visitor posts is checked here for shape; whether the time
can really be booked is for scheduling.services.booking to say (it re-checks every rule)."""

import uuid
from datetime import datetime

from django import forms
from django.utils import timezone

from medspa.http import ascii_int
from medspa.models import Membership
from medspa.validators import phone_clean
from scheduling.models import AppointmentType
from scheduling.selectors.booking_policy import booking_policy_digest, booking_policy_enforced

ANY_PROVIDER = "any"
START_HELP = "Give the time with its time zone (for example 2026-03-10T10:00:00-07:00)."


def parse_aware_datetime(value: str) -> datetime | None:
    """An ISO 8601 date and time with its UTC offset, or None for anything else (naive times included)."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        return None
    return None if timezone.is_naive(parsed) else parsed


def _start_clean(value: str) -> datetime:
    parsed = parse_aware_datetime(value or "")
    if parsed is None:
        raise forms.ValidationError(f"That time could not be read. {START_HELP}")
    return parsed


def _date_of_birth_clean(value, today):
    if value > today:
        raise forms.ValidationError("The date of birth cannot be in the future.")
    if value.year < today.year - 120:
        raise forms.ValidationError("Check the year: that is more than 120 years ago.")
    return value


class BookingDetailsForm(forms.Form):
    """The chosen slot (service, provider or "anyone", start) and the patient's details. The idempotency key
    is made when the form is first shown, so that a double-click or a retry books once."""

    appointment_type = forms.ModelChoiceField(
        queryset=AppointmentType.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "That service cannot be booked online: please choose another."},
    )
    provider = forms.CharField(max_length=20, widget=forms.HiddenInput)
    start = forms.CharField(max_length=40, widget=forms.HiddenInput)
    idempotency_key = forms.CharField(max_length=36, widget=forms.HiddenInput)
    first_name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text="With the area code, e.g. (619) 555-0100; outside the US, + and the country code first.",
    )
    date_of_birth = forms.DateField(widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}))
    consent_email = forms.BooleanField(
        required=False, label="Email me about my appointments (confirmations, reminders, care instructions)."
    )
    consent_sms = forms.BooleanField(
        required=False, label="Text me about my appointments. Message and data rates may apply."
    )
    accept_policy = forms.BooleanField(required=False, label="I accept the booking policy")
    # Stripe's card field fills it (templates/payments/_card_field.html): the confirmed SetupIntent's id.
    setup_intent = forms.CharField(max_length=64, required=False)
    policy_digest = forms.CharField(max_length=16, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, location, **kwargs):
        super().__init__(*args, **kwargs)
        self.location = location
        self.fields["appointment_type"].queryset = bookable_types(location)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", str(uuid.uuid4()))

    def clean_idempotency_key(self) -> str:
        value = self.cleaned_data["idempotency_key"].strip().lower()
        try:
            parsed = uuid.UUID(value)
        except ValueError:
            parsed = None
        if parsed is None or parsed.version != 4 or str(parsed) != value:
            raise forms.ValidationError("This form has expired: please choose your time again.")
        return value

    def clean_start(self) -> datetime:
        return _start_clean(self.cleaned_data["start"])

    def clean_first_name(self) -> str:
        return self.cleaned_data["first_name"].strip()

    def clean_last_name(self) -> str:
        return self.cleaned_data["last_name"].strip()

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip()

    def clean_phone(self) -> str:
        return phone_clean(self.cleaned_data["phone"], required=True)

    def clean_date_of_birth(self):
        # The clinic's today: a public page has no medspa signed in, so no zone is active.
        return _date_of_birth_clean(
            self.cleaned_data["date_of_birth"], timezone.localdate(timezone=self.location.tz)
        )

    def clean(self):
        cleaned = super().clean()
        appointment_type, provider = cleaned.get("appointment_type"), cleaned.get("provider")
        if appointment_type is not None and provider is not None:
            if provider == ANY_PROVIDER:
                cleaned["provider"] = None
            else:
                found = None
                provider_id = ascii_int(provider)
                if provider_id is not None:
                    found = bookable_providers(appointment_type).filter(pk=provider_id).first()
                if found is None:
                    self.add_error("provider", "That provider cannot be booked for this service.")
                else:
                    cleaned["provider"] = found
        cleaned["policy_enforced"] = appointment_type is not None and booking_policy_enforced(
            appointment_type
        )
        if cleaned["policy_enforced"]:
            if not cleaned.get("accept_policy"):
                self.add_error(
                    "accept_policy", "Please read the booking policy and tick “I accept the booking policy”."
                )
            elif cleaned.get("policy_digest") != booking_policy_digest(appointment_type):
                self.add_error(
                    "accept_policy",
                    "The booking policy of this service changed while you were booking: "
                    "please read it again.",
                )
            if not (cleaned.get("setup_intent") or "").strip():
                self.add_error(None, "Please enter your card: this service is booked with a card on file.")
        return cleaned

    def slot_errors(self) -> list[str]:
        """Errors of the hidden fields (the chosen slot), to show above the form."""
        return [error for field in self.hidden_fields() for error in field.errors]


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=300, label="Reason for cancelling", widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_reason(self) -> str:
        value = self.cleaned_data["reason"].strip()
        if not value:
            raise forms.ValidationError("Please tell us why you are cancelling.")
        return value


class RescheduleForm(forms.Form):
    start = forms.CharField(max_length=40)

    def clean_start(self) -> datetime:
        return _start_clean(self.cleaned_data["start"])


def bookable_types(location):
    """The active appointment types of `location` that patients may book online."""
    return AppointmentType.objects.filter(location=location, is_active=True, online_bookable=True).order_by(
        "name"
    )


def bookable_providers(appointment_type: AppointmentType):
    """The active providers who offer `appointment_type` at its location."""
    return (
        Membership.objects.filter(
            appointment_types=appointment_type, is_active=True, locations=appointment_type.location
        )
        .select_related("user")
        .order_by("user__full_name", "pk")
    )
