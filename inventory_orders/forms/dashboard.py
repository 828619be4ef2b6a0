"""Forms of the Inventory tab: adding to the cart, changing a cart line, checkout, cancelling an order and
reporting a pricing issue."""

import uuid
from datetime import date

from django import forms

from inventory_orders.models import CatalogProduct, PaymentMethod
from inventory_orders.services import rules as inventory_rules

QUANTITY_WIDGET = forms.NumberInput(attrs={"min": "1", "max": str(inventory_rules.MAX_QUANTITY), "step": "1"})


class CartAddForm(forms.Form):
    """`quantity` more of a product in the cart."""

    product = forms.ModelChoiceField(
        queryset=CatalogProduct.objects.all(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "That product is not in the catalog any more."},
    )
    quantity = forms.IntegerField(
        min_value=1,
        max_value=inventory_rules.MAX_QUANTITY,
        initial=1,
        widget=QUANTITY_WIDGET,
        label="Quantity",
        error_messages={"required": "Enter how many to add."},
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class CartLineForm(forms.Form):
    """A line's new quantity (0, or the Remove button, takes it out)."""

    product = forms.ModelChoiceField(queryset=CatalogProduct.objects.all(), widget=forms.HiddenInput)
    quantity = forms.IntegerField(min_value=0, max_value=inventory_rules.MAX_QUANTITY, required=False)
    remove = forms.BooleanField(required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("remove") and cleaned.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", "Enter a quantity (0 takes the product out of the cart).")
        return cleaned

    def new_quantity(self) -> int:
        return 0 if self.cleaned_data.get("remove") else self.cleaned_data["quantity"]


class CheckoutForm(forms.Form):
    """When and how the order is delivered and paid. The key is made when the form is shown (and kept when
    it comes back with an error), so a double click or a resubmission places one order."""

    delivery_date = forms.DateField(
        label="Delivery date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Pick a delivery date.", "invalid": "Enter a date (YYYY-MM-DD)."},
    )
    payment_method = forms.ChoiceField(label="Payment method", choices=PaymentMethod.choices)
    notes = forms.CharField(
        required=False,
        max_length=1000,
        label="Notes for the inventory team",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: delivery instructions, a substitute you would accept…",
    )
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, today: date, **kwargs):
        """`today` is the medspa's day (its own time zone): the lead time counts from it."""
        super().__init__(*args, **kwargs)
        self.today = today
        earliest = inventory_rules.earliest_delivery(today)
        self.fields["delivery_date"].widget.attrs["min"] = earliest.isoformat()
        rules = inventory_rules.ordering_rules()
        weekends = "" if rules.weekend_delivery else ", weekdays only"
        self.fields["delivery_date"].help_text = (
            f"The earliest is {earliest:%A, %B} {earliest.day} ({rules.lead_days} business days' lead time"
            f"{weekends})."
        )
        if not self.is_bound:
            self.initial.setdefault("delivery_date", earliest)
            self.initial.setdefault("payment_method", PaymentMethod.CARD_ON_FILE)
            self.initial.setdefault("idempotency_key", str(uuid.uuid4()))

    def clean_delivery_date(self):
        day = self.cleaned_data["delivery_date"]
        refusal = inventory_rules.delivery_date_refusal(day, self.today)
        if refusal:
            raise forms.ValidationError(refusal)
        return day


class OrderCancelForm(forms.Form):
    reason = forms.CharField(
        required=False, max_length=500, label="Reason (optional)", widget=forms.Textarea(attrs={"rows": 2})
    )


class PricingIssueForm(forms.Form):
    """A ticket to Portrait's team about a price that looks wrong."""

    message = forms.CharField(
        max_length=2000,
        label="What looks wrong?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what looks wrong with the price."},
        help_text="It opens a ticket that Portrait's inventory team sees and follows up.",
    )
