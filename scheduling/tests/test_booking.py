"""The booking rules of scheduling.services.booking and the open slots of scheduling.selectors.slots, on real
PostgreSQL."""

import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from medspa.tenancy import medspa_scope
from scheduling.models import Appointment, AvailabilityOverride, Closure
from scheduling.selectors import slots, statuses
from scheduling.services import booking
from tests import factories

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # a fixed clock: far from "today", inside the horizon


@pytest.fixture(autouse=True)
def _no_notifications(monkeypatch):
    # Notifications have their own tests (test_notifications.py); here only the booking rules matter.
    monkeypatch.setattr("scheduling.services.hooks.appointment_changed", lambda *args, **kwargs: None)


@pytest.fixture
def world(provider_clinic):
    return provider_clinic


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LA)


def book(world, start, **options):
    return booking.appointment_book(
        appointment_type=world["type"],
        start=start,
        patient=world["patient"],
        provider=options.pop("provider", world["provider"]),
        now=NOW,
        **options,
    )


class TestDaylightSaving:
    @pytest.mark.parametrize(
        ("day", "first_utc_hour"),
        [
            (date(2027, 3, 13), 17),  # Saturday, still PST (UTC-8)
            (date(2027, 3, 14), 16),  # Sunday: clocks spring forward, PDT (UTC-7)
            (date(2027, 3, 15), 16),
            (date(2027, 11, 6), 16),  # Saturday, still PDT
            (date(2027, 11, 7), 17),  # Sunday: clocks fall back, PST
            (date(2027, 11, 8), 17),
        ],
    )
    def test_hours_stay_nine_to_five_on_the_wall_clock_across_transitions(self, world, day, first_utc_hour):
        with medspa_scope(world["medspa"]):
            now = datetime(day.year, day.month, 1, tzinfo=UTC)
            day_slots = slots.open_slots(world["type"], day, now=now)
            assert day_slots[0].start == datetime.combine(day, time(first_utc_hour), tzinfo=UTC)
            assert day_slots[0].start.astimezone(LA).time() == time(9)
            assert day_slots[-1].start.astimezone(LA).time() == time(16, 30)
            assert len(day_slots) == 31  # 9:00 … 16:30 every 15 minutes, on a 23- or 25-hour day alike

    def test_a_booking_made_across_the_transition_lands_at_the_wall_clock_time(self, world):
        with medspa_scope(world["medspa"]):
            appointment = book(world, at(date(2027, 3, 14), 10))
            assert appointment.local_start.time() == time(10)
            assert appointment.start == datetime(2027, 3, 14, 17, 0, tzinfo=UTC)


class TestSlots:
    def test_buffers_and_existing_appointments_remove_slots(self, world):
        with medspa_scope(world["medspa"]):
            day = date(2027, 3, 10)
            book(world, at(day, 10))  # 10:00–10:30, blocked until 10:40
            starts = {s.start.astimezone(LA).time() for s in slots.open_slots(world["type"], day, now=NOW)}
            assert time(10) not in starts and time(10, 15) not in starts and time(10, 30) not in starts
            assert time(9, 30) not in starts  # would run into the 10:00 appointment with its 10-minute buffer
            assert time(9, 15) in starts and time(10, 45) in starts

    def test_minimum_notice_and_horizon_bound_the_slots(self, world):
        with medspa_scope(world["medspa"]):
            world["type"].min_notice_minutes = 24 * 60
            world["type"].horizon_days = 10
            world["type"].save()
            now = datetime(2027, 3, 10, 17, 0, tzinfo=UTC)  # 9:00 PST on March 10
            assert slots.open_slots(world["type"], date(2027, 3, 10), now=now) == []
            tomorrow = slots.open_slots(world["type"], date(2027, 3, 11), now=now)
            assert tomorrow[0].start >= now + timedelta(hours=24)
            assert slots.open_slots(world["type"], date(2027, 3, 25), now=now) == []

    def test_time_off_extra_hours_and_closures(self, world, cast):
        with medspa_scope(world["medspa"]):
            day = date(2027, 3, 10)
            provider, location = world["provider"], world["location"]
            AvailabilityOverride.objects.create(
                medspa=cast.medspa_a,
                provider=provider,
                date=day,
                kind="off",
                start_time=time(12),
                end_time=time(14),
            )
            AvailabilityOverride.objects.create(
                medspa=cast.medspa_a,
                provider=provider,
                location=location,
                date=day,
                kind="extra",
                start_time=time(18),
                end_time=time(19),
            )
            starts = {s.start.astimezone(LA).time() for s in slots.open_slots(world["type"], day, now=NOW)}
            assert time(12) not in starts and time(13, 30) not in starts and time(14) in starts
            assert time(18) in starts and time(18, 30) in starts and time(18, 45) not in starts
            AvailabilityOverride.objects.create(
                medspa=cast.medspa_a, provider=provider, date=day + timedelta(days=1), kind="off"
            )
            assert slots.open_slots(world["type"], day + timedelta(days=1), now=NOW) == []
            Closure.objects.create(
                medspa=cast.medspa_a, date=day + timedelta(days=2), reason="Staff training"
            )
            assert slots.open_slots(world["type"], day + timedelta(days=2), now=NOW) == []

    def test_a_needed_room_must_be_free(self, cast, provider, colleague):
        with medspa_scope(cast.medspa_a):
            providers = [provider, colleague]
            _, appointment_type = factories.scheduling_world(cast.medspa_a, providers, rooms=1)
            patient = factories.PatientFactory(medspa=cast.medspa_a)
            start = at(date(2027, 3, 10), 10)
            first = booking.appointment_book(
                appointment_type=appointment_type, start=start, patient=patient, now=NOW
            )
            assert first.resource is not None
            # The other provider is free, but the only room is not.
            with pytest.raises(booking.SlotUnavailable):
                booking.appointment_book(
                    appointment_type=appointment_type,
                    start=start,
                    patient=patient,
                    provider=providers[1] if first.provider == providers[0] else providers[0],
                    now=NOW,
                )

    def test_first_available_skips_days_without_slots(self, world, cast):
        with medspa_scope(world["medspa"]):
            for day in (date(2027, 3, 2), date(2027, 3, 3)):
                Closure.objects.create(medspa=cast.medspa_a, date=day, reason="Renovation")
            evening = datetime(2027, 3, 2, 6, 0, tzinfo=UTC)  # 22:00 on March 1 in Los Angeles
            first = slots.first_available(world["type"], now=evening)
            assert first.start.astimezone(LA) == at(date(2027, 3, 4), 9)


class TestRules:
    @pytest.mark.parametrize(
        ("start", "message"),
        [
            (datetime(2027, 2, 1, 18, 0, tzinfo=UTC), "in the past"),
            (datetime(2027, 3, 10, 6, 0, tzinfo=UTC), "outside the hours"),
            (datetime(2027, 9, 10, 18, 0, tzinfo=UTC), "days ahead"),
            (datetime(2027, 3, 10, 10, 0), "time zone"),
        ],
    )
    def test_bad_requests_get_a_clear_error_and_change_nothing(self, world, start, message):
        with medspa_scope(world["medspa"]):
            with pytest.raises(booking.BookingInvalid, match=message):
                book(world, start)
            assert not Appointment.objects.exists()

    def test_minimum_notice_is_enforced_online(self, world):
        with medspa_scope(world["medspa"]):
            world["type"].min_notice_minutes = 180
            world["type"].save()
            with pytest.raises(booking.BookingInvalid, match="notice"):
                book(world, NOW + timedelta(hours=1), source=Appointment.Source.ONLINE)
            assert not Appointment.objects.exists()

    def test_the_front_desk_may_book_a_walk_in_inside_the_online_notice(self, world):
        with medspa_scope(world["medspa"]):
            world["type"].min_notice_minutes = 180
            world["type"].save()
            walk_in = at(date(2027, 3, 10), 10, 30)
            now = at(date(2027, 3, 10), 10, 20)
            appointment = booking.appointment_book(
                appointment_type=world["type"], start=walk_in, patient=world["patient"],
                provider=world["provider"], now=now,
            )  # fmt: skip
            assert appointment.start == walk_in and appointment.source == Appointment.Source.STAFF
            with pytest.raises(booking.BookingInvalid, match="in the past"):
                booking.appointment_book(
                    appointment_type=world["type"], start=at(date(2027, 3, 10), 10), patient=world["patient"],
                    provider=world["provider"], now=now,
                )  # fmt: skip

    def test_an_inactive_location_or_a_type_the_provider_does_not_offer_is_refused(self, world, colleague):
        with medspa_scope(world["medspa"]):
            other = colleague
            with pytest.raises(booking.BookingInvalid, match="does not offer"):
                book(world, at(date(2027, 3, 10), 10), provider=other)
            world["location"].is_active = False
            world["location"].save()
            with pytest.raises(booking.BookingInvalid, match="not taking bookings"):
                book(world, at(date(2027, 3, 10), 10))
            assert not Appointment.objects.exists()

    def test_a_staff_only_type_cannot_be_booked_online(self, world):
        with medspa_scope(world["medspa"]):
            world["type"].online_bookable = False
            world["type"].save()
            with pytest.raises(booking.BookingInvalid, match="online"):
                book(world, at(date(2027, 3, 10), 10), source="online")

    def test_a_patient_of_another_medspa_is_refused(self, world, cast):
        with medspa_scope(world["medspa"]), pytest.raises(booking.BookingInvalid):
            booking.appointment_book(
                appointment_type=world["type"],
                start=at(date(2027, 3, 10), 10),
                patient=factories.PatientFactory(medspa=cast.medspa_b),
                now=NOW,
            )

    def test_the_same_idempotency_key_books_once(self, world):
        with medspa_scope(world["medspa"]):
            first = book(world, at(date(2027, 3, 10), 10), idempotency_key="key-123456789")
            again = book(world, at(date(2027, 3, 10), 10), idempotency_key="key-123456789")
            assert first.pk == again.pk and Appointment.objects.count() == 1

    def test_reschedule_frees_the_old_time_and_cancel_frees_the_slot(self, world):
        with medspa_scope(world["medspa"]):
            appointment = book(world, at(date(2027, 3, 10), 10))
            booking.appointment_reschedule(appointment=appointment, start=at(date(2027, 3, 10), 11), now=NOW)
            appointment.refresh_from_db()
            assert appointment.local_start.time() == time(11)
            book(world, at(date(2027, 3, 10), 10))  # the old time is free again
            booking.appointment_cancel(appointment=appointment, reason="Patient is ill", now=NOW)
            book(world, at(date(2027, 3, 10), 11))

    def test_patients_may_cancel_online_only_inside_the_window(self, world):
        with medspa_scope(world["medspa"]):
            appointment = book(world, at(date(2027, 3, 2), 10))  # 25 hours after NOW... window is 24 h
            late = NOW + timedelta(hours=20)
            with pytest.raises(booking.BookingInvalid, match="too late"):
                booking.appointment_cancel(appointment=appointment, reason="x", by_patient=True, now=late)
            booking.appointment_cancel(
                appointment=appointment, reason="Can't make it", by_patient=True, now=NOW
            )

    def test_only_sensible_status_changes(self, world):
        with medspa_scope(world["medspa"]):
            appointment = book(world, at(date(2027, 3, 10), 10))
            on_the_day = at(date(2027, 3, 10), 9, 50)
            with pytest.raises(booking.BookingInvalid):
                booking.appointment_status_set(appointment=appointment, status="completed", now=on_the_day)
            booking.appointment_status_set(appointment=appointment, status="checked_in", now=on_the_day)
            booking.appointment_status_set(appointment=appointment, status="completed", now=on_the_day)
            with pytest.raises(booking.BookingInvalid):
                booking.appointment_status_set(appointment=appointment, status="no_show", now=on_the_day)

    def test_an_appointment_days_ahead_cannot_be_marked_a_no_show_nor_checked_in(self, world):
        with medspa_scope(world["medspa"]):
            appointment = book(world, at(date(2027, 3, 10), 10))
            for status in ("no_show", "checked_in"):
                with pytest.raises(booking.BookingInvalid):
                    booking.appointment_status_set(appointment=appointment, status=status, now=NOW)
            appointment.refresh_from_db()
            assert appointment.status == "booked"
            assert statuses.appointment_statuses_allowed(appointment=appointment, now=NOW) == {"confirmed"}

    def test_check_in_opens_on_the_local_day_and_no_show_once_the_time_has_come(self, world):
        # 10:00 in Los Angeles is 18:00 UTC; the evening before in Los Angeles is already that day in UTC.
        with medspa_scope(world["medspa"]):
            appointment = book(world, at(date(2027, 3, 10), 10))
            the_evening_before = at(date(2027, 3, 9), 20)
            assert the_evening_before.astimezone(UTC).date() == date(2027, 3, 10)
            allowed = statuses.appointment_statuses_allowed
            assert allowed(appointment=appointment, now=the_evening_before) == {"confirmed"}
            assert allowed(appointment=appointment, now=at(date(2027, 3, 10), 9, 59)) == {
                "confirmed",
                "checked_in",
            }
            assert allowed(appointment=appointment, now=at(date(2027, 3, 10), 10)) == {
                "confirmed", "checked_in", "no_show"
            }  # fmt: skip
            booking.appointment_status_set(
                appointment=appointment, status="no_show", now=at(date(2027, 3, 10), 10, 20)
            )
            appointment.refresh_from_db()
            assert appointment.status == "no_show"


class TestTheDatabaseRefusesDoubleBooking:
    def test_an_overlapping_insert_is_refused_even_past_the_code(self, world):
        with medspa_scope(world["medspa"]):
            first = book(world, at(date(2027, 3, 10), 10))
            clash = Appointment(
                medspa=first.medspa,
                location=first.location,
                provider=first.provider,
                patient=first.patient,
                appointment_type=first.appointment_type,
                start=first.start + timedelta(minutes=15),
                end=first.end + timedelta(minutes=15),
                blocked_start=first.start + timedelta(minutes=15),
                blocked_end=first.end + timedelta(minutes=25),
            )
            with (
                pytest.raises(IntegrityError, match="appointment_no_provider_double_booking"),
                transaction.atomic(),
            ):
                clash.save()

    def test_a_cancelled_appointment_does_not_hold_the_time(self, world):
        with medspa_scope(world["medspa"]):
            first = book(world, at(date(2027, 3, 10), 10))
            Appointment.objects.filter(pk=first.pk).update(status="cancelled")
            book(world, at(date(2027, 3, 10), 10))
            assert Appointment.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_bookings_of_one_slot_make_exactly_one_appointment(cast, provider):
    """Real threads, each with its own connection to real PostgreSQL, released together."""
    _, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])
    patients = [factories.PatientFactory(medspa=cast.medspa_a) for _ in range(20)]
    start = at(date(2027, 3, 10), 10)
    barrier = threading.Barrier(20)
    results: list[str] = []

    def attempt(patient):
        try:
            barrier.wait()
            booking.appointment_book(
                appointment_type=appointment_type, start=start, patient=patient, provider=provider, now=NOW
            )
            results.append("booked")
        except booking.SlotUnavailable as error:
            results.append(f"unavailable: {error}")
        except (DatabaseError, booking.BookingError) as error:  # anything else is a failure of the test
            results.append(f"error: {error!r}")
        finally:
            connection.close()

    from django_scopes import scopes_disabled

    def run(patient):
        with scopes_disabled():
            attempt(patient)

    threads = [threading.Thread(target=run, args=(patient,)) for patient in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("booked") == 1, results
    assert sum(result.startswith("unavailable: That time is no longer available") for result in results) == 19
    with medspa_scope(cast.medspa_a):
        assert Appointment.objects.filter(status="booked").count() == 1


def test_locations_whose_names_look_alike_get_distinct_booking_links(cast):
    with medspa_scope(cast.medspa_a):
        from scheduling.models import Location

        fields = {
            "medspa": cast.medspa_a, "address_line1": "1 Main", "city": "X", "state": "CA",
            "postal_code": "92101",
            "time_zone": "America/Los_Angeles",
        }  # fmt: skip
        first = Location.objects.create(name="La Jolla", **fields)
        second = Location.objects.create(name="La  Jolla!", **fields)
        assert (first.slug, second.slug) == ("la-jolla", "la-jolla-2")
