"""The filters of Portrait's bill list (staff): a month, a medspa and the payment state."""

from django import forms


class BillFilterForm(forms.Form):
    month = forms.DateField(
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month", "placeholder": "YYYY-MM"}, format="%Y-%m"),
        help_text="YYYY-MM",
        error_messages={"invalid": "Enter a month as YYYY-MM, e.g. 2026-03."},
    )
    medspa = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    payment = forms.ChoiceField(
        required=False,
        choices=[("", "Paid or not"), ("past_due", "Past due"), ("unpaid", "Not paid yet")],
    )

    def __init__(self, *args, medspas: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["medspa"].choices = [("", "Every medspa"), *medspas]
