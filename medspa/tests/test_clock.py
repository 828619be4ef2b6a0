"""The medspa's clock: today and the time of day where the medspa (or one of its locations) is, whatever
zone the process runs in."""

import zoneinfo
from datetime import UTC, date, datetime
from types import SimpleNamespace

from django.utils import timezone

from medspa import clock
from medspa.models import Medspa

# 2027-01-15 at 06:30 UTC: still the 14th in San Diego (22:30), already the 15th in New York (01:30).
MOMENT = datetime(2027, 1, 15, 6, 30, tzinfo=UTC)


def test_today_is_the_date_in_the_medspas_zone_not_the_process_zone():
    san_diego = Medspa(time_zone="America/Los_Angeles")
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        assert clock.today(san_diego, now=MOMENT) == date(2027, 1, 14)
        assert clock.today(Medspa(time_zone="America/New_York"), now=MOMENT) == date(2027, 1, 15)


def test_today_at_a_location_is_the_date_in_the_locations_zone():
    san_diego = Medspa(time_zone="America/Los_Angeles")
    manhattan = SimpleNamespace(tz=zoneinfo.ZoneInfo("America/New_York"))
    assert clock.today(san_diego, location=manhattan, now=MOMENT) == date(2027, 1, 15)


def test_local_puts_a_moment_on_the_medspas_wall_clock():
    local = clock.local(MOMENT, Medspa(time_zone="America/Los_Angeles"))
    assert (local.date(), local.hour, local.minute) == (date(2027, 1, 14), 22, 30)
    assert local.tzinfo == zoneinfo.ZoneInfo("America/Los_Angeles")
