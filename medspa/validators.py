"""Small input rules shared by forms and API serializers across the apps."""

from django.core.exceptions import ValidationError


def state_code(value: str, *, required: bool = True) -> str:
    """A US state as its two-letter code, upper-cased; blank only when not required."""
    value = (value or "").strip().upper()
    if not value and not required:
        return value
    if len(value) != 2 or not value.isalpha():
        raise ValidationError("Use the two-letter state code, e.g. CA.")
    return value
