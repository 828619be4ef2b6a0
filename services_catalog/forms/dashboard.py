from django import forms

from services_catalog.models import CareMessage, Consent, RetailProduct, Service, ServiceGroup, StandingOrder
from services_catalog.models.catalog import SERVICE_FIELDS
from services_catalog.selectors import catalog as catalog_selectors
from services_catalog.services.texts import LEAD_TIME_AFTER


class _MedspaTextsMixin:
    """Choices of consents, care messages and standing orders: the medspa's own and Portrait's."""

    def limit_texts(self, medspa) -> None:
        texts = {
            "consents": Consent,
            "care_messages": CareMessage,
            "standing_order": StandingOrder,
            "default_consents": Consent,
        }
        for name, model in texts.items():
            if name in self.fields:
                self.fields[name].queryset = catalog_selectors.texts_for(model, medspa).order_by(
                    "medspa", "title"
                )


LOCKED_FIELDS = {
    "name",
    "description",
    "group",
    "duration_minutes",
    "requires_gfe",
    "consents",
    "standing_order",
    "care_messages",
}


class ImportedServiceForm(forms.ModelForm):
    """An imported service: its content is Portrait's, so only the price and the active flag are here. A
    submission that tries to change anything else is refused with an error, never silently ignored."""

    class Meta:
        model = Service
        fields = ["price", "is_active"]
        labels = {"is_active": "Active: can be chosen for clearance and in a service visit"}

    def clean(self):
        cleaned = super().clean()
        attempted = sorted(LOCKED_FIELDS & set(self.data))
        if attempted:
            raise forms.ValidationError(
                f"{self.instance.display_name} comes from the Portrait library: only its price and whether "
                f"it is active can change (not {', '.join(attempted)}). Create a custom service to change "
                "more."
            )
        return cleaned


class CustomServiceForm(_MedspaTextsMixin, forms.ModelForm):
    # Declared here: the defaults would query outside any medspa's scope at import time.
    group = forms.ModelChoiceField(queryset=ServiceGroup.objects.none(), label="Service group")
    consents = forms.ModelMultipleChoiceField(
        queryset=Consent.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    care_messages = forms.ModelMultipleChoiceField(
        queryset=CareMessage.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    standing_order = forms.ModelChoiceField(queryset=StandingOrder.objects.none(), required=False)

    class Meta:
        model = Service
        fields = list(SERVICE_FIELDS)
        labels = {"is_active": "Active: can be chosen for clearance and in a service visit"}

    def __init__(self, *args, medspa, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = ServiceGroup.objects.filter(medspa=medspa)
        self.fields["name"].required = True
        self.fields["duration_minutes"].required = True
        self.limit_texts(medspa)

    def clean_name(self):
        return self.cleaned_data["name"].strip()


class ServiceGroupForm(_MedspaTextsMixin, forms.ModelForm):
    default_consents = forms.ModelMultipleChoiceField(
        queryset=Consent.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Consents",
        help_text="The consents new services of this group start with.",
    )

    class Meta:
        model = ServiceGroup
        fields = ["name", "description", "default_consents"]

    def __init__(self, *args, medspa, **kwargs):
        super().__init__(*args, **kwargs)
        self.medspa = medspa
        self.limit_texts(medspa)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = ServiceGroup.objects.filter(medspa=self.medspa, name__iexact=name).exclude(
            pk=self.instance.pk
        )
        if clash.exists():
            raise forms.ValidationError("You already have a group with this name.")
        return name


class TextForm(forms.Form):
    """A consent, care message or standing order: its title and text (an edit saves a new version)."""

    title = forms.CharField(max_length=200)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), max_length=50_000)

    def __init__(self, *args, model, medspa, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.model, self.medspa, self.instance = model, medspa, instance
        if model is CareMessage:
            self.fields["timing"] = forms.ChoiceField(choices=CareMessage.Timing.choices)
            self.fields["lead_hours"] = forms.IntegerField(
                label="Send hours before",
                required=False,
                min_value=1,
                max_value=336,
                help_text="Before the treatment only: how many hours before the appointment it is sent "
                "(at most 336, two weeks). Empty: with the booking's confirmation.",
            )
            self.fields["text"].help_text = "You may use {patient_first_name} and {medspa_name}."

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        clash = self.model._base_manager.filter(medspa=self.medspa, title__iexact=title)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("You already have one with this title.")
        return title

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if len(text) < 20:
            raise forms.ValidationError("Write the full text: at least a sentence or two.")
        return text

    def clean(self):
        cleaned = super().clean()
        if (
            self.model is CareMessage
            and cleaned.get("lead_hours") is not None
            and cleaned.get("timing") == CareMessage.Timing.POST
        ):
            self.add_error("lead_hours", LEAD_TIME_AFTER)
        return cleaned


class RetailProductForm(forms.ModelForm):
    class Meta:
        model = RetailProduct
        fields = ["name", "sku", "price", "taxable", "is_active"]

    def __init__(self, *args, medspa, **kwargs):
        super().__init__(*args, **kwargs)
        self.medspa = medspa

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip().upper()
        if RetailProduct.objects.filter(medspa=self.medspa, sku=sku).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another of your products has this SKU.")
        return sku
