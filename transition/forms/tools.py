"""The Legacy tools Portrait staff keep for a medspa, by the vendors' ids."""

import re

from django import forms

from transition.models.transitions import vendor_id


def _ids(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\s]+", text or "") if part.strip()]


class LegacyToolsForm(forms.Form):
    """What Portrait runs for a Legacy medspa, by the vendors' ids; lists are comma-separated."""

    openphone_number_id = forms.CharField(
        label="OpenPhone phone number id", required=False, max_length=64, validators=[vendor_id]
    )
    openphone_number = forms.CharField(
        label="OpenPhone number",
        required=False,
        max_length=30,
        help_text="As shown to people, e.g. (555) 010-0100.",
    )
    tigerconnect_group_id = forms.CharField(
        label="TigerConnect support channel (group) id", required=False, max_length=64, validators=[vendor_id]
    )
    tigerconnect_user_ids = forms.CharField(
        label="TigerConnect user ids",
        required=False,
        max_length=2000,
        help_text="The medspa's TigerConnect users, separated by commas.",
    )
    acuity_calendar_ids = forms.CharField(
        label="Acuity calendar ids",
        required=False,
        max_length=2000,
        help_text="Whole numbers separated by commas, e.g. 1234, 5678.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="tools", **kwargs)

    @classmethod
    def initial_of(cls, tools) -> dict:
        if tools is None:
            return {}
        return {
            "openphone_number_id": tools.openphone_number_id,
            "openphone_number": tools.openphone_number,
            "tigerconnect_group_id": tools.tigerconnect_group_id,
            "tigerconnect_user_ids": ", ".join(tools.tigerconnect_user_ids),
            "acuity_calendar_ids": ", ".join(str(value) for value in tools.acuity_calendar_ids),
        }

    def clean_tigerconnect_user_ids(self) -> list[str]:
        ids = _ids(self.cleaned_data["tigerconnect_user_ids"])
        too_long = [value for value in ids if len(value) > 64]
        if too_long:
            raise forms.ValidationError(
                f"“{too_long[0][:20]}…” is too long for a TigerConnect id (64 at most)."
            )
        for value in ids:
            vendor_id(value)
        return list(dict.fromkeys(ids))

    def clean_acuity_calendar_ids(self) -> list[int]:
        values = []
        for value in _ids(self.cleaned_data["acuity_calendar_ids"]):
            if not re.fullmatch(r"[0-9]{1,10}", value) or int(value) == 0 or int(value) > 2147483647:
                raise forms.ValidationError(
                    f"“{value[:20]}” is not an Acuity calendar id: enter whole numbers separated by commas."
                )
            values.append(int(value))
        return list(dict.fromkeys(values))
