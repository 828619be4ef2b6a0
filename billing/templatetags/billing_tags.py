"""{% latest_bill medspa as bill %}: the medspa's latest bill (or None), for the Billing card of Account
settings, whose view belongs to the core."""

from django import template

from billing.models import Bill

register = template.Library()


@register.simple_tag
def latest_bill(medspa):
    if medspa is None:
        return None
    return Bill.objects.filter(medspa=medspa).order_by("-month").first()
