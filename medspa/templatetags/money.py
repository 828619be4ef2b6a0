"""`{{ amount|money }}`: an amount in dollars as every page shows it ("$1,200.00", "−$45.50"). A builtin of
the template engine (settings.TEMPLATES), so no page loads it and none can forget to."""

from django import template

from medspa.money import money_format

register = template.Library()


@register.filter(is_safe=True)
def money(value) -> str:
    return money_format(value)
