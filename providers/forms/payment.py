"""The charge form shared by a visit's checkout and a retail checkout: discount, tip and a split payment
(an amount per method, each with its reference), read into the checkout service's Tenders.

When the medspa's Stripe account is connected and the patient has a card on file, the card's amount is
charged to that card through Stripe ("Card on file (Visa ending 4242)"); otherwise a card payment is one
taken on the medspa's own terminal, recorded with its last four digits. The form carries an idempotency
key made when it is shown, so a double click or a resent form charges once."""

import uuid
from decimal import Decimal

from django import forms

from medspa.http import ascii_int
from medspa.models.payments import CardPayment
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

    idempotency_key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, card_on_file=None, connected: bool = False, **kwargs):
        """`card_on_file`: the patient's card, charged through Stripe (None: a card is taken on the
        medspa's own terminal, which the label says when the medspa is `connected` to Stripe)."""
        super().__init__(*args, **kwargs)
        self.card_on_file = card_on_file
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", str(uuid.uuid4()))
        for method in PaymentMethod:
            label = method.label
            if method == PaymentMethod.CARD:
                if card_on_file is not None:
                    label = f"Card on file ({card_on_file})"
                elif connected:
                    label = "Card, on the medspa's terminal"
            self.fields[f"{method.value}_amount"] = _money_field(f"{label} ($)")
            self.fields[f"{method.value}_reference"] = forms.CharField(
                max_length=100, required=False, label=REFERENCE_LABELS[method]
            )
        if card_on_file is not None:
            del self.fields["card_reference"]

    def clean_card_reference(self):
        value = self.cleaned_data.get("card_reference", "").strip()
        if value and (len(value) != 4 or ascii_int(value) is None):
            raise forms.ValidationError("Only the last 4 digits of the card, never the whole number.")
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("discount") and not (cleaned.get("discount_reason") or "").strip():
            self.add_error("discount_reason", "Say why there is a discount.")
        amount = cleaned.get("card_amount")
        if amount and self.card_on_file is not None and not cleaned.get("idempotency_key"):
            self.add_error(None, "This form is out of date: reload the page and charge again.")
        if not self.errors:
            financing = cleaned.get("financing_amount")
            if financing and not (cleaned.get("financing_reference") or "").strip():
                self.add_error("financing_reference", "Name the financing company and plan.")
        return cleaned

    def key_renew_if_declined(self) -> None:
        """After Stripe declined this form's charge (nothing paid), the form shown again carries a new key,
        so that trying again (the same card later, or another amount) asks Stripe anew. A charge whose
        outcome is unknown (Stripe out of reach) keeps its key: asking again gets Stripe's one answer."""
        key = self.data.get("idempotency_key", "")
        if (
            key
            and CardPayment.objects.filter(
                idempotency_key__endswith=f"-{key}", status=CardPayment.Status.FAILED
            ).exists()
        ):
            self.data = self.data.copy()
            self.data["idempotency_key"] = str(uuid.uuid4())

    def method_rows(self):
        """(amount field, reference field) per method, for the template."""
        return [
            (
                self[f"{m.value}_amount"],
                self[f"{m.value}_reference"] if f"{m.value}_reference" in self.fields else None,
            )
            for m in PaymentMethod
        ]

    def typed_so_far(self) -> dict:
        """The discount, the tip and what the payment methods add up to, as typed so far (for the running
        total: a figure not valid yet counts as nothing)."""
        if not self.is_bound:
            return {"discount": ZERO, "tip": ZERO, "paid": ZERO}
        self.is_valid()  # cleaned_data then holds the figures that are valid
        data = self.cleaned_data
        paid = sum((data.get(f"{m.value}_amount") or ZERO for m in PaymentMethod), ZERO)
        return {"discount": data.get("discount") or ZERO, "tip": data.get("tip") or ZERO, "paid": paid}

    def charge(self) -> dict:
        """The keyword arguments of visit_checkout / retail_checkout (besides the sale or visit and by)."""
        data = self.cleaned_data
        tenders = []
        for m in PaymentMethod:
            if not data.get(f"{m.value}_amount"):
                continue
            if m == PaymentMethod.CARD and self.card_on_file is not None:
                card = self.card_on_file
                tenders.append(Tender(m.value, data["card_amount"], card.last4, card=card))
            else:
                tenders.append(
                    Tender(m.value, data[f"{m.value}_amount"], data.get(f"{m.value}_reference") or "")
                )
        return {
            "discount": data.get("discount") or ZERO,
            "discount_reason": data.get("discount_reason") or "",
            "tip": data.get("tip") or ZERO,
            "tenders": tenders,
            "idempotency_key": data.get("idempotency_key") or "",
        }
