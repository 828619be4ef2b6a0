"""Small input rules shared by forms and API serializers across the apps.

Phone numbers are stored in E.164 (+16195550100): what the forms accept, the patient import and the legacy
bookings store, and Twilio sends to. A number typed without a country code is read in
settings.PHONENUMBER_DEFAULT_REGION (the US); one that `phonenumbers` cannot read as a valid number is
refused with PHONE_INVALID (forms), or kept as written and reported (data already stored)."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError


def state_code(value: str, *, required: bool = True) -> str:
    """A US state as its two-letter code, upper-cased; blank only when not required."""
    value = (value or "").strip().upper()
    if not value and not required:
        return value
    if len(value) != 2 or not value.isalpha():
        raise ValidationError("Use the two-letter state code, e.g. CA.")
    return value


PHONE_INVALID = "Enter a valid phone number with its area code, e.g. (619) 555-0100 or +1 619 555 0100."


def phone_e164(value: str) -> str | None:
    """`value` in E.164, "" when blank, or None when it is not a valid phone number."""
    text = (value or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_clean(value: str, *, required: bool = False) -> str:
    """A form's phone field, in E.164; ValidationError(PHONE_INVALID) when it cannot be read."""
    normalized = phone_e164(value)
    if normalized is None or (required and not normalized):
        raise ValidationError(PHONE_INVALID, code="invalid")
    return normalized


def phone_kept(value: str) -> str:
    """Data from elsewhere (a legacy tool's bookings): E.164 when it can be read, else as written."""
    normalized = phone_e164(value)
    return (value or "").strip() if normalized is None else normalized


def validate_phone_e164(value: str) -> None:
    """A model's phone number: blank, or a valid number already in E.164 (the forms and services
    normalise what people type before it is saved)."""
    if value and phone_e164(value) != value:
        raise ValidationError(PHONE_INVALID, code="invalid")


def phones_normalize(rows, field: str = "phone") -> list[tuple[int, str]]:
    """Rewrites every readable number of `rows` (a queryset) in E.164, one UPDATE per changed row; leaves
    each unreadable one as written and returns them, (pk, value), for the caller to report: nothing is
    lost, and staff correct those by hand (the form then asks for a valid number)."""
    unreadable = []
    for pk, value in rows.exclude(**{field: ""}).values_list("pk", field).iterator():
        normalized = phone_e164(value)
        if normalized is None:
            unreadable.append((pk, value))
        elif normalized != value:
            rows.filter(pk=pk).update(**{field: normalized})
    return unreadable
