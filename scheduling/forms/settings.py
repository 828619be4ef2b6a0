"""Forms of the Scheduling tab's settings: rooms and devices, appointment types, weekly hours, date overrides
and closures. Querysets are set per medspa in __init__ (a class-level default would query outside any
medspa's scope at import time). The rules themselves live in scheduling.services.settings; the forms check
them too, so that each error shows beside its field."""

import re
from decimal import Decimal

from django import forms
from django.db.models import Q, QuerySet

from medspa import clock
from medspa.models import Membership
from scheduling.models import AppointmentType, AvailabilityOverride, Location, Resource
from scheduling.models.availability import Weekday
from scheduling.services import settings as settings_services
from services_catalog.models import IntakeForm, Service
from services_catalog.selectors.catalog import services_of, services_selectable
from services_catalog.selectors.intake_forms import intake_forms_for

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs={"step": 300, **(attrs or {})}, format="%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def provider_label(membership: Membership) -> str:
    return membership.user.get_full_name()


def providers_of(medspa) -> QuerySet[Membership]:
    """The medspa's active providers, by name."""
    return (
        Membership.objects.filter(medspa=medspa, is_provider=True, is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )


class MedspaLocationForm:
    """A form of one medspa's with a `location` field: its choices are the medspa's locations, by name."""

    def __init__(self, *args, medspa, **kwargs):
        super().__init__(*args, **kwargs)
        self.medspa = medspa
        self.fields["location"].queryset = Location.objects.filter(medspa=medspa).order_by("name")


class ResourceForm(MedspaLocationForm, forms.ModelForm):
    """A treatment room or device at one location."""

    location = forms.ModelChoiceField(queryset=Location.objects.none())

    class Meta:
        model = Resource
        fields = ["location", "name", "kind", "is_active"]
        labels = {"is_active": "Active: can be booked"}

    def clean(self):
        cleaned = super().clean()
        name, location = (cleaned.get("name") or "").strip(), cleaned.get("location")
        if name and location is not None:
            taken = Resource.objects.filter(location=location, name__iexact=name).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("name", f"{location.name} already has a room or device with this name.")
        return cleaned

    def validate_constraints(self):  # clean() says it better, beside the field
        return None


class AppointmentTypeForm(MedspaLocationForm, forms.ModelForm):
    """What a patient can book at a location, for how long, with whom, in which room, and the rules."""

    location = forms.ModelChoiceField(queryset=Location.objects.none())
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(), help_text="From your active services (Services / Products tab)."
    )
    name = forms.CharField(
        max_length=200,
        required=False,
        help_text="Shown on the calendar and the booking page; the service's name when left blank.",
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        min_value=5,
        max_value=600,
        required=False,
        help_text="The service's duration when left blank.",
    )
    price = forms.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="The service's price when left blank.",
    )
    providers = forms.ModelMultipleChoiceField(
        queryset=Membership.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Providers who offer it; they must work at the location.",
    )
    rooms = forms.ModelMultipleChoiceField(
        queryset=Resource.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Room or device needed",
        help_text="If you choose any, each appointment takes one of them that is free.",
    )
    intake_forms = forms.ModelMultipleChoiceField(
        queryset=IntakeForm.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Forms the patient completes before the visit",
        help_text="Sent with the paperwork link: your own forms and Portrait's (Services / Products → "
        "Intake forms).",
    )
    late_cancel_fee = forms.DecimalField(
        label="Late-cancellation fee ($)",
        max_digits=10,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="Charged to the card on file for cancelling or rescheduling inside the cancellation "
        "window. "
        "None when left blank.",
    )
    no_show_fee = forms.DecimalField(
        label="No-show fee ($)",
        max_digits=10,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="Charged to the card on file for a missed appointment. None when left blank.",
    )
    online_bookable = forms.TypedChoiceField(
        label="Who books it",
        choices=[(True, "Patients online, and staff"), (False, "Staff only")],
        coerce=lambda value: value in (True, "True"),
    )
    color = forms.CharField(
        label="Colour",
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
        initial=AppointmentType._meta.get_field("color").default,
        help_text="Marks it on the calendar.",
    )

    class Meta:
        model = AppointmentType
        fields = settings_services.APPOINTMENT_TYPE_EDITABLE
        labels = {
            "buffer_before_minutes": "Buffer before (minutes)",
            "buffer_after_minutes": "Buffer after (minutes)",
            "cancellation_window_hours": "Cancellation window (hours)",
            "deposit_amount": "Deposit ($)",
            "deposit_percent": "Or a deposit of (% of the price)",
        }
        help_texts = {
            "cancellation_window_hours": "Patients may cancel or reschedule online until this many hours "
            "before; inside it, the late-cancellation fee applies.",
            "deposit_amount": "Charged to the patient's card when they book online, toward the visit. Cards "
            "are taken once your Stripe account is connected (Account settings → Payments).",
        }

    def __init__(self, *args, medspa, **kwargs):
        super().__init__(*args, medspa=medspa, **kwargs)
        services = services_selectable(medspa)
        if self.instance.pk:  # keep the current service choosable even if it was deactivated since
            services = services_of(medspa).filter(Q(is_active=True) | Q(pk=self.instance.service_id))
        self.fields["service"].queryset = services
        self.fields["service"].label_from_instance = lambda service: service.display_name
        self.fields["providers"].queryset = providers_of(medspa)
        self.fields["providers"].label_from_instance = provider_label
        self.fields["rooms"].queryset = (
            Resource.objects.filter(medspa=medspa, is_active=True)
            .select_related("location")
            .order_by("location__name", "name")
        )
        self.fields["rooms"].label_from_instance = lambda room: f"{room.name} ({room.location.name})"
        self.fields["intake_forms"].queryset = intake_forms_for(medspa)
        if not self.instance.pk:
            self.initial.setdefault("online_bookable", True)

    def clean_color(self):
        value = self.cleaned_data["color"].strip()
        if not HEX_COLOUR.match(value):
            raise forms.ValidationError("Use a colour such as #7a4e8a.")
        return value.lower()

    def clean(self):
        cleaned = super().clean()
        location, service = cleaned.get("location"), cleaned.get("service")
        if service is not None:
            if not (cleaned.get("name") or "").strip():
                cleaned["name"] = service.display_name[:200]
            if cleaned.get("duration_minutes") is None and "duration_minutes" not in self.errors:
                cleaned["duration_minutes"] = service.effective_duration or None
                if cleaned["duration_minutes"] is None:
                    self.add_error("duration_minutes", "This service has no duration: give one.")
            if cleaned.get("price") is None and "price" not in self.errors:
                cleaned["price"] = service.price
        for fee in ("late_cancel_fee", "no_show_fee"):
            if cleaned.get(fee) is None and fee not in self.errors:
                cleaned[fee] = Decimal("0")
        if cleaned.get("deposit_amount") is not None and cleaned.get("deposit_percent") is not None:
            self.add_error("deposit_percent", "Give the deposit as an amount or as a percent, not both.")
        price = cleaned.get("price")
        if (
            cleaned.get("deposit_amount") is not None
            and price is not None
            and cleaned["deposit_amount"] > price
        ):
            self.add_error("deposit_amount", "The deposit cannot be more than the price.")
        if location is None:
            return cleaned
        name = (cleaned.get("name") or "").strip()
        if name and (
            AppointmentType.objects.filter(location=location, name__iexact=name)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("name", f"{location.name} already has an appointment type with this name.")
        working_here = set(location.providers.values_list("pk", flat=True))
        strangers = [p for p in cleaned.get("providers") or [] if p.pk not in working_here]
        if strangers:
            names = ", ".join(provider_label(p) for p in strangers)
            self.add_error(
                "providers",
                f"{names} {'does' if len(strangers) == 1 else 'do'} not work at {location.name}: add them on "
                "the location's page first.",
            )
        if any(room.location_id != location.pk for room in cleaned.get("rooms") or []):
            self.add_error("rooms", f"Choose rooms and devices at {location.name}.")
        return cleaned

    def validate_constraints(self):  # clean() and clean_color() say it better, beside the fields
        return None


class AvailabilityRuleForm(forms.Form):
    """One interval of weekly hours, added to one or more weekdays at once."""

    location = forms.ModelChoiceField(queryset=Location.objects.none())
    weekdays = forms.TypedMultipleChoiceField(
        choices=Weekday.choices, coerce=int, widget=forms.CheckboxSelectMultiple, label="Days"
    )
    start_time = forms.TimeField(label="From", widget=TimeInput())
    end_time = forms.TimeField(label="Until", widget=TimeInput())

    def __init__(self, *args, provider: Membership, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider = provider
        self.fields["location"].queryset = locations
        if not self.is_bound and len(locations) == 1:
            self.initial.setdefault("location", locations[0].pk)

    def clean(self):
        cleaned = super().clean()
        location, start, end = cleaned.get("location"), cleaned.get("start_time"), cleaned.get("end_time")
        if start is None or end is None:
            return cleaned
        if end <= start:
            self.add_error("end_time", "The interval must end after it starts.")
            return cleaned
        if location is None:
            return cleaned
        for weekday in cleaned.get("weekdays") or []:
            clash = settings_services.rule_overlaps(
                provider=self.provider, location=location, weekday=weekday, start_time=start, end_time=end
            )
            if clash is not None:
                self.add_error(
                    "weekdays",
                    f"It overlaps {clash.get_weekday_display()} {clash.start_time:%H:%M}–"
                    f"{clash.end_time:%H:%M} at {location.name}.",
                )
        return cleaned


class AvailabilityOverrideForm(forms.Form):
    """A date that differs from the weekly hours: extra hours, or time off."""

    kind = forms.ChoiceField(
        choices=AvailabilityOverride.Kind.choices, label="What", initial=AvailabilityOverride.Kind.OFF
    )
    date = forms.DateField(widget=DateInput())
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(),
        required=False,
        empty_label="All locations (time off only)",
        help_text="Extra hours need a location.",
    )
    start_time = forms.TimeField(label="From", required=False, widget=TimeInput())
    end_time = forms.TimeField(
        label="Until", required=False, widget=TimeInput(), help_text="Time off without times is all day."
    )
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, medspa, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.medspa = medspa
        self.fields["location"].queryset = locations

    def clean(self):
        cleaned = super().clean()
        kind, location = cleaned.get("kind"), cleaned.get("location")
        start, end, day = cleaned.get("start_time"), cleaned.get("end_time"), cleaned.get("date")
        if kind == AvailabilityOverride.Kind.EXTRA:
            if location is None and "location" not in self.errors:
                self.add_error("location", "Extra hours need a location.")
            if (start is None or end is None) and not {"start_time", "end_time"} & set(self.errors):
                self.add_error("start_time", "Extra hours need a start and an end time.")
        elif (start is None) != (end is None) and not {"start_time", "end_time"} & set(self.errors):
            self.add_error("end_time", "Give both times, or neither for the whole day.")
        if start is not None and end is not None and end <= start:
            self.add_error("end_time", "The end must be after the start.")
        if day is not None and day < clock.today(self.medspa, location=location):
            self.add_error("date", "Choose today or a later date.")
        return cleaned


class ClosureForm(MedspaLocationForm, forms.Form):
    """A day the medspa, or one location, is closed."""

    date = forms.DateField(widget=DateInput())
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, empty_label="Every location"
    )
    reason = forms.CharField(max_length=200, help_text="For the team, e.g. Thanksgiving.")

    def clean(self):
        cleaned = super().clean()
        day = cleaned.get("date")
        if day is not None and day < clock.today(self.medspa, location=cleaned.get("location")):
            self.add_error("date", "Choose today or a later date.")
        return cleaned
