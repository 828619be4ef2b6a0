"""The medspa's clock: today and the time of day where the medspa is (or at one of its locations, which
may sit in another zone), whatever zone the request or the worker runs in."""

import zoneinfo
from datetime import date, datetime

from django.utils import timezone


def zone(medspa, *, location=None) -> zoneinfo.ZoneInfo:
    """The zone of `location` when given, else the medspa's."""
    return location.tz if location is not None else zoneinfo.ZoneInfo(medspa.time_zone)


def today(medspa, *, location=None, now: datetime | None = None) -> date:
    """The date it is (or was at `now`) in the medspa's time zone, or at `location`."""
    return (now or timezone.now()).astimezone(zone(medspa, location=location)).date()


def local(moment: datetime, medspa) -> datetime:
    """`moment` on the medspa's wall clock."""
    return timezone.localtime(moment, zone(medspa))
