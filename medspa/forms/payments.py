"""Forms of Account settings → Payments: the kind of Stripe account to connect, and the card saved by
Stripe's card field (the SetupIntent's id only: the card itself never reaches the product)."""

from django import forms

from medspa.models.payments import StripeAccount


class ConnectForm(forms.Form):
    account_type = forms.ChoiceField(
        label="Kind of Stripe account", choices=StripeAccount.Type.choices, widget=forms.RadioSelect
    )


class CardSaveForm(forms.Form):
    setup_intent = forms.RegexField(
        regex=r"^seti_[A-Za-z0-9_]+$",
        max_length=100,
        error_messages={"required": "Enter the card in the card field.", "invalid": "Enter the card again."},
    )
