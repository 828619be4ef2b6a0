"""Quick booking from an empty time in the calendar's Rooms view (scheduling.views.quick_book): the booking is
made in the room of the column clicked, not in the first room free; the panel offers the times that room is
free, says when it is taken, and says plainly when the service chosen is not given there. The room is checked
again by the booking service (scheduling.services.booking), whose exclusion constraint has the last word."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from scheduling.models import Appointment, AppointmentType, Resource
from scheduling.services import booking
from scheduling.services.booking import BookingInvalid, SlotUnavailable
from scheduling.tests.test_quick_book import (
    HTMX,
    PANEL,
    appointments_of,
    day_ahead,
    member,
    signed_in,
    value,
    wall,
)
from scheduling.tests.test_quick_book import booking as booking_data
from tests import factories
from tests.factories import unscoped


@pytest.fixture
def clinic(cast):
    """Medspa A's clinic (America/Los_Angeles, 9:00–17:00) where provider_a1 and provider_a2 offer Neurotoxin
    (no room); Jane to book, Omar to fill a room."""
    a1, a2 = member(cast.provider_a1), member(cast.provider_a2)
    location, appointment_type = factories.scheduling_world(cast.medspa_a, [a1, a2])
    patients = {
        name: factories.PatientFactory(medspa=cast.medspa_a, first_name=name, last_name="Quillfeather")
        for name in ("jane", "omar")
    }
    return {"location": location, "type": appointment_type, "a1": a1, "a2": a2, **patients}


@pytest.fixture
def admin(cast):
    return signed_in(cast.admin_a)


@unscoped
def rooms(clinic) -> tuple[Resource, Resource, AppointmentType]:
    """Rooms 1 and 2 at the clinic, both given to Laser (45 minutes, 15 minutes' buffer after, offered by
    provider_a1); Neurotoxin needs no room."""
    location = clinic["location"]
    room_1, room_2 = (
        Resource.objects.create(medspa=location.medspa, location=location, name=name)
        for name in ("Room 1", "Room 2")
    )
    laser = AppointmentType.objects.create(
        medspa=location.medspa, location=location, service=clinic["type"].service, name="Laser",
        duration_minutes=45, buffer_after_minutes=15, price=Decimal("500"), min_notice_minutes=0,
    )  # fmt: skip
    laser.rooms.add(room_1, room_2)
    laser.providers.add(clinic["a1"], clinic["a2"])
    return room_1, room_2, laser


@unscoped
def occupy(clinic, room: Resource, laser: AppointmentType, start) -> Appointment:
    """provider_a2 gives Omar a Laser in `room` at `start`."""
    return Appointment.objects.create(
        medspa=room.medspa, location=room.location, provider=clinic["a2"], patient=clinic["omar"],
        appointment_type=laser, resource=room, start=start, end=start + timedelta(minutes=45),
        blocked_start=start, blocked_end=start + timedelta(minutes=60),
    )  # fmt: skip


def test_a_booking_from_a_room_column_is_made_in_that_room(admin, clinic):
    room_1, room_2, laser = rooms(clinic)
    day = day_ahead(clinic["location"])
    data = booking_data(clinic, day, patient=clinic["jane"].pk, appointment_type=laser.pk, resource=room_2.pk)
    response = admin.post(PANEL, data, **HTMX)
    assert response.status_code == 200, response.content.decode()
    (appointment,) = appointments_of(clinic["jane"])
    assert appointment.resource_id == room_2.pk  # not Room 1, the first free


def test_without_a_room_the_service_still_picks_the_first_free(admin, clinic):
    room_1, _, laser = rooms(clinic)
    day = day_ahead(clinic["location"])
    admin.post(PANEL, booking_data(clinic, day, patient=clinic["jane"].pk, appointment_type=laser.pk), **HTMX)
    (appointment,) = appointments_of(clinic["jane"])
    assert appointment.resource_id == room_1.pk


def test_the_panel_names_the_room_and_offers_only_the_times_it_is_free(admin, clinic):
    room_1, room_2, laser = rooms(clinic)
    location, day = clinic["location"], day_ahead(clinic["location"])
    occupy(clinic, room_2, laser, value_at(location, day, 10))  # Room 2 blocked 10:00–11:00
    params = {"start": wall(day, 10), "resource": room_2.pk, "provider": clinic["a1"].pk}
    text = admin.get(PANEL, params).content.decode()
    assert "Room: <strong>Room 2</strong>" in text
    assert value(location, day, 10) not in text
    assert value(location, day, 9, 15) not in text  # it would end in Omar's hour (a Laser lasts 45 minutes)
    assert value(location, day, 9) in text and value(location, day, 11) in text
    assert "10:00 AM is not open: Room 2 is taken then." in text
    in_room_1 = admin.get(PANEL, {**params, "resource": room_1.pk}).content.decode()
    assert f'value="{value(location, day, 10)}" checked' in in_room_1


def test_a_service_not_given_in_the_room_is_refused_plainly(admin, clinic):
    """A room no type is given in offers every type, and says each is not given there; booking one in it is
    refused by the booking service. (A room some types are given in offers only those.)"""
    rooms(clinic)
    location, day = clinic["location"], day_ahead(clinic["location"])
    storage = unscoped(Resource.objects.create)(medspa=location.medspa, location=location, name="Room 3")
    params = {"start": wall(day, 10), "resource": storage.pk, "appointment_type": clinic["type"].pk}
    shown = admin.get(PANEL, params).content.decode()
    assert "Neurotoxin is not given in Room 3: choose a service given there." in shown
    assert value(location, day, 10) not in shown  # no time offered
    data = booking_data(clinic, day, patient=clinic["jane"].pk, resource=storage.pk)  # Neurotoxin
    response = admin.post(PANEL, data, **HTMX)
    assert response.status_code == 400
    assert "Neurotoxin is not given in Room 3." in response.content.decode()
    assert appointments_of(clinic["jane"]) == []


@unscoped
def test_an_inactive_room_is_refused(admin, clinic):
    _, room_2, laser = rooms(clinic)
    Resource.objects.filter(pk=room_2.pk).update(is_active=False)
    day = day_ahead(clinic["location"])
    data = booking_data(clinic, day, patient=clinic["jane"].pk, appointment_type=laser.pk, resource=room_2.pk)
    response = admin.post(PANEL, data, **HTMX)
    assert response.status_code == 400
    assert "That room takes no bookings here: click a time in its column again." in response.content.decode()
    assert appointments_of(clinic["jane"]) == []


def test_a_room_taken_meanwhile_is_a_conflict(admin, clinic):
    _, room_2, laser = rooms(clinic)
    location, day = clinic["location"], day_ahead(clinic["location"])
    occupy(clinic, room_2, laser, value_at(location, day, 10))  # after the panel was shown
    data = booking_data(clinic, day, patient=clinic["jane"].pk, appointment_type=laser.pk, resource=room_2.pk)
    response = admin.post(PANEL, data, **HTMX)
    assert response.status_code == 409
    assert "That time is no longer available" in response.content.decode()
    assert appointments_of(clinic["jane"]) == []


@pytest.mark.django_db
@unscoped
def test_the_service_leaves_the_word_on_a_taken_room_to_the_constraint(clinic):
    """The service checks the room is the type's, then lets the room's exclusion constraint refuse an
    overlap: the other room being free does not make the one asked for free."""
    room_1, room_2, laser = rooms(clinic)
    location, day = clinic["location"], day_ahead(clinic["location"])
    occupy(clinic, room_2, laser, value_at(location, day, 10))
    start = value_at(location, day, 10, 30)
    with pytest.raises(SlotUnavailable):
        booking.appointment_book_or_find(
            appointment_type=laser,
            start=start,
            patient=clinic["jane"],
            provider=clinic["a1"],
            resource=room_2,
        )
    with pytest.raises(BookingInvalid, match="Neurotoxin is not given in Room 1."):
        booking.appointment_book_or_find(
            appointment_type=clinic["type"], start=start, patient=clinic["jane"], resource=room_1
        )
    appointment, _ = booking.appointment_book_or_find(
        appointment_type=laser, start=start, patient=clinic["jane"], provider=clinic["a1"], resource=room_1
    )
    assert appointment.resource_id == room_1.pk


def value_at(location, day, hour, minute=0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=location.tz)
