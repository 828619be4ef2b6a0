"""Forms of the transition pages: the medspa admin's request (and Portrait staff's schedule) with the same
terms, the OpenPhone account and acknowledgement, and the notes a person gives when resolving an Acuity
appointment, declining, cancelling or marking a step done by hand; the Legacy tools Portrait staff keep.

The rules are the services' (transition.services); the forms check what they can before the call, on the
field to fix, and the views show a refused call (TransitionRuleBroken) as a form error."""

import re

from django import forms

from medspa import clock
from medspa.models import Medspa
from medspa.models.tenancy import BusinessModel
from scheduling.forms.settings import DateInput
from transition import services
from transition.models import OPEN_STATUSES, OPENPHONE_ACKNOWLEDGEMENT, TARGET_MODELS, vendor_id

NOTE_WIDGET = forms.Textarea(attrs={"rows": 2})
COORDINATOR_CHOICES = [
    ("yes", "Keep the Patient Care Coordinator ($1,000 a month on your bill)"),
    ("no", "Let the coordinator go (OpenPhone, TigerConnect and Acuity end)"),
]


class TransitionTermsForm(forms.Form):
    """The terms of a transition: Launch or Flex (with its split), the first day on the new model, and
    whether the medspa keeps its coordinator."""

    target_model = forms.ChoiceField(
        label="New model",
        choices=TARGET_MODELS,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose Launch or Flex."},
    )
    flex_revenue_split_percent = forms.DecimalField(
        label="Flex revenue split (Portrait's share, %)",
        required=False,
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        help_text="Flex only: the share of revenue that goes to Portrait.",
    )
    effective_date = forms.DateField(
        label="Effective date",
        widget=DateInput(),
        help_text="The first day on the new model (and, if the coordinator goes, the first day without one).",
        error_messages={"required": "Choose the first day on the new model."},
    )
    keeps_coordinator = forms.ChoiceField(
        label="Patient Care Coordinator",
        choices=COORDINATOR_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether you keep the coordinator."},
    )
    note = forms.CharField(label="Note (optional)", required=False, max_length=500, widget=NOTE_WIDGET)

    def __init__(self, *args, medspa: Medspa | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.medspa = medspa

    def medspa_chosen(self) -> Medspa | None:
        return self.medspa

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("target_model") == BusinessModel.FLEX:
            if cleaned.get("flex_revenue_split_percent") is None and "flex_revenue_split_percent" not in (
                self.errors
            ):
                self.add_error(
                    "flex_revenue_split_percent", "Flex needs its revenue split (Portrait's share)."
                )
        else:
            cleaned["flex_revenue_split_percent"] = None
        medspa, day = self.medspa_chosen(), cleaned.get("effective_date")
        if medspa is not None and day is not None and day < clock.today(medspa):
            self.add_error(
                "effective_date",
                f"The effective date cannot be in the past (today is "
                f"{clock.today(medspa):%b %-d, %Y} in {medspa.name}'s time zone).",
            )
        return cleaned

    def terms(self) -> services.TransitionTerms:
        data = self.cleaned_data
        return services.TransitionTerms(
            target_model=data["target_model"],
            effective_date=data["effective_date"],
            keeps_coordinator=data["keeps_coordinator"] == "yes",
            flex_revenue_split_percent=data["flex_revenue_split_percent"],
            note=data["note"].strip(),
        )


def medspas_that_may_transition():
    """Legacy medspas without a transition under way (call with scopes disabled)."""
    return (
        Medspa.objects.filter(business_model=BusinessModel.LEGACY)
        .exclude(transitions__status__in=OPEN_STATUSES)
        .order_by("name")
    )


class StaffScheduleForm(TransitionTermsForm):
    """Portrait staff start a transition for a Legacy medspa (scheduled at once, with its plan)."""

    medspa = forms.ModelChoiceField(
        label="Medspa",
        queryset=Medspa.objects.none(),
        empty_label="Choose a Legacy medspa",
        help_text="Legacy medspas without a transition under way.",
        error_messages={
            "required": "Choose the medspa.",
            "invalid_choice": "Choose a Legacy medspa from the list.",
        },
    )

    field_order = [
        "medspa",
        "target_model",
        "flex_revenue_split_percent",
        "effective_date",
        "keeps_coordinator",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["medspa"].queryset = medspas_that_may_transition()
        self.fields["keeps_coordinator"].choices = [
            ("yes", "Keeps the Patient Care Coordinator ($1,000 a month on its bill)"),
            ("no", "Lets the coordinator go (OpenPhone, TigerConnect and Acuity end)"),
        ]
        self.fields["note"].label = "Note (optional, shown on the timeline)"

    def medspa_chosen(self) -> Medspa | None:
        return self.cleaned_data.get("medspa")


class CoordinatorLeavesForm(forms.Form):
    """A Launch or Flex medspa that kept its coordinator lets them go: the first day without them. The admin
    sees what happens on that day and confirms it (`confirmed`) before the request is sent."""

    effective_date = forms.DateField(
        label="First day without the coordinator",
        widget=DateInput(),
        help_text="The coordinator's access, the monthly fee, TigerConnect and the OpenPhone number end that "
        "day (your time zone).",
        error_messages={"required": "Choose the first day without the coordinator."},
    )
    note = forms.CharField(label="Note (optional)", required=False, max_length=500, widget=NOTE_WIDGET)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, medspa: Medspa | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.medspa = medspa

    def medspa_chosen(self) -> Medspa | None:
        return self.medspa

    def clean(self):
        cleaned = super().clean()
        medspa, day = self.medspa_chosen(), cleaned.get("effective_date")
        if medspa is not None and day is not None and day < clock.today(medspa):
            self.add_error(
                "effective_date",
                f"The first day without the coordinator cannot be in the past (today is "
                f"{clock.today(medspa):%b %-d, %Y} in {medspa.name}'s time zone).",
            )
        return cleaned

    def terms(self) -> services.TransitionTerms:
        return services.coordinator_leaves_terms(
            medspa=self.medspa_chosen(),
            effective_date=self.cleaned_data["effective_date"],
            note=self.cleaned_data["note"].strip(),
        )


def medspas_that_may_let_the_coordinator_go():
    """Launch and Flex medspas that keep a coordinator, without a transition under way (call with scopes
    disabled)."""
    return (
        Medspa.objects.exclude(business_model=BusinessModel.LEGACY)
        .filter(keeps_coordinator=True)
        .exclude(transitions__status__in=OPEN_STATUSES)
        .order_by("name")
    )


class StaffCoordinatorLeavesForm(CoordinatorLeavesForm):
    """Portrait staff schedule a medspa's coordinator to go (scheduled at once, with its plan)."""

    medspa = forms.ModelChoiceField(
        label="Medspa",
        queryset=Medspa.objects.none(),
        empty_label="Choose a medspa",
        help_text="Launch and Flex medspas that keep a coordinator, without a transition under way.",
        error_messages={
            "required": "Choose the medspa.",
            "invalid_choice": "Choose a medspa from the list (Launch or Flex, keeping a coordinator).",
        },
    )

    field_order = ["medspa", "effective_date", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["medspa"].queryset = medspas_that_may_let_the_coordinator_go()
        self.fields["effective_date"].help_text = "In the medspa's time zone."
        self.fields["note"].label = "Note (optional, shown on the timeline)"
        del self.fields["confirmed"]  # staff confirm in the browser's dialog

    def medspa_chosen(self) -> Medspa | None:
        return self.cleaned_data.get("medspa")


class OpenPhoneAccountForm(forms.Form):
    email = forms.EmailField(
        label="Your new OpenPhone account (email)",
        max_length=254,
        help_text="The email address of the separate OpenPhone account you opened: the number moves there.",
        error_messages={"required": "Enter the email address of your OpenPhone account."},
    )
    workspace = forms.CharField(
        label="OpenPhone workspace id (optional)",
        required=False,
        max_length=64,
        help_text="If OpenPhone gave you one; it helps their support team find the account.",
    )


class AcknowledgeForm(forms.Form):
    """The acknowledgement, word for word; once given, sending the form again only re-sends the link."""

    acknowledge = forms.BooleanField(
        label=OPENPHONE_ACKNOWLEDGEMENT,
        error_messages={"required": "Tick the box to acknowledge what does not move with the number."},
    )

    def __init__(self, *args, acknowledged: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if acknowledged:
            self.fields["acknowledge"].required = False


class NoteForm(forms.Form):
    """A note a person must give: how a conflict was resolved, why a request is declined, etc."""

    note = forms.CharField(label="Note", max_length=500, widget=NOTE_WIDGET)

    def __init__(self, *args, label: str = "Note", required_message: str = "Write a note.", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].label = label
        self.fields["note"].error_messages["required"] = required_message

    def clean_note(self) -> str:
        note = self.cleaned_data["note"].strip()
        if not note:
            raise forms.ValidationError(self.fields["note"].error_messages["required"])
        return note


def booking_resolve_form(booking, data=None) -> NoteForm:
    return NoteForm(
        data,
        prefix=f"booking-{booking.pk}",
        label="How it was resolved",
        required_message="Say how it was resolved (booked by hand, patient called…).",
    )


def step_done_form(step, data=None) -> NoteForm:
    return NoteForm(
        data,
        prefix=f"step-{step.pk}",
        label="What was done",
        required_message="Say what was done by hand, in a note.",
    )


def decline_form(data=None) -> NoteForm:
    return NoteForm(data, prefix="decline", label="Why (the medspa reads it)", required_message="Say why.")


def cancel_form(data=None) -> NoteForm:
    return NoteForm(
        data, prefix="cancel", label="Why it is cancelled", required_message="Say why it is cancelled."
    )


class ApproveForm(forms.Form):
    effective_date = forms.DateField(
        label="New effective date (optional)",
        required=False,
        widget=DateInput(),
        help_text="Leave empty to keep the date the medspa asked for.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="approve", **kwargs)


def _ids(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\s]+", text or "") if part.strip()]


class LegacyToolsForm(forms.Form):
    """What Portrait runs for a Legacy medspa, by the vendors' ids; lists are comma-separated."""

    openphone_number_id = forms.CharField(
        label="OpenPhone phone number id", required=False, max_length=64, validators=[vendor_id]
    )
    openphone_number = forms.CharField(
        label="OpenPhone number",
        required=False,
        max_length=30,
        help_text="As shown to people, e.g. (555) 010-0100.",
    )
    tigerconnect_group_id = forms.CharField(
        label="TigerConnect support channel (group) id", required=False, max_length=64, validators=[vendor_id]
    )
    tigerconnect_user_ids = forms.CharField(
        label="TigerConnect user ids",
        required=False,
        max_length=2000,
        help_text="The medspa's TigerConnect users, separated by commas.",
    )
    acuity_calendar_ids = forms.CharField(
        label="Acuity calendar ids",
        required=False,
        max_length=2000,
        help_text="Whole numbers separated by commas, e.g. 1234, 5678.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="tools", **kwargs)

    @classmethod
    def initial_of(cls, tools) -> dict:
        if tools is None:
            return {}
        return {
            "openphone_number_id": tools.openphone_number_id,
            "openphone_number": tools.openphone_number,
            "tigerconnect_group_id": tools.tigerconnect_group_id,
            "tigerconnect_user_ids": ", ".join(tools.tigerconnect_user_ids),
            "acuity_calendar_ids": ", ".join(str(value) for value in tools.acuity_calendar_ids),
        }

    def clean_tigerconnect_user_ids(self) -> list[str]:
        ids = _ids(self.cleaned_data["tigerconnect_user_ids"])
        too_long = [value for value in ids if len(value) > 64]
        if too_long:
            raise forms.ValidationError(
                f"“{too_long[0][:20]}…” is too long for a TigerConnect id (64 at most)."
            )
        for value in ids:
            vendor_id(value)
        return list(dict.fromkeys(ids))

    def clean_acuity_calendar_ids(self) -> list[int]:
        values = []
        for value in _ids(self.cleaned_data["acuity_calendar_ids"]):
            if not re.fullmatch(r"[0-9]{1,10}", value) or int(value) == 0 or int(value) > 2147483647:
                raise forms.ValidationError(
                    f"“{value[:20]}” is not an Acuity calendar id: enter whole numbers separated by commas."
                )
            values.append(int(value))
        return list(dict.fromkeys(values))
