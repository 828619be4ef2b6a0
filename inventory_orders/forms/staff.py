"""Forms of Portrait's order review: approve, approve with changes (line by line), reject, ship, deliver,
and resolving a pricing ticket. Each form has its own prefix, so the review page can hold them all and send
back only the one that failed, with what was typed."""

from dataclasses import dataclass
from decimal import Decimal

from django import forms

from inventory_orders.models import CatalogProduct, Order, OrderLine
from inventory_orders.services.orders import LineChange
from inventory_orders.services.rules import MAX_QUANTITY
from medspa.money import money_format

NOTE_WIDGET = forms.Textarea(attrs={"rows": 3})


class ActionForm(forms.Form):
    """A form of the review page, prefixed by its action so that the page can hold them all."""

    action = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix=self.action, **kwargs)


class ApproveForm(ActionForm):
    action = "approve"

    note = forms.CharField(
        required=False, max_length=2000, widget=NOTE_WIDGET, label="Note to the medspa (optional)"
    )


class RejectForm(ActionForm):
    action = "reject"

    reason = forms.CharField(
        max_length=2000,
        widget=NOTE_WIDGET,
        label="Reason",
        help_text="The medspa's admins read it in the email and in their order history.",
        error_messages={"required": "Say why the order is rejected."},
    )


class ShipForm(ActionForm):
    action = "ship"

    carrier = forms.CharField(required=False, max_length=60, label="Carrier", help_text="E.g. UPS, FedEx.")
    tracking_number = forms.CharField(
        max_length=80,
        label="Tracking number",
        error_messages={"required": "Give the tracking number: the medspa follows the parcel with it."},
    )


class DeliverForm(ActionForm):
    action = "deliver"


@dataclass(frozen=True)
class LineFields:
    """One line of the change form: the line and its three bound fields."""

    line: OrderLine
    quantity: forms.BoundField
    product: forms.BoundField
    unit_price: forms.BoundField


class ChangeForm(ActionForm):
    """Approve with changes: per line a quantity (0 removes it), an optional substitute from the available
    catalog and an optional unit price (empty: the line's price, or the substitute's price for the order's
    model), and a note saying what changed and why."""

    action = "change"

    note = forms.CharField(
        max_length=2000,
        widget=NOTE_WIDGET,
        label="What changed and why",
        help_text='The medspa\'s admins read it beside each line\'s "ordered" and "now".',
        error_messages={"required": "Say what changed and why: the medspa's admin reads it."},
    )

    def __init__(self, *args, order: Order, lines: list[OrderLine], products: list[CatalogProduct], **kwargs):
        super().__init__(*args, **kwargs)
        self.order, self.lines = order, lines
        self.products = {str(product.pk): product for product in products}
        for line in lines:
            price_attrs = {"min": "0", "step": "0.01", "placeholder": line.unit_price}
            self.fields[f"quantity_{line.pk}"] = forms.IntegerField(
                min_value=0,
                max_value=MAX_QUANTITY,
                initial=line.quantity,
                label="Quantity",
                widget=forms.NumberInput(attrs={"min": "0", "max": str(MAX_QUANTITY), "step": "1"}),
                error_messages={"required": "Give a quantity (0 removes the line)."},
            )
            self.fields[f"product_{line.pk}"] = forms.ChoiceField(
                required=False, label="Substitute", choices=self._product_choices(line)
            )
            self.fields[f"unit_price_{line.pk}"] = forms.DecimalField(
                required=False,
                min_value=Decimal(0),
                max_digits=10,
                decimal_places=2,
                label="Unit price",
                widget=forms.NumberInput(attrs=price_attrs),
            )
            # The table has no label per cell: the name says which line a field belongs to.
            for name in ("quantity", "product", "unit_price"):
                field = self.fields[f"{name}_{line.pk}"]
                field.widget.attrs["aria-label"] = f"{field.label} of {line.product_name}"

    def _product_choices(self, line: OrderLine) -> list[tuple[str, str]]:
        model = self.order.business_model
        return [("", "Keep this product")] + [
            (key, f"{product} · {product.supplier.name} · {money_format(product.price_for(model))}")
            for key, product in self.products.items()
            if product.pk != line.product_id
        ]

    def rows(self) -> list[LineFields]:
        return [
            LineFields(
                line=line,
                quantity=self[f"quantity_{line.pk}"],
                product=self[f"product_{line.pk}"],
                unit_price=self[f"unit_price_{line.pk}"],
            )
            for line in self.lines
        ]

    def changes(self) -> list[LineChange]:
        data = self.cleaned_data
        return [
            LineChange(
                line=line,
                quantity=data[f"quantity_{line.pk}"],
                product=self.products.get(data[f"product_{line.pk}"] or ""),
                unit_price=data[f"unit_price_{line.pk}"],
            )
            for line in self.lines
        ]


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Resolution",
        help_text="What was found and done (e.g. the price was corrected in the catalog).",
        error_messages={"required": "Say how the ticket was resolved."},
    )

    def __init__(self, *args, issue_pk: int, **kwargs):
        super().__init__(*args, prefix=f"issue{issue_pk}", **kwargs)
