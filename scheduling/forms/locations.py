from django import forms

from medspa.models import Membership
from medspa.timezones import time_zone_choices
from medspa.validators import phone_clean, state_code
from scheduling.models import Location
from scheduling.services.locations import LOCATION_FIELDS


class LocationForm(forms.ModelForm):
    # Declared here: the default would query every membership at import time, outside any medspa's scope.
    providers = forms.ModelMultipleChoiceField(
        queryset=Membership.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Location
        fields = [*LOCATION_FIELDS, "providers"]  # the fields the service saves, then who works there

    def __init__(self, *args, medspa, **kwargs):
        super().__init__(*args, **kwargs)
        self.medspa = medspa
        if not self.instance.pk:
            self.initial.setdefault("time_zone", medspa.time_zone)
        self.fields["time_zone"].widget = forms.Select(
            choices=time_zone_choices(self.instance.time_zone or medspa.time_zone)
        )
        self.fields["providers"].queryset = Membership.objects.filter(
            medspa=medspa, is_provider=True, is_active=True
        ).select_related("user")
        self.fields["providers"].label_from_instance = lambda membership: membership.user.get_full_name()
        self.fields["sales_tax_percent"].required = False  # empty: no sales tax

    def clean_sales_tax_percent(self):
        return self.cleaned_data["sales_tax_percent"] or 0

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if (
            Location.objects.filter(medspa=self.medspa, name__iexact=name)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            raise forms.ValidationError("You already have a location with this name.")
        return name

    def clean_state(self):
        return state_code(self.cleaned_data["state"])

    def clean_phone(self):
        return phone_clean(self.cleaned_data["phone"])
