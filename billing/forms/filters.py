"""The filters of Portrait's bill list (staff): a month and a medspa."""

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

    def __init__(self, *args, medspas: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["medspa"].choices = [("", "Every medspa"), *medspas]
