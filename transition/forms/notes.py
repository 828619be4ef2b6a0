"""The notes a person gives when resolving an Acuity appointment, declining, cancelling or marking a step
done by hand, and Portrait's approval with an optional new date."""

from django import forms

from scheduling.forms.settings import DateInput

NOTE_WIDGET = forms.Textarea(attrs={"rows": 2})


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
