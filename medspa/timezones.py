"""The time zones offered for medspas and locations: the United States' own, named as the IANA database
names them (daylight-saving rules come with the name); and the zone a page about one object shows times in."""

from contextlib import contextmanager

from django.utils import timezone

US_TIME_ZONES = [
    ("America/New_York", "Eastern (New York)"),
    ("America/Detroit", "Eastern (Detroit)"),
    ("America/Indiana/Indianapolis", "Eastern (Indianapolis)"),
    ("America/Chicago", "Central (Chicago)"),
    ("America/Denver", "Mountain (Denver)"),
    ("America/Phoenix", "Mountain, no daylight saving (Phoenix)"),
    ("America/Boise", "Mountain (Boise)"),
    ("America/Los_Angeles", "Pacific (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
    ("America/Puerto_Rico", "Atlantic (Puerto Rico)"),
]


def time_zone_choices(current: str | None = None) -> list[tuple[str, str]]:
    """US_TIME_ZONES, plus the current value if it is another valid zone (set by Portrait, say)."""
    choices = list(US_TIME_ZONES)
    if current and current not in dict(choices):
        choices.append((current, current))
    return choices


def medspa_of(obj):
    """The medspa an object belongs to (a medspa's own), or None (a user, Portrait's catalog)."""
    from medspa.models import Medspa

    if isinstance(obj, Medspa):
        return obj
    medspa = getattr(obj, "medspa", None)
    return medspa if isinstance(medspa, Medspa) else None


@contextmanager
def medspa_time_zone(medspa):
    """Times shown inside are in `medspa`'s zone: for staff pages about one medspa's object (staff have no
    medspa of their own, so their requests run in UTC)."""
    with timezone.override(medspa.tz):
        yield
