from django import forms
from django.contrib.auth import password_validation

from medspa.models import Invitation, User


class InvitationForm(forms.ModelForm):
    class Meta:
        model = Invitation
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
                    password1, User(email=self.email, full_name=cleaned.get("full_name", ""))
                )
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
