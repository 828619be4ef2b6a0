"""`{{ number|phone }}`: a phone number as people read it: "(619) 555-0100" for a number of the product's
own country (PHONENUMBER_DEFAULT_REGION), "+44 20 7946 0958" for another; numbers are stored in E.164
(medspa.validators), which is for machines and `tel:` links. A builtin of the template engine, like money."""

import phonenumbers
from django import template
from django.conf import settings

register = template.Library()


@register.filter
def phone(value) -> str:
    text = str(value or "")
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return text
    home = phonenumbers.region_code_for_number(number) == settings.PHONENUMBER_DEFAULT_REGION
    style = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)
