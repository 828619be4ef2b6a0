"""The staff's decision on an answer that proposes a change to the patient's record."""

from django import forms

TEXT_MAX_LENGTH = 5000


class HistoryChangeAcceptForm(forms.Form):
    """What to write to the record: the patient's answer as it came, or the person's own wording (the
    current record and the answer combined, say)."""

    text = forms.CharField(
        label="What the record will say",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        strip=True,
        error_messages={"required": "Write what the record should say, or decline the answer instead."},
    )
    # The record's text the page showed beside the answer: if it changed meanwhile, the accept is refused
    # instead of overwriting what the person did not see.
    record_was = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
