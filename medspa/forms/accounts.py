"""Forms of the core app about people and medspas: invitations, profiles, signatures, licences, the
business details, add-ons and the medical director."""

import base64
import binascii
import re

from django import forms
from django.contrib.auth import password_validation
from django.utils import timezone

from medspa import images, models
from medspa.models.tenancy import CLEARING_CREDENTIALS, SHIPPING_ADDRESS_FIELDS
from medspa.timezones import time_zone_choices
from medspa.validators import state_code


def _physician_name(membership: models.Membership) -> str:
    return f"{membership.user.get_full_name()} ({membership.provider_profile.credential})"


class InvitationForm(forms.ModelForm):
    class Meta:
        model = models.Invitation
        fields = ["email", "as_provider", "as_admin", "as_coordinator"]
        labels = {"as_provider": "Provider", "as_admin": "Admin", "as_coordinator": "Coordinator"}

    def __init__(self, *args, medspa, **kwargs):
        super().__init__(*args, **kwargs)
        self.medspa = medspa

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if self.medspa.memberships.filter(user__email__iexact=email, is_active=True).exists():
            raise forms.ValidationError("This person is already a member of your medspa.")
        return email

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f) for f in ("as_admin", "as_provider", "as_coordinator")):
            raise forms.ValidationError("Choose at least one role.")
        return cleaned


class InvitationAcceptForm(forms.Form):
    """Creates the invited person's account: name and a password (then MFA set-up on first sign-in)."""

    full_name = forms.CharField(max_length=150)
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label="Password (again)", widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords differ.")
        elif password1:
            try:
                password_validation.validate_password(
                    password1, models.User(email=self.email, full_name=cleaned.get("full_name", ""))
                )
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


def _image_upload(upload, *, rule: images.ImageRule, pdf: bool = False):
    """A form's uploaded image checked by its content and re-encoded (see medspa.images)."""
    try:
        return images.upload_normalise(upload, rule=rule, pdf=pdf)
    except images.ImageRefused as refused:
        raise forms.ValidationError(str(refused)) from None


IMAGE_ACCEPT = "image/png,image/jpeg"


class ProfileForm(forms.ModelForm):
    """A member's own profile: credential, position, headshot, photo ID and (uploaded) signature. Each file
    is checked by its content and stored re-encoded, whatever its name says."""

    # Plain file fields: what an image is, is decided by medspa.images from the content. Django's ImageField
    # would keep the uploaded bytes as they came, metadata and all, after opening them unguarded.
    headshot = forms.FileField(
        required=False,
        help_text="A PNG or JPEG photo of you, up to 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    photo_id = forms.FileField(
        label="Photo ID",
        required=False,
        help_text="A driver's licence or passport: PNG, JPEG or PDF, up to 5 MB. Seen only by you, "
        "your medspa's admins and Portrait.",
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT + ",application/pdf"}),
    )
    signature = forms.FileField(
        required=False,
        help_text="Upload an image of your signature, or draw it in the Signature box.",
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )

    class Meta:
        model = models.ProviderProfile
        fields = ["credential", "position", "headshot", "photo_id", "signature"]

    def clean_headshot(self):
        return _image_upload(self.cleaned_data.get("headshot"), rule=images.HEADSHOT)

    def clean_photo_id(self):
        return _image_upload(self.cleaned_data.get("photo_id"), rule=images.PHOTO_ID, pdf=True)

    def clean_signature(self):
        return _image_upload(self.cleaned_data.get("signature"), rule=images.SIGNATURE)

    def clean(self):
        cleaned = super().clean()
        if self.instance.can_clear_gfe and cleaned.get("credential") not in CLEARING_CREDENTIALS:
            self.add_error("credential", "You may clear GFEs, which an RN may not: ask your admin first.")
        return cleaned


class DrawnSignatureForm(forms.Form):
    """A signature drawn in the browser: a PNG data URL from the signature pad. Cleaned, it is the
    re-encoded PNG's bytes, downscaled to what a PDF needs."""

    data_url = forms.CharField(max_length=400_000, widget=forms.HiddenInput)

    def clean_data_url(self):
        value = self.cleaned_data["data_url"]
        prefix = "data:image/png;base64,"
        if not value.startswith(prefix):
            raise forms.ValidationError("Draw your signature in the box first.")
        try:
            png = base64.b64decode(value[len(prefix) :], validate=True)
        except (binascii.Error, ValueError):
            raise forms.ValidationError("The drawing could not be read; please draw it again.") from None
        if not png.startswith(b"\x89PNG\r\n\x1a\n") or len(png) < 100:
            raise forms.ValidationError("The drawing could not be read; please draw it again.")
        try:
            return images.signature_normalise(png)
        except images.ImageRefused as refused:
            raise forms.ValidationError(str(refused)) from None


class LicenceForm(forms.ModelForm):
    class Meta:
        model = models.ProviderLicence
        fields = ["number", "state", "expires_on"]
        widgets = {"expires_on": forms.DateInput(attrs={"type": "date"})}

    def clean_state(self):
        return state_code(self.cleaned_data["state"])

    def clean_expires_on(self):
        value = self.cleaned_data["expires_on"]
        if value < timezone.localdate():
            raise forms.ValidationError("This licence has expired: add a current one.")
        return value


class BusinessForm(forms.ModelForm):
    class Meta:
        model = models.Medspa
        fields = ["dba", *SHIPPING_ADDRESS_FIELDS, "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].widget = forms.Select(choices=time_zone_choices(self.instance.time_zone))

    def clean_shipping_state(self):
        return state_code(self.cleaned_data["shipping_state"], required=False)

    def clean_shipping_postal_code(self):
        value = self.cleaned_data["shipping_postal_code"].strip()
        if value and not re.fullmatch(r"\d{5}(-\d{4})?", value):
            raise forms.ValidationError("Enter a ZIP code such as 92101 or 92101-1234.")
        return value


class AddonsForm(forms.ModelForm):
    class Meta:
        model = models.Medspa
        fields = ["addon_charting", "addon_marketing"]


class MedicalDirectorForm(forms.Form):
    director = forms.ModelChoiceField(
        queryset=models.Membership.objects.none(), label="Medical director", empty_label="Choose a physician"
    )

    def __init__(self, *args, physicians, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["director"].queryset = physicians
        self.fields["director"].label_from_instance = _physician_name


class MedicalDirectorRequestForm(forms.ModelForm):
    class Meta:
        model = models.MedicalDirectorRequest
        fields = ["physician_name", "physician_email", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}
