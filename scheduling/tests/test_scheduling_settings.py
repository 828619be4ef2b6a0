"""The Scheduling tab's settings: rooms and devices, appointment types, providers' weekly hours and date
overrides, closures; their validation, and that medspa B's admin finds none of medspa A's."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from medspa import clock
from medspa.services import onboarding
from medspa.tenancy import medspa_scope
from scheduling.models import (
    AppointmentType,
    AvailabilityOverride,
    AvailabilityRule,
    Closure,
    Location,
    Resource,
)
from scheduling.services import settings as settings_services
from tests import factories
from tests.factories import unscoped


@unscoped
def member(user):
    return user.memberships.get()


@pytest.fixture
def world(cast):
    """Medspa A's clinic (America/Los_Angeles) where admin_a and provider_a1 work, with a type and a room;
    provider_a2 works nowhere yet."""
    location, appointment_type = factories.scheduling_world(
        cast.medspa_a, [member(cast.admin_a), member(cast.provider_a1)], rooms=1
    )
    with medspa_scope(cast.medspa_a):
        room = appointment_type.rooms.get()
    return {"medspa": cast.medspa_a, "location": location, "type": appointment_type, "room": room}


def tomorrow(location):
    return clock.today(location.medspa, location=location) + timedelta(days=1)


# --- Rooms and devices ----------------------------------------------------------------------------------


def test_admin_lists_creates_and_edits_rooms(client_as, world):
    client = client_as("admin_a")
    location = world["location"]
    response = client.get(reverse("scheduling:room_list"))
    assert response.status_code == 200
    assert "Room 1" in response.content.decode()

    response = client.post(
        reverse("scheduling:room_create"),
        {"location": location.pk, "name": "Laser suite", "kind": "device", "is_active": "on"},
    )
    assert response.status_code == 302
    with medspa_scope(world["medspa"]):
        laser = Resource.objects.get(name="Laser suite")
    assert (laser.location, laser.kind, laser.medspa_id) == (location, "device", location.medspa_id)

    # The same name twice at one location is refused, beside the field.
    response = client.post(
        reverse("scheduling:room_create"), {"location": location.pk, "name": "laser SUITE", "kind": "room"}
    )
    assert response.status_code == 400
    assert "already has a room or device with this name" in response.content.decode()

    response = client.post(
        reverse("scheduling:room_edit", args=[laser.pk]),
        {"location": location.pk, "name": "Laser 2", "kind": "device"},
    )
    assert response.status_code == 302
    with medspa_scope(world["medspa"]):
        laser.refresh_from_db()
    assert (laser.name, laser.is_active) == ("Laser 2", False)


# --- Appointment types ----------------------------------------------------------------------------------


@unscoped
def type_data(world, **changes):
    data = {
        "location": world["location"].pk,
        "service": world["type"].service_id,
        "name": "Lip filler",
        "duration_minutes": "45",
        "buffer_before_minutes": "5",
        "buffer_after_minutes": "15",
        "price": "650.00",
        "providers": [world["type"].providers.first().pk],
        "rooms": [world["room"].pk],
        "min_notice_minutes": "240",
        "horizon_days": "30",
        "online_bookable": "False",
        "cancellation_window_hours": "48",
        "color": "#12AB34",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_admin_creates_an_appointment_type_with_every_setting(client_as, world):
    client = client_as("admin_a")
    assert client.get(reverse("scheduling:type_create")).status_code == 200
    response = client.post(reverse("scheduling:type_create"), type_data(world))
    assert response.status_code == 302, response.content.decode()
    with medspa_scope(world["medspa"]):
        created = AppointmentType.objects.get(name="Lip filler")
        assert created.duration_minutes == 45
        assert (created.buffer_before_minutes, created.buffer_after_minutes) == (5, 15)
        assert str(created.price) == "650.00"
        assert list(created.providers.all()) == [world["type"].providers.first()]
        assert list(created.rooms.all()) == [world["room"]]
    assert (created.min_notice_minutes, created.horizon_days, created.cancellation_window_hours) == (
        240,
        30,
        48,
    )
    assert created.online_bookable is False  # staff only
    assert created.color == "#12ab34"
    assert created.is_active

    listing = client.get(reverse("scheduling:type_list")).content.decode()
    assert "Lip filler" in listing and "Staff only" in listing


def test_a_blank_name_duration_and_price_come_from_the_service(client_as, world):
    with medspa_scope(world["medspa"]):
        other = Location.objects.create(
            medspa=world["location"].medspa, name="La Jolla", address_line1="2 Main", city="La Jolla",
            state="CA", postal_code="92037", time_zone="America/Los_Angeles",
        )  # fmt: skip
    response = client_as("admin_a").post(
        reverse("scheduling:type_create"),
        type_data(world, location=other.pk, name="", duration_minutes="", price="", providers=[], rooms=[]),
    )
    assert response.status_code == 302, response.content.decode()
    with medspa_scope(world["medspa"]):
        created = AppointmentType.objects.get(location=other)
    assert (created.name, created.duration_minutes, str(created.price)) == ("Neurotoxin", 30, "300.00")


def test_appointment_type_validation(client_as, cast, world):
    client = client_as("admin_a")
    url = reverse("scheduling:type_create")
    # The name is taken at this location (the service's name, when left blank).
    response = client.post(url, type_data(world, name=""))
    assert response.status_code == 400
    assert "already has an appointment type with this name" in response.content.decode()
    # provider_a2 does not work at the clinic.
    response = client.post(url, type_data(world, providers=[member(cast.provider_a2).pk]))
    assert response.status_code == 400
    assert "not work at" in response.content.decode()
    # A room of another location.
    with medspa_scope(world["medspa"]):
        other = Location.objects.create(
            medspa=cast.medspa_a, name="La Jolla", address_line1="2 Main", city="La Jolla", state="CA",
            postal_code="92037", time_zone="America/Los_Angeles",
        )  # fmt: skip
        elsewhere = Resource.objects.create(medspa=cast.medspa_a, location=other, name="Room 9")
    response = client.post(url, type_data(world, rooms=[elsewhere.pk]))
    assert response.status_code == 400
    assert "Choose rooms and devices at" in response.content.decode()
    # Not a colour; a negative price; a zero duration.
    response = client.post(url, type_data(world, color="purple", price="-1", duration_minutes="0"))
    assert response.status_code == 400
    content = response.content.decode()
    assert "Use a colour such as" in content
    with medspa_scope(world["medspa"]):
        assert AppointmentType.objects.filter(name="Lip filler").count() == 0


def test_admin_edits_deactivates_and_activates_a_type(client_as, world):
    client = client_as("admin_a")
    appointment_type = world["type"]
    response = client.post(
        reverse("scheduling:type_edit", args=[appointment_type.pk]),
        type_data(world, name="Neurotoxin (30)", online_bookable="True"),
    )
    assert response.status_code == 302, response.content.decode()
    with medspa_scope(world["medspa"]):
        appointment_type.refresh_from_db()
    assert appointment_type.name == "Neurotoxin (30)" and appointment_type.online_bookable

    url = reverse("scheduling:type_activate", args=[appointment_type.pk])
    assert client.post(url, {"active": "0"}).status_code == 302
    with medspa_scope(world["medspa"]):
        appointment_type.refresh_from_db()
    assert not appointment_type.is_active
    assert client.post(url, {"active": "1"}).status_code == 302
    with medspa_scope(world["medspa"]):
        appointment_type.refresh_from_db()
    assert appointment_type.is_active


# --- Weekly hours ---------------------------------------------------------------------------------------


def test_the_availability_pages_show_the_hours_in_the_locations_time_zone(client_as, cast, world):
    client = client_as("admin_a")
    listing = client.get(reverse("scheduling:availability"))
    assert listing.status_code == 200
    assert cast.provider_a1.get_full_name() in listing.content.decode()
    page = client.get(reverse("scheduling:availability_provider", args=[member(cast.provider_a1).pk]))
    content = page.content.decode()
    assert page.status_code == 200
    assert "America/Los_Angeles" in content
    assert "09:00–17:00" in content


def test_intervals_are_added_on_several_days_and_removed(client_as, cast, world):
    client = client_as("admin_a")
    provider = member(cast.provider_a1)
    location = world["location"]
    with medspa_scope(world["medspa"]):
        AvailabilityRule.objects.filter(provider=provider).delete()
    url = reverse("scheduling:rule_add", args=[provider.pk])
    response = client.post(
        url, {"location": location.pk, "weekdays": ["0", "2"], "start_time": "09:00", "end_time": "12:00"}
    )
    assert response.status_code == 302
    # A split day: a second interval on Monday afternoon.
    response = client.post(
        url, {"location": location.pk, "weekdays": ["0"], "start_time": "13:00", "end_time": "17:30"}
    )
    assert response.status_code == 302
    with medspa_scope(world["medspa"]):
        monday = AvailabilityRule.objects.filter(provider=provider, weekday=0).order_by("start_time")
    assert [(rule.start_time, rule.end_time) for rule in monday] == [
        (time(9), time(12)),
        (time(13), time(17, 30)),
    ]
    with medspa_scope(world["medspa"]):
        assert AvailabilityRule.objects.filter(provider=provider, weekday=2).count() == 1

    response = client.post(reverse("scheduling:rule_remove", args=[monday[0].pk]))
    assert response.status_code == 302
    with medspa_scope(world["medspa"]):
        assert AvailabilityRule.objects.filter(provider=provider, weekday=0).count() == 1


def test_overlapping_intervals_and_backwards_ones_are_refused(client_as, cast, world):
    client = client_as("admin_a")
    provider = member(cast.provider_a1)
    url = reverse("scheduling:rule_add", args=[provider.pk])
    with medspa_scope(world["medspa"]):
        before = AvailabilityRule.objects.filter(provider=provider).count()
    # Overlaps the world's 9:00–17:00 on Tuesday.
    response = client.post(
        url, {"location": world["location"].pk, "weekdays": ["1"], "start_time": "16:00", "end_time": "18:00"}
    )
    assert response.status_code == 400
    assert "It overlaps Tuesday 09:00–17:00" in response.content.decode()
    # Ends before it starts.
    response = client.post(
        url, {"location": world["location"].pk, "weekdays": ["1"], "start_time": "20:00", "end_time": "19:00"}
    )
    assert response.status_code == 400
    assert "must end after it starts" in response.content.decode()
    # Right after the existing interval is fine (touching, not overlapping).
    response = client.post(
        url, {"location": world["location"].pk, "weekdays": ["1"], "start_time": "17:00", "end_time": "19:00"}
    )
    assert response.status_code == 302
    with medspa_scope(world["medspa"]):
        assert AvailabilityRule.objects.filter(provider=provider).count() == before + 1


def test_the_service_refuses_overlaps_too(cast, world):
    provider = member(cast.provider_a1)
    with pytest.raises(ValidationError, match="overlaps"), medspa_scope(world["medspa"]):
        settings_services.availability_rules_add(
            medspa=cast.medspa_a, provider=provider, location=world["location"], weekdays=[3],
            start_time=time(8), end_time=time(9, 30),
        )  # fmt: skip
    with pytest.raises(ValidationError), medspa_scope(world["medspa"]):
        settings_services.availability_rules_add(
            medspa=cast.medspa_a, provider=provider, location=world["location"], weekdays=[3],
            start_time=time(19), end_time=time(18),
        )  # fmt: skip


def test_a_provider_cannot_get_hours_at_a_location_they_do_not_work_at(client_as, cast, world):
    provider = member(cast.provider_a2)  # works nowhere
    response = client_as("admin_a").post(
        reverse("scheduling:rule_add", args=[provider.pk]),
        {"location": world["location"].pk, "weekdays": ["1"], "start_time": "09:00", "end_time": "10:00"},
    )
    assert response.status_code == 400
    with medspa_scope(world["medspa"]):
        assert not AvailabilityRule.objects.filter(provider=provider).exists()


# --- Date overrides -------------------------------------------------------------------------------------


def test_overrides_are_added_and_removed(client_as, cast, world):
    client = client_as("admin_a")
    provider = member(cast.provider_a1)
    url = reverse("scheduling:override_add", args=[provider.pk])
    day = tomorrow(world["location"])
    response = client.post(url, {"kind": "off", "date": day.isoformat(), "note": "Conference"})
    assert response.status_code == 302
    response = client.post(
        url,
        {"kind": "extra", "date": day.isoformat(), "location": world["location"].pk,
         "start_time": "18:00", "end_time": "20:00"},
    )  # fmt: skip
    assert response.status_code == 302
    with medspa_scope(world["medspa"]):
        overrides = AvailabilityOverride.objects.filter(provider=provider).order_by("kind")
    assert [(o.kind, o.location_id, o.start_time) for o in overrides] == [
        ("extra", world["location"].pk, time(18)),
        ("off", None, None),
    ]
    page = client.get(reverse("scheduling:availability_provider", args=[provider.pk])).content.decode()
    assert "Conference" in page and "18:00–20:00" in page

    response = client.post(reverse("scheduling:override_remove", args=[overrides[0].pk]))
    assert response.status_code == 302
    with medspa_scope(world["medspa"]):
        assert AvailabilityOverride.objects.filter(provider=provider).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "extra", "start_time": "", "end_time": ""}, "Extra hours need a start and an end time."),
        (
            {"kind": "extra", "location": "", "start_time": "18:00", "end_time": "19:00"},
            "Extra hours need a location.",
        ),
        ({"kind": "off", "start_time": "13:00", "end_time": "12:00"}, "The end must be after the start."),
        ({"kind": "off", "start_time": "13:00", "end_time": ""}, "Give both times, or neither"),
        ({"kind": "off", "days_ago": 1}, "Choose today or a later date."),
    ],
)
def test_override_validation(client_as, cast, world, data, message):
    provider = member(cast.provider_a1)
    day = tomorrow(world["location"]) - timedelta(days=1 + data.pop("days_ago", -1))
    payload = {"date": day.isoformat(), "location": world["location"].pk, **data}
    response = client_as("admin_a").post(reverse("scheduling:override_add", args=[provider.pk]), payload)
    assert response.status_code == 400
    assert message in response.content.decode()
    with medspa_scope(world["medspa"]):
        assert not AvailabilityOverride.objects.filter(provider=provider).exists()


# --- Closures -------------------------------------------------------------------------------------------


def test_closures_medspa_wide_and_per_location(client_as, world):
    client = client_as("admin_a")
    url = reverse("scheduling:closures")
    day = tomorrow(world["location"])
    assert client.get(url).status_code == 200
    assert client.post(url, {"date": day.isoformat(), "reason": "Thanksgiving"}).status_code == 302
    response = client.post(
        url, {"date": day.isoformat(), "location": world["location"].pk, "reason": "Flooring"}
    )
    assert response.status_code == 302
    with medspa_scope(world["medspa"]):
        closures = Closure.objects.order_by("reason")
    assert [(c.reason, c.location_id) for c in closures] == [
        ("Flooring", world["location"].pk),
        ("Thanksgiving", None),
    ]
    page = client.get(url).content.decode()
    assert "Every location" in page and "Flooring" in page

    past = client.post(url, {"date": (day - timedelta(days=5)).isoformat(), "reason": "Too late"})
    assert past.status_code == 400 and "Choose today or a later date." in past.content.decode()
    missing = client.post(url, {"date": day.isoformat(), "reason": ""})
    assert missing.status_code == 400

    assert client.post(reverse("scheduling:closure_remove", args=[closures[0].pk])).status_code == 302
    with medspa_scope(world["medspa"]):
        assert Closure.objects.count() == 1


# --- Isolation and roles --------------------------------------------------------------------------------


def test_medspa_b_admin_finds_none_of_medspa_a_settings(client_as, cast, world):
    provider = member(cast.provider_a1)
    with medspa_scope(world["medspa"]):
        rule = AvailabilityRule.objects.filter(provider=provider).first()
        override = AvailabilityOverride.objects.create(
            medspa=cast.medspa_a, provider=provider, date=tomorrow(world["location"]), kind="off"
        )
        closure = Closure.objects.create(
            medspa=cast.medspa_a, date=tomorrow(world["location"]), reason="Holiday"
        )
    client = client_as("admin_b")
    gets = [
        reverse("scheduling:type_edit", args=[world["type"].pk]),
        reverse("scheduling:room_edit", args=[world["room"].pk]),
        reverse("scheduling:availability_provider", args=[provider.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [
        (reverse("scheduling:type_edit", args=[world["type"].pk]), type_data(world)),
        (reverse("scheduling:type_activate", args=[world["type"].pk]), {"active": "0"}),
        (reverse("scheduling:room_edit", args=[world["room"].pk]), {"name": "Mine"}),
        (reverse("scheduling:rule_remove", args=[rule.pk]), {}),
        (reverse("scheduling:rule_add", args=[provider.pk]), {"weekdays": ["1"]}),
        (reverse("scheduling:override_add", args=[provider.pk]), {"kind": "off"}),
        (reverse("scheduling:override_remove", args=[override.pk]), {}),
        (reverse("scheduling:closure_remove", args=[closure.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    with medspa_scope(world["medspa"]):
        assert AvailabilityRule.objects.filter(pk=rule.pk).exists()
        assert AvailabilityOverride.objects.filter(pk=override.pk).exists()
        assert Closure.objects.filter(pk=closure.pk).exists()
        world["type"].refresh_from_db()
    assert world["type"].is_active
    # Their own lists show nothing of medspa A.
    for name in (
        "scheduling:type_list",
        "scheduling:room_list",
        "scheduling:availability",
        "scheduling:closures",
    ):
        content = client.get(reverse(name)).content.decode()
        assert "Neurotoxin" not in content and "Room 1" not in content and "Holiday" not in content
    # Choosing medspa A's location in their own form is refused.
    response = client.post(reverse("scheduling:room_create"), {"location": world["location"].pk, "name": "X"})
    assert response.status_code == 400
    with medspa_scope(world["medspa"]):
        assert not Resource.objects.filter(name="X").exists()


def test_providers_cannot_open_the_settings(client_as, world):
    client = client_as("provider_a1")
    for name in (
        "scheduling:type_list",
        "scheduling:room_list",
        "scheduling:availability",
        "scheduling:closures",
    ):
        assert client.get(reverse(name)).status_code == 403


def test_the_scheduling_home_links_to_every_part(client_as, world):
    content = client_as("admin_a").get(reverse("scheduling:home")).content.decode()
    for name in ("calendar", "type_list", "room_list", "availability", "closures"):
        assert reverse(f"scheduling:{name}") in content
    assert "/dashboard/scheduling/notifications/" in content


def test_the_availability_step_is_done_with_hours_at_an_active_location(cast):
    def done():
        with medspa_scope(cast.medspa_a):  # as the dashboard's checklist reads it
            steps = onboarding.checklist(cast.medspa_a, member(cast.admin_a))["steps"]
        return next(step for step in steps if step["key"] == "availability")

    assert not done()["done"] and done()["status"] == ""
    location, _ = factories.scheduling_world(cast.medspa_a, [member(cast.provider_a1)])
    assert done()["done"]
    with medspa_scope(cast.medspa_a):
        Location.objects.filter(pk=location.pk).update(is_active=False)
    assert not done()["done"]


def test_a_new_location_made_on_the_page_gets_its_booking_link(client_as, cast):
    from scheduling.models import Location

    response = client_as("admin_a").post(
        "/dashboard/scheduling/locations/new/",
        {
            "name": "North Park",
            "address_line1": "3000 University Ave",
            "city": "San Diego",
            "state": "CA",
            "postal_code": "92104",
            "time_zone": "America/Los_Angeles",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    with medspa_scope(cast.medspa_a):
        assert Location.objects.get(medspa=cast.medspa_a, name="North Park").slug == "north-park"


def test_a_new_location_made_on_the_page_keeps_its_sales_tax(client_as, cast):
    from scheduling.models import Location

    response = client_as("admin_a").post(
        "/dashboard/scheduling/locations/new/",
        {
            "name": "La Jolla",
            "address_line1": "7800 Girard Ave",
            "city": "San Diego",
            "state": "CA",
            "postal_code": "92037",
            "time_zone": "America/Los_Angeles",
            "sales_tax_percent": "7.75",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    with medspa_scope(cast.medspa_a):
        la_jolla = Location.objects.get(medspa=cast.medspa_a, name="La Jolla")
        assert la_jolla.sales_tax_percent == Decimal("7.75")
