"""The forms of a service visit's chart: the service performed, a product used with its lot, notes, a
photo, an addendum, voiding, and the location of a walk-in. The charge form is shared with retail
checkout (providers/forms/payment.py); the consent signature is medspa.forms.DrawnSignatureForm."""

from decimal import Decimal

from django import forms

from medspa import images
from medspa.money import money_format
from providers.models import Visit, VisitPhoto, VisitService
from scheduling.models import Location
from services_catalog.models import Service
from services_catalog.selectors import catalog as catalog_selectors


class WalkInForm(forms.Form):
    location = forms.ModelChoiceField(queryset=Location.objects.none(), empty_label=None)

    def __init__(self, *args, medspa, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.filter(medspa=medspa, is_active=True).order_by(
            "name"
        )


class ServiceAddForm(forms.Form):
    """A service performed: the medspa's active services not in the visit yet (the gate is the service's
    to check, and its refusal is shown as this form's error)."""

    service = forms.ModelChoiceField(
        queryset=Service.objects.none(),
        empty_label="Choose a service…",
        label="Service performed",
    )

    def __init__(self, *args, visit: Visit, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        field.queryset = (
            catalog_selectors.services_selectable(visit.medspa)
            .exclude(pk__in=visit.services.values("service_id"))
            .prefetch_related(None)  # a choice shows the name and price only
        )
        field.label_from_instance = lambda service: f"{service.display_name} ({money_format(service.price)})"


class ProductForm(forms.Form):
    """A product used, with its lot: the lot's expiry is checked against the visit's day by the service."""

    name = forms.CharField(max_length=200, label="Product")
    units = forms.DecimalField(
        min_value=Decimal("0.01"),
        max_digits=8,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    unit_label = forms.CharField(
        max_length=30, initial="units", label="Unit", help_text="units, mL, syringes…"
    )
    unit_price = forms.DecimalField(
        label="Price per unit ($)",
        min_value=Decimal("0"),
        max_digits=10,
        decimal_places=2,
        initial=Decimal("0"),
        help_text="0 when the service's price covers it.",
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    lot_number = forms.CharField(max_length=60, label="Lot number")
    expires_on = forms.DateField(label="Lot expiry", widget=forms.DateInput(attrs={"type": "date"}))
    visit_service = forms.ModelChoiceField(
        queryset=VisitService.objects.none(),
        required=False,
        label="For the service",
        empty_label="(none in particular)",
    )

    def __init__(self, *args, visit: Visit, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["visit_service"]
        field.queryset = visit.services.select_related("service__library_service")
        field.label_from_instance = lambda row: row.service.display_name

    def clean_unit_price(self):
        return self.cleaned_data["unit_price"] or Decimal("0")

    def product(self) -> dict:
        """The keyword arguments of charting.visit_product_add (besides the visit)."""
        return dict(self.cleaned_data)


class NotesForm(forms.Form):
    notes = forms.CharField(
        label="Clinical notes", required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 8})
    )


class PhotoForm(forms.Form):
    kind = forms.ChoiceField(choices=VisitPhoto.Kind.choices, label="Before or after")
    # A plain file field: medspa.images decides by the content what an image is, and stores it re-encoded
    # (no EXIF: a phone photo's GPS position and device never reach the chart).
    image = forms.FileField(
        label="Photo",
        help_text="A JPEG or PNG photo up to 15 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    caption = forms.CharField(max_length=200, required=False)

    def clean_image(self):
        try:
            return images.upload_normalise(self.cleaned_data["image"], rule=images.VISIT_PHOTO)
        except images.ImageRefused as refused:
            raise forms.ValidationError(str(refused)) from None


class AddendumForm(forms.Form):
    text = forms.CharField(label="Addendum", max_length=20_000, widget=forms.Textarea(attrs={"rows": 4}))


class VoidForm(forms.Form):
    reason = forms.CharField(
        max_length=300, label="Why is this visit voided?", help_text="E.g. started for the wrong patient."
    )
