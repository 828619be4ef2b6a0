"""The provider's new OpenPhone account and their acknowledgement of what does not move with the number."""

from django import forms

from transition.models.transitions import OPENPHONE_ACKNOWLEDGEMENT


class OpenPhoneAccountForm(forms.Form):
    email = forms.EmailField(
        label="Your new OpenPhone account (email)",
        max_length=254,
        help_text="The email address of the separate OpenPhone account you opened: the number moves there.",
        error_messages={"required": "Enter the email address of your OpenPhone account."},
    )
    workspace = forms.CharField(
        label="OpenPhone workspace id (optional)",
        required=False,
        max_length=64,
        help_text="If OpenPhone gave you one; it helps their support team find the account.",
    )


class AcknowledgeForm(forms.Form):
    """The acknowledgement, word for word; once given, sending the form again only re-sends the link."""

    acknowledge = forms.BooleanField(
        label=OPENPHONE_ACKNOWLEDGEMENT,
        error_messages={"required": "Tick the box to acknowledge what does not move with the number."},
    )

    def __init__(self, *args, acknowledged: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if acknowledged:
            self.fields["acknowledge"].required = False
