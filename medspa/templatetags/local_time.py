"""Times on Portrait staff pages that list several medspas' things: each in its own medspa's zone, named."""

from django import template
from django.utils.dateformat import format as date_format

from medspa import clock

register = template.Library()


@register.filter
def medspa_time(moment, medspa):
    """`moment` on the wall clock of `medspa`, with the zone's abbreviation: "Jan 14, 2027 10:30 PM PST"."""
    if not moment:
        return ""
    return date_format(clock.local(moment, medspa), "M j, Y g:i A T")


@register.filter
def medspa_date(moment, medspa):
    """The calendar day of `moment` in `medspa`'s zone: "Jan 14, 2027"."""
    if not moment:
        return ""
    return date_format(clock.local(moment, medspa), "M j, Y")
