"""The terms of a transition: the medspa admin's request and Portrait staff's schedule (Launch or Flex, the
effective date, the coordinator), and letting a Launch or Flex medspa's coordinator go.

The rules are the services' (transition.services); the forms check what they can before the call, on the
field to fix, and the views show a refused call (TransitionRuleBroken) as a form error."""

from django import forms

from medspa import clock
from medspa.models import Medspa
from medspa.models.tenancy import BusinessModel
from scheduling.forms.settings import DateInput
from transition.forms.notes import NOTE_WIDGET
from transition.models.transitions import TARGET_MODELS
from transition.selectors.transitions import (
    medspas_that_may_let_the_coordinator_go,
    medspas_that_may_transition,
)
from transition.services import approval

COORDINATOR_CHOICES = [
    ("yes", "Keep the Patient Care Coordinator ($1,000 a month on your bill)"),
    ("no", "Let the coordinator go (OpenPhone, TigerConnect and Acuity end)"),
]


def medspa_field(*, empty_label: str, help_text: str, invalid_choice: str) -> forms.ModelChoiceField:
    """The medspa Portrait staff choose on their forms (its queryset is set by the form)."""
    return forms.ModelChoiceField(
        label="Medspa",
        queryset=Medspa.objects.none(),
        empty_label=empty_label,
        help_text=help_text,
        error_messages={"required": "Choose the medspa.", "invalid_choice": invalid_choice},
    )


def effective_date_check(form, cleaned: dict, what: str) -> None:
    """Puts an error on the form's effective date when it is before today in the chosen medspa's time zone."""
    medspa, day = form.medspa_chosen(), cleaned.get("effective_date")
    if medspa is not None and day is not None and day < clock.today(medspa):
        form.add_error(
            "effective_date",
            f"{what} cannot be in the past (today is "
            f"{clock.today(medspa):%b %-d, %Y} in {medspa.name}'s time zone).",
        )


class ForMedspa(forms.Form):
    """A form about one medspa: the admin's own, given by the view; staff forms choose it in a field."""

    def __init__(self, *args, medspa: Medspa | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.medspa = medspa

    def medspa_chosen(self) -> Medspa | None:
        return self.medspa


class TransitionTermsForm(ForMedspa):
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
        effective_date_check(self, cleaned, "The effective date")
        return cleaned

    def terms(self) -> approval.TransitionTerms:
        data = self.cleaned_data
        return approval.TransitionTerms(
            target_model=data["target_model"],
            effective_date=data["effective_date"],
            keeps_coordinator=data["keeps_coordinator"] == "yes",
            flex_revenue_split_percent=data["flex_revenue_split_percent"],
            note=data["note"].strip(),
        )


class StaffScheduleForm(TransitionTermsForm):
    """Portrait staff start a transition for a Legacy medspa (scheduled at once, with its plan)."""

    medspa = medspa_field(
        empty_label="Choose a Legacy medspa",
        help_text="Legacy medspas without a transition under way.",
        invalid_choice="Choose a Legacy medspa from the list.",
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


class CoordinatorLeavesForm(ForMedspa):
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

    def clean(self):
        cleaned = super().clean()
        effective_date_check(self, cleaned, "The first day without the coordinator")
        return cleaned

    def terms(self) -> approval.TransitionTerms:
        return approval.coordinator_leaves_terms(
            medspa=self.medspa_chosen(),
            effective_date=self.cleaned_data["effective_date"],
            note=self.cleaned_data["note"].strip(),
        )


class StaffCoordinatorLeavesForm(CoordinatorLeavesForm):
    """Portrait staff schedule a medspa's coordinator to go (scheduled at once, with its plan)."""

    medspa = medspa_field(
        empty_label="Choose a medspa",
        help_text="Launch and Flex medspas that keep a coordinator, without a transition under way.",
        invalid_choice="Choose a medspa from the list (Launch or Flex, keeping a coordinator).",
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
