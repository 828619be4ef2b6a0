"""The charge form shared by a visit's checkout and a retail checkout: discount, tip and a split payment
(an amount per method, each with its reference), read into the checkout service's Tenders."""

from decimal import Decimal

from django import forms

from medspa.http import ascii_int
from medspa.money import ZERO
from providers.models import PaymentMethod
from providers.services.settlement import Tender

REFERENCE_LABELS = {
    PaymentMethod.CARD: "Card's last 4 digits",
    PaymentMethod.CASH: "Note",
    PaymentMethod.FINANCING: "Financing company and plan",
    PaymentMethod.GIFT_CREDIT: "Gift card or credit number",
}


def _money_field(label: str, *, required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal("0"),
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )


class ChargeForm(forms.Form):
    """Discount (with its reason), tip, and what each method pays. The service checks that the payments add
    up to the total; this form checks each figure on its own."""

    discount = _money_field("Discount ($)")
    discount_reason = forms.CharField(max_length=200, required=False, label="Reason for the discount")
    tip = _money_field("Tip ($)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for method in PaymentMethod:
            self.fields[f"{method.value}_amount"] = _money_field(f"{method.label} ($)")
            self.fields[f"{method.value}_reference"] = forms.CharField(
                max_length=100, required=False, label=REFERENCE_LABELS[method]
            )

    def clean_card_reference(self):
        value = self.cleaned_data["card_reference"].strip()
        if value and (len(value) != 4 or ascii_int(value) is None):
            raise forms.ValidationError("Only the last 4 digits of the card, never the whole number.")
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("discount") and not (cleaned.get("discount_reason") or "").strip():
            self.add_error("discount_reason", "Say why there is a discount.")
        if not self.errors:
            financing = cleaned.get("financing_amount")
            if financing and not (cleaned.get("financing_reference") or "").strip():
                self.add_error("financing_reference", "Name the financing company and plan.")
        return cleaned

    def method_rows(self):
        """(amount field, reference field) per method, for the template."""
        return [(self[f"{m.value}_amount"], self[f"{m.value}_reference"]) for m in PaymentMethod]

    def charge(self) -> dict:
        """The keyword arguments of visit_checkout / retail_checkout (besides the sale or visit and by)."""
        data = self.cleaned_data
        return {
            "discount": data.get("discount") or ZERO,
            "discount_reason": data.get("discount_reason") or "",
            "tip": data.get("tip") or ZERO,
            "tenders": [
                Tender(m.value, data[f"{m.value}_amount"], data.get(f"{m.value}_reference") or "")
                for m in PaymentMethod
                if data.get(f"{m.value}_amount")
            ],
        }
