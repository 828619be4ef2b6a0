"""Forms of the sale pages: starting a retail cart, changing its lines, settling it (the shared ChargeForm
and where the receipt goes) and refunding a payment."""

import uuid
from decimal import Decimal

from django import forms

from medspa.money import money_format
from providers.forms.payment import ChargeForm
from providers.models import PaymentMethod
from providers.services.checkout import MAX_QUANTITY

QUANTITY_WIDGET = forms.NumberInput(attrs={"min": "0", "max": str(MAX_QUANTITY), "step": "1"})


class RetailStartForm(forms.Form):
    """Where the sale happens and who buys: one of the provider's patients (chosen from the profile) or a
    walk-in buyer, whose email (optional) gets the receipt."""

    location = forms.ModelChoiceField(queryset=None, empty_label=None)
    patient = forms.ModelChoiceField(queryset=None, required=False, widget=forms.HiddenInput)
    customer_email = forms.EmailField(
        required=False,
        max_length=254,
        label="Customer's email",
        help_text="Optional: the receipt is emailed here. A patient's own address is used when empty.",
    )

    def __init__(self, *args, locations, patients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations
        self.fields["patient"].queryset = patients


class CartAddForm(forms.Form):
    """A product added to the cart, `quantity` more of it."""

    product = forms.ModelChoiceField(queryset=None, label="Product", empty_label="Choose a product")
    quantity = forms.IntegerField(
        min_value=1, max_value=int(MAX_QUANTITY), initial=1, widget=QUANTITY_WIDGET, label="Quantity"
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, prefix="add", **kwargs)
        self.fields["product"].queryset = products
        self.fields["product"].label_from_instance = lambda p: f"{p.name} · {money_format(p.price)}"


class CartLineForm(forms.Form):
    """A line's new quantity (0, or the Remove button, takes it out)."""

    product = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)
    quantity = forms.IntegerField(
        min_value=0, max_value=int(MAX_QUANTITY), required=False, widget=QUANTITY_WIDGET, label="Quantity"
    )
    remove = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("remove") and cleaned.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", "Enter a quantity (0 takes the product out of the cart).")
        return cleaned

    def new_quantity(self) -> Decimal:
        if self.cleaned_data.get("remove"):
            return Decimal("0")
        return Decimal(self.cleaned_data["quantity"])


class CheckoutForm(ChargeForm):
    """The charge (discount, tip, split payment) and the address the receipt goes to."""

    receipt_email = forms.EmailField(
        required=False,
        max_length=254,
        label="Email the receipt to",
        help_text="Leave empty for no emailed receipt.",
    )


class RefundForm(forms.Form):
    """Money given back on one payment of the sale. The key is made when the form is shown, so a second
    submission of the same form (a double click, a reload) makes no second refund."""

    payment = forms.ModelChoiceField(
        queryset=None,
        empty_label=None,
        label="Refund to",
        error_messages={"invalid_choice": "Nothing is left to refund of that payment: choose another."},
    )
    amount = forms.DecimalField(
        label="Amount ($)",
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
    )
    reason = forms.CharField(
        max_length=300,
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the money is refunded."},
    )
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, payments, **kwargs):
        """`payments`: the sale's payments that still have something to refund, each annotated with
        `left` (what is left to refund)."""
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", str(uuid.uuid4()))
        field = self.fields["payment"]
        field.queryset = payments
        field.label_from_instance = _payment_label


def _payment_label(payment) -> str:
    reference = (
        f" ····{payment.reference}" if payment.method == PaymentMethod.CARD and payment.reference else ""
    )
    if payment.card_payment_id:
        reference += " (refunded through Stripe)"
    left = getattr(payment, "left", None)
    rest = f", {money_format(left)} left to refund" if left is not None else ""
    return f"{payment.get_method_display()}{reference}: {money_format(payment.amount)} paid{rest}"
