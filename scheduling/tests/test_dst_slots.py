"""Open slots on the two days a year the clocks change: the skipped hour offers nothing and the hour after it
once; the repeated hour is offered twice, as two distinct instants labelled with their zone abbreviation."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from medspa.tenancy import medspa_scope
from scheduling.models import AvailabilityRule
from scheduling.selectors import slots
from tests import factories

SPRING, FALL = date(2027, 3, 14), date(2027, 11, 7)


# Hours 00:00–05:00 on the wall clock, as real (UTC) instants: the window is 4 hours long on the day the
# clocks spring forward and 6 hours long on the day they fall back.
def _utc(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


WINDOWS = {
    ("America/Los_Angeles", SPRING): (_utc(SPRING, 8), _utc(SPRING, 12)),
    ("America/Los_Angeles", FALL): (_utc(FALL, 7), _utc(FALL, 13)),
    ("America/New_York", SPRING): (_utc(SPRING, 5), _utc(SPRING, 9)),
    ("America/New_York", FALL): (_utc(FALL, 4), _utc(FALL, 10)),
}


@pytest.fixture(autouse=True)
def _no_notifications(monkeypatch):
    monkeypatch.setattr("scheduling.services.hooks.appointment_changed", lambda *args, **kwargs: None)


@factories.unscoped
def night_world(cast, tz: str, duration: int):
    """A location in `tz` whose one provider works 00:00–05:00 every day, and a type of `duration` minutes
    with no buffers and no notice."""
    provider = cast.provider_a1.memberships.get()
    location, appointment_type = factories.scheduling_world(
        cast.medspa_a, [provider], tz=tz, duration_minutes=duration, buffer_after_minutes=0
    )
    AvailabilityRule.objects.filter(location=location).update(start_time=time(0), end_time=time(5))
    return location, appointment_type


def quarter_hours(first: datetime, last: datetime) -> list[datetime]:
    result = []
    while first <= last:
        result.append(first)
        first += timedelta(minutes=15)
    return result


@pytest.mark.parametrize("tz", ["America/Los_Angeles", "America/New_York"])
@pytest.mark.parametrize("day", [SPRING, FALL], ids=["spring-forward", "fall-back"])
@pytest.mark.parametrize("duration", [15, 30])
def test_the_slots_of_a_clock_change_day_are_every_real_quarter_hour_once(cast, tz, day, duration):
    with medspa_scope(cast.medspa_a):
        location, appointment_type = night_world(cast, tz, duration)
        opens, closes = WINDOWS[(tz, day)]

        now = datetime.combine(day - timedelta(days=7), time(12), tzinfo=UTC)  # inside the 90-day horizon
        offered = [slot.start for slot in slots.open_slots(appointment_type, day, now=now)]

        assert offered == quarter_hours(opens, closes - timedelta(minutes=duration))
        assert len(set(offered)) == len(offered)
        local_hours = [moment.astimezone(ZoneInfo(tz)).hour for moment in offered]
        if day == SPRING:
            assert 2 not in local_hours  # the hour the clocks skip
            assert local_hours.count(3) == 4  # 3:00, 3:15, 3:30, 3:45 once each
        else:
            # the 1 a.m. hour twice, once in daylight time and once in standard
            assert local_hours.count(1) == 8


def test_a_window_that_opens_or_closes_in_the_skipped_hour_starts_or_ends_when_the_clocks_land(cast):
    with medspa_scope(cast.medspa_a):
        location, appointment_type = night_world(cast, "America/Los_Angeles", 30)
        AvailabilityRule.objects.filter(location=location).update(start_time=time(2, 30), end_time=time(4))
        offered = slots.open_slots(appointment_type, SPRING, now=datetime(2027, 3, 1, tzinfo=UTC))
        # 3:00 PDT (10:00 UTC) to 4:00 PDT: 3:00, 3:15, 3:30 once each
        assert [slot.start for slot in offered] == quarter_hours(
            datetime(2027, 3, 14, 10, tzinfo=UTC), datetime(2027, 3, 14, 10, 30, tzinfo=UTC)
        )


def page_labels(location, appointment_type, day: date, now: datetime) -> list[str]:
    url = reverse("booking_location", args=[location.medspa.slug, location.slug])
    with time_machine.travel(now, tick=False):
        response = Client().get(url, {"type": appointment_type.pk, "provider": "any", "day": day.isoformat()})
    assert response.status_code == 200
    return re.findall(r"hx-get=\"[^\"]*start=[^\"]*\"[^>]*>([^<]+)</a>", response.content.decode())


@pytest.mark.parametrize(
    ("tz", "standard", "daylight"),
    [("America/Los_Angeles", "PST", "PDT"), ("America/New_York", "EST", "EDT")],
)
def test_the_booking_page_labels_the_repeated_hour_with_its_zone_and_skips_the_missing_one(
    cast, tz, standard, daylight
):
    location, appointment_type = night_world(cast, tz, 15)

    spring = page_labels(location, appointment_type, SPRING, datetime(2027, 3, 10, tzinfo=UTC))
    assert spring == (
        [f"12:{m:02d} AM {standard}" for m in (0, 15, 30, 45)]
        + [f"1:{m:02d} AM {standard}" for m in (0, 15, 30, 45)]
        + [f"3:{m:02d} AM {daylight}" for m in (0, 15, 30, 45)]
        + [f"4:{m:02d} AM {daylight}" for m in (0, 15, 30, 45)]
    )

    fall = page_labels(location, appointment_type, FALL, datetime(2027, 11, 1, tzinfo=UTC))
    assert fall == (
        [f"12:{m:02d} AM {daylight}" for m in (0, 15, 30, 45)]
        + [f"1:{m:02d} AM {daylight}" for m in (0, 15, 30, 45)]
        + [f"1:{m:02d} AM {standard}" for m in (0, 15, 30, 45)]
        + [f"{h}:{m:02d} AM {standard}" for h in (2, 3, 4) for m in (0, 15, 30, 45)]
    )
