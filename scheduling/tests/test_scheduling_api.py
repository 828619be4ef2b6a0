"""The Scheduling API (/api/v1/): the same booking rules as the pages, 409 for a time taken meanwhile, the
caller's medspa only, and exactly one booking when twenty clients race for one slot."""

import threading
from datetime import datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from medspa.models import Membership, Patient
from medspa.services.accounts import api_token_create
from medspa.tenancy import medspa_scope
from scheduling.api.serializers import AppointmentBookSerializer, MedspaRelated
from scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentType, AvailabilityRule, Location
from scheduling.selectors import slots
from scheduling.services import booking
from tests import factories
from tests.factories import unscoped

LA = ZoneInfo("America/Los_Angeles")
APPOINTMENTS = "/api/v1/appointments/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def day_ahead(days: int = 7):
    return timezone.now().astimezone(LA).date() + timedelta(days=days)


def at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LA)


@unscoped
def membership(user) -> Membership:
    return user.memberships.get()


@pytest.fixture
def no_notifications(monkeypatch):
    # These tests are about the API's booking rules, not notifications (scheduling.services.notifications has
    # its own tests): the hook that queues them after commit is silenced here.
    monkeypatch.setattr("scheduling.services.hooks.appointment_changed", lambda *args, **kwargs: None)


@pytest.fixture
def coordinator(cast):
    return factories.MembershipFactory(medspa=cast.medspa_a, is_provider=False, is_coordinator=True).user


@pytest.fixture
def world(provider_clinic, no_notifications):
    return provider_clinic


def payload(world, start, **extra) -> dict:
    data = {
        "appointment_type": world["type"].pk,
        "patient": world["patient"].pk,
        "provider": world["provider"].pk,
        "start": start.isoformat() if isinstance(start, datetime) else start,
    }
    return {**data, **extra}


def book_directly(world, start, **options) -> Appointment:
    with medspa_scope(world["medspa"]):  # as the calendar page books it
        return booking.appointment_book(
            appointment_type=world["type"], start=start, patient=options.pop("patient", world["patient"]),
            provider=options.pop("provider", world["provider"]), **options,
        )  # fmt: skip


@unscoped
def add_hours(cast, provider, location):
    for weekday in range(7):
        AvailabilityRule.objects.create(
            medspa=cast.medspa_a, provider=provider, location=location, weekday=weekday,
            start_time=time(9), end_time=time(17),
        )  # fmt: skip


class TestBookingCycle:
    def test_book_reschedule_confirm_cancel(self, cast, world, coordinator):
        client = api(coordinator)
        day = day_ahead()
        response = client.post(APPOINTMENTS, payload(world, at(day, 10), notes="First visit"), format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["start"] == at(day, 10).isoformat()  # in the location's zone, with its offset
        assert body["end"] == at(day, 10, 30).isoformat()  # derived from the type's 30 minutes
        assert body["status"] == "booked" and body["notes"] == "First visit"
        assert body["provider"] == world["provider"].pk and body["time_zone"] == "America/Los_Angeles"
        pk = body["id"]
        with medspa_scope(world["medspa"]):
            appointment = Appointment.objects.get(pk=pk)
        assert appointment.created_by == coordinator and appointment.source == "staff"

        response = client.post(
            f"{APPOINTMENTS}{pk}/reschedule/", {"start": at(day, 14).isoformat()}, format="json"
        )
        assert response.status_code == 200, response.json()
        assert response.json()["start"] == at(day, 14).isoformat()
        with medspa_scope(world["medspa"]):
            appointment.refresh_from_db()
        assert appointment.start == at(day, 14) and appointment.blocked_end == at(day, 14, 40)

        # The provider confirms their own appointment.
        response = api(cast.provider_a1).post(
            f"{APPOINTMENTS}{pk}/status/", {"status": "confirmed"}, format="json"
        )
        assert response.status_code == 200 and response.json()["status"] == "confirmed"

        response = client.post(
            f"{APPOINTMENTS}{pk}/cancel/", {"reason": "Patient is travelling"}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["status"] == "cancelled"
        assert response.json()["cancel_reason"] == "Patient is travelling"
        with medspa_scope(world["medspa"]):
            appointment.refresh_from_db()
        assert appointment.status == "cancelled" and appointment.cancelled_at is not None

        # Both the first and the rescheduled time are free again.
        for hour in (10, 14):
            again = client.post(APPOINTMENTS, payload(world, at(day, hour)), format="json")
            assert again.status_code == 201, again.json()

    def test_a_provider_moves_their_appointment_through_its_statuses(self, cast, world):
        appointment = book_directly(world, at(day_ahead(), 10))
        client = api(cast.provider_a1)
        url = f"{APPOINTMENTS}{appointment.pk}/status/"
        early = client.post(url, {"status": "no_show"}, format="json")
        assert early.status_code == 400
        assert early.json() == {
            "detail": "An appointment can be marked a no-show only once its time has come."
        }
        with time_machine.travel(appointment.start - timedelta(minutes=10)):
            for status in ("checked_in", "completed"):
                response = client.post(url, {"status": status}, format="json")
                assert response.status_code == 200 and response.json()["status"] == status
            refused = client.post(url, {"status": "no_show"}, format="json")
        assert refused.status_code == 400
        assert refused.json() == {"detail": "A completed appointment cannot become no-show."}
        for status in ("booked", "cancelled", "teleported"):
            unknown = client.post(url, {"status": status}, format="json")
            assert unknown.status_code == 400 and "is not a status to set" in unknown.json()["status"][0]
        with medspa_scope(world["medspa"]):
            appointment.refresh_from_db()
        assert appointment.status == "completed"

    def test_without_a_provider_whoever_is_free_is_booked(self, cast, world, coordinator):
        second = membership(cast.provider_a2)
        with medspa_scope(world["medspa"]):
            world["location"].providers.add(second)
            world["type"].providers.add(second)
        add_hours(cast, second, world["location"])
        start = at(day_ahead(), 11)
        data = payload(world, start)
        del data["provider"]
        client = api(coordinator)
        first, other = (client.post(APPOINTMENTS, data, format="json") for _ in range(2))
        assert (first.status_code, other.status_code) == (201, 201)
        assert {first.json()["provider"], other.json()["provider"]} == {world["provider"].pk, second.pk}
        third = client.post(APPOINTMENTS, data, format="json")
        assert third.status_code == 409 and "no longer available" in third.json()["detail"]

    def test_the_booking_queues_its_confirmation_after_commit(
        self, world, coordinator, monkeypatch, django_capture_on_commit_callbacks
    ):
        # The hook itself, not the notifications it sends (those have their own tests).
        calls = []
        monkeypatch.setattr(
            "scheduling.services.hooks.appointment_changed", lambda a, kind: calls.append((a.pk, kind))
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = api(coordinator).post(APPOINTMENTS, payload(world, at(day_ahead(), 10)), format="json")
        assert response.status_code == 201
        assert calls == [(response.json()["id"], "confirmation")]


class TestWhatABookingCosts:
    def test_a_booking_through_the_api_makes_a_fixed_few_queries(
        self, world, coordinator, django_assert_num_queries
    ):
        client = api(coordinator)
        data = payload(world, at(day_ahead(), 10), idempotency_key="pinned-1")
        with django_assert_num_queries(8):
            # the request's transaction (a savepoint inside the test's); the caller's membership and medspa;
            # their second factor; the appointment type with its location, the patient and the provider
            # with their user (one query: scheduling.selectors.booking_request); the start's hours, rooms
            # and what overlaps it, and whether the provider offers the type (one query); the provider's
            # row lock; the insert with its savepoint (one round trip: scheduling.services.placing); the
            # request's savepoint released. The service opens no savepoint of Django's inside the request's
            # transaction; no look-up of the key (the insert meets it), no read again.
            response = client.post(APPOINTMENTS, data, format="json")
        assert response.status_code == 201, response.json()

    def test_with_an_api_token_the_caller_is_one_query(self, world, coordinator, django_assert_num_queries):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=coordinator)[1]}")
        assert client.get(APPOINTMENTS).status_code == 200  # the token's first use is written (once a minute)
        data = payload(world, at(day_ahead(), 10), idempotency_key="pinned-token")
        with django_assert_num_queries(7):
            # as above, but the token, its user, their second factor and their memberships with their
            # medspas are one query (medspa.api.auth)
            response = client.post(APPOINTMENTS, data, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["patient"] == world["patient"].pk

    def test_the_answer_is_the_appointment_as_read_afterwards(self, cast, world, coordinator):
        second = membership(cast.provider_a2)
        with medspa_scope(world["medspa"]):
            world["location"].providers.add(second)
            world["type"].providers.add(second)
        add_hours(cast, second, world["location"])
        client = api(coordinator)
        anyone = payload(world, at(day_ahead(), 11), notes="Any provider", idempotency_key="read-1")
        del anyone["provider"]
        for data in (payload(world, at(day_ahead(), 10), notes="First visit"), anyone, anyone):
            answer = client.post(APPOINTMENTS, data, format="json")
            assert answer.status_code in (200, 201), answer.json()
            assert answer.json() == client.get(f"{APPOINTMENTS}{answer.json()['id']}/").json()
        assert answer.status_code == 200  # the same key again: the first booking

    def test_a_retry_for_anyone_stops_at_the_first_insert_that_meets_its_key(self, cast, world, coordinator):
        """The first booking took one provider; the retry's start then offers the others, and the insert's
        conflict is the key's: one look-up of the key, not an insert per provider left."""
        others = [membership(user) for user in (cast.provider_a2, cast.admin_a)]
        with medspa_scope(world["medspa"]):
            for other in others:
                other.is_provider = True
                other.save(update_fields=["is_provider"])
                world["location"].providers.add(other)
                world["type"].providers.add(other)
                add_hours(cast, other, world["location"])
        client = api(coordinator)
        anyone = payload(world, at(day_ahead(), 11), idempotency_key="anyone-1")
        del anyone["provider"]
        first = client.post(APPOINTMENTS, anyone, format="json")
        assert first.status_code == 201
        with CaptureQueriesContext(connection) as queries:
            retry = client.post(APPOINTMENTS, anyone, format="json")
        assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
        inserts = [
            q["sql"] for q in queries if "INSERT INTO" in q["sql"] and "scheduling_appointment" in q["sql"]
        ]
        assert len(inserts) == 1  # two providers were still free: the second was not tried
        with medspa_scope(world["medspa"]):
            assert Appointment.objects.filter(idempotency_key="anyone-1").count() == 1

    def test_a_retry_finds_its_booking_even_once_its_time_has_passed(self, world, coordinator):
        client = api(coordinator)
        start = at(day_ahead(), 10)
        first = client.post(APPOINTMENTS, payload(world, start, idempotency_key="late-1"), format="json")
        assert first.status_code == 201
        with time_machine.travel(start + timedelta(hours=1)):
            retry = client.post(APPOINTMENTS, payload(world, start, idempotency_key="late-1"), format="json")
        assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]


def test_staff_book_inside_the_online_minimum_notice(cast, world, coordinator):
    # The minimum notice is the online rule for patients; the front desk books a walk-in through the API.
    world["type"].min_notice_minutes = 30 * 24 * 60
    with medspa_scope(world["medspa"]):
        world["type"].save()
    response = api(coordinator).post(APPOINTMENTS, payload(world, at(day_ahead(), 10)), format="json")
    assert response.status_code == 201, response.json()


class TestBadInputChangesNothing:
    """Every refused booking answers 400 with a reason a person can act on, and stores nothing."""

    @pytest.mark.parametrize(
        ("case", "field", "message"),
        [
            ("past", "detail", "in the past"),
            ("outside_hours", "detail", "outside the hours"),
            ("beyond_horizon", "detail", "90 days ahead"),
            ("inactive_location", "detail", "not taking bookings"),
            ("inactive_type", "detail", "cannot be booked"),
            ("provider_does_not_offer", "detail", "does not offer"),
            ("end_before_start", "end", "after the start"),
            ("end_equals_start", "end", "after the start"),
            ("end_not_the_length", "end", "lasts 30 minutes"),
            ("naive_start", "start", "time zone"),
            ("not_a_time", "start", "ISO 8601"),
            ("missing_start", "start", "required"),
            ("archived_patient", "patient", "archived"),
            ("no_patient", "patient", "required"),
        ],
    )
    def test_each_bad_booking_is_refused_with_its_reason(
        self, cast, world, coordinator, case, field, message
    ):
        day = day_ahead()
        start = at(day, 10)
        data = payload(world, start)
        if case == "past":
            data["start"] = at(day_ahead(-2), 10).isoformat()
        elif case == "outside_hours":
            data["start"] = at(day, 20).isoformat()
        elif case == "beyond_horizon":
            data["start"] = at(day_ahead(120), 10).isoformat()
        elif case == "inactive_location":
            with medspa_scope(world["medspa"]):
                Location.objects.filter(pk=world["location"].pk).update(is_active=False)
        elif case == "inactive_type":
            world["type"].is_active = False
            with medspa_scope(world["medspa"]):
                world["type"].save()
        elif case == "provider_does_not_offer":
            data["provider"] = membership(cast.provider_a2).pk
        elif case == "end_before_start":
            data["end"] = (start - timedelta(minutes=30)).isoformat()
        elif case == "end_equals_start":
            data["end"] = start.isoformat()
        elif case == "end_not_the_length":
            data["end"] = (start + timedelta(minutes=45)).isoformat()
        elif case == "naive_start":
            data["start"] = start.replace(tzinfo=None).isoformat()
        elif case == "not_a_time":
            data["start"] = "next tuesday at ten"
        elif case == "missing_start":
            del data["start"]
        elif case == "archived_patient":
            world["patient"].status = "archived"
            with medspa_scope(world["medspa"]):
                world["patient"].save()
        elif case == "no_patient":
            del data["patient"]
        response = api(coordinator).post(APPOINTMENTS, data, format="json")
        assert response.status_code == 400, response.json()
        body = response.json()
        assert field in body, body
        text = body[field] if isinstance(body[field], str) else " ".join(body[field])
        assert message in text, body
        with medspa_scope(world["medspa"]):
            assert Appointment.objects.count() == 0

    def test_the_time_zone_message_says_how_to_give_one(self, world, coordinator):
        data = payload(world, "2030-03-10T10:00:00")
        response = api(coordinator).post(APPOINTMENTS, data, format="json")
        assert response.status_code == 400
        assert response.json() == {
            "start": ["Give the time with its time zone (for example 2026-03-10T10:00:00-07:00)."]
        }

    @pytest.mark.parametrize(
        ("change", "field", "message"),
        [
            ({"start": "PAST"}, "detail", "in the past"),
            ({"start": "EVENING"}, "detail", "outside the hours"),
            ({"start": "NAIVE"}, "start", "time zone"),
            ({"start": "LATER", "end": "EARLIER"}, "end", "after the start"),
            ({"start": "LATER", "provider": "OTHER_MEDSPA"}, "provider", "does not exist"),
            ({"start": "LATER", "provider": "NOT_OFFERING"}, "detail", "does not offer"),
        ],
    )
    def test_a_refused_reschedule_leaves_the_appointment_where_it_was(
        self, cast, world, coordinator, change, field, message
    ):
        day = day_ahead()
        appointment = book_directly(world, at(day, 10))
        values = {
            "PAST": at(day_ahead(-1), 10).isoformat(),
            "EVENING": at(day, 21).isoformat(),
            "NAIVE": at(day, 12).replace(tzinfo=None).isoformat(),
            "LATER": at(day, 12).isoformat(),
            "EARLIER": at(day, 11).isoformat(),
            "OTHER_MEDSPA": membership(cast.provider_b).pk,
            "NOT_OFFERING": membership(cast.provider_a2).pk,
        }
        data = {name: values[value] for name, value in change.items()}
        response = api(coordinator).post(f"{APPOINTMENTS}{appointment.pk}/reschedule/", data, format="json")
        assert response.status_code == 400, response.json()
        assert message in str(response.json()[field])
        with medspa_scope(world["medspa"]):
            unchanged = Appointment.objects.get(pk=appointment.pk)
        assert (unchanged.start, unchanged.provider_id, unchanged.status) == (
            at(day, 10),
            world["provider"].pk,
            "booked",
        )

    def test_a_cancel_needs_a_reason_and_only_once(self, world, coordinator):
        appointment = book_directly(world, at(day_ahead(), 10))
        client = api(coordinator)
        url = f"{APPOINTMENTS}{appointment.pk}/cancel/"
        for data in ({}, {"reason": ""}, {"reason": "   "}):
            assert client.post(url, data, format="json").status_code == 400
        with medspa_scope(world["medspa"]):
            assert Appointment.objects.get(pk=appointment.pk).status == "booked"
        assert client.post(url, {"reason": "Ill"}, format="json").status_code == 200
        again = client.post(url, {"reason": "Ill"}, format="json")
        assert (
            again.status_code == 400 and "cancelled appointment cannot be cancelled" in again.json()["detail"]
        )


class TestConflictsAndRetries:
    def test_a_time_taken_meanwhile_is_409_and_books_nothing(self, world, coordinator):
        start = at(day_ahead(), 10)
        book_directly(world, start)
        response = api(coordinator).post(APPOINTMENTS, payload(world, start), format="json")
        assert response.status_code == 409
        assert response.json() == {"detail": "That time is no longer available: please choose another."}
        # Overlapping the buffer counts too: 9:45–10:15 (+10 minutes) runs into the 10:00 appointment.
        overlapping = api(coordinator).post(
            APPOINTMENTS, payload(world, at(day_ahead(), 9, 45)), format="json"
        )
        assert overlapping.status_code == 409
        with medspa_scope(world["medspa"]):
            assert Appointment.objects.count() == 1

    def test_a_reschedule_onto_a_taken_time_is_409(self, world, coordinator):
        day = day_ahead()
        moving = book_directly(world, at(day, 10))
        book_directly(world, at(day, 14), patient=factories.PatientFactory(medspa=world["patient"].medspa))
        response = api(coordinator).post(
            f"{APPOINTMENTS}{moving.pk}/reschedule/", {"start": at(day, 14).isoformat()}, format="json"
        )
        assert response.status_code == 409 and "no longer available" in response.json()["detail"]
        with medspa_scope(world["medspa"]):
            assert Appointment.objects.get(pk=moving.pk).start == at(day, 10)

    def test_the_same_idempotency_key_books_once(self, world, coordinator):
        client = api(coordinator)
        data = payload(world, at(day_ahead(), 10), idempotency_key="form-7f3a")
        first = client.post(APPOINTMENTS, data, format="json")
        retry = client.post(APPOINTMENTS, data, format="json")
        assert (first.status_code, retry.status_code) == (201, 200)
        assert first.json()["id"] == retry.json()["id"]
        assert first.json()["idempotency_key"] == "form-7f3a"
        with medspa_scope(world["medspa"]):
            assert Appointment.objects.count() == 1
        # Another key is another booking (and here, a taken time).
        other = client.post(APPOINTMENTS, {**data, "idempotency_key": "form-8b2c"}, format="json")
        assert other.status_code == 409
        with medspa_scope(world["medspa"]):
            assert Appointment.objects.count() == 1


class TestWhoSeesAndDoesWhat:
    @pytest.fixture
    @unscoped
    def two_providers(self, cast, world):
        second = membership(cast.provider_a2)
        world["location"].providers.add(second)
        world["type"].providers.add(second)
        add_hours(cast, second, world["location"])
        day = day_ahead()
        mine = book_directly(world, at(day, 10))
        theirs = book_directly(world, at(day, 10), provider=second)
        return mine, theirs

    def test_a_provider_sees_only_their_own_appointments(self, cast, world, coordinator, two_providers):
        mine, theirs = two_providers
        client = api(cast.provider_a1)
        listed = client.get(APPOINTMENTS).json()
        assert [row["id"] for row in listed["results"]] == [mine.pk]
        assert client.get(f"{APPOINTMENTS}{theirs.pk}/").status_code == 404
        assert client.post(f"{APPOINTMENTS}{theirs.pk}/status/", {"status": "confirmed"}).status_code == 404
        for who in (cast.admin_a, coordinator):
            everyone = api(who).get(APPOINTMENTS).json()
            assert {row["id"] for row in everyone["results"]} == {mine.pk, theirs.pk}

    def test_a_provider_neither_books_nor_reschedules_nor_cancels(self, cast, world, two_providers):
        mine, _ = two_providers
        client = api(cast.provider_a1)
        assert (
            client.post(APPOINTMENTS, payload(world, at(day_ahead(), 15)), format="json").status_code == 403
        )
        later = {"start": at(day_ahead(), 15).isoformat()}
        assert client.post(f"{APPOINTMENTS}{mine.pk}/reschedule/", later, format="json").status_code == 403
        assert (
            client.post(f"{APPOINTMENTS}{mine.pk}/cancel/", {"reason": "x"}, format="json").status_code == 403
        )
        with medspa_scope(world["medspa"]):
            assert Appointment.objects.count() == 2 and Appointment.objects.get(pk=mine.pk).status == "booked"

    def test_the_list_filters(self, cast, world, coordinator, two_providers):
        mine, theirs = two_providers
        day = day_ahead()
        tomorrow = book_directly(world, at(day + timedelta(days=1), 9))
        client = api(coordinator)

        def ids(**params):
            response = client.get(APPOINTMENTS, params)
            assert response.status_code == 200, response.json()
            return {row["id"] for row in response.json()["results"]}

        assert ids() == {mine.pk, theirs.pk, tomorrow.pk}
        window = {
            "start__gte": at(day, 0).isoformat(),
            "start__lt": at(day + timedelta(days=1), 0).isoformat(),
        }
        assert ids(**window) == {mine.pk, theirs.pk}
        assert ids(**window, provider=world["provider"].pk) == {mine.pk}
        assert ids(start__gte=at(day + timedelta(days=1), 0).isoformat()) == {tomorrow.pk}
        assert ids(location=world["location"].pk, status="booked") == {mine.pk, theirs.pk, tomorrow.pk}
        with medspa_scope(world["medspa"]):
            booking.appointment_cancel(appointment=theirs, reason="Moved away")
        assert ids(status="cancelled") == {theirs.pk}
        # An unencoded "+" in the query string arrives as a space: still read as the offset.
        utc = at(day + timedelta(days=1), 0).astimezone(ZoneInfo("Asia/Tokyo")).isoformat()
        assert ids(start__gte=utc) == {tomorrow.pk}
        assert client.get(f"{APPOINTMENTS}?start__gte={utc}").status_code == 200

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"start__gte": "2030-01-01T00:00:00"}, "start__gte"),
            ({"start__lt": "soon"}, "start__lt"),
            ({"start__gte": "2030-01-02T00:00:00Z", "start__lt": "2030-01-01T00:00:00Z"}, "start__lt"),
            ({"status": "teleported"}, "status"),
            ({"provider": "abc"}, "provider"),
            ({"location": 999999}, "location"),
        ],
    )
    def test_bad_filters_are_400(self, world, coordinator, params, field):
        response = api(coordinator).get(APPOINTMENTS, params)
        assert response.status_code == 400 and field in response.json()

    def test_locations_and_types_are_read_by_members_and_written_by_admins(self, cast, world, coordinator):
        for who in (cast.admin_a, cast.provider_a1, coordinator):
            assert api(who).get("/api/v1/locations/").json()["count"] == 1
            assert api(who).get("/api/v1/appointment-types/").json()["count"] == 1
        new = {"name": "La Jolla", "address_line1": "2 Shore Rd", "city": "La Jolla", "state": "ca",
               "postal_code": "92037", "time_zone": "America/Los_Angeles",
               "providers": [world["provider"].pk]}  # fmt: skip
        for who in (cast.provider_a1, coordinator):
            assert api(who).post("/api/v1/locations/", new, format="json").status_code == 403
        response = api(cast.admin_a).post("/api/v1/locations/", new, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["state"] == "CA" and response.json()["providers"] == [world["provider"].pk]
        duplicate = api(cast.admin_a).post("/api/v1/locations/", new, format="json")
        assert duplicate.status_code == 400 and "name" in duplicate.json()
        elsewhere = {**new, "name": "X", "time_zone": "Mars/Base"}
        bad_zone = api(cast.admin_a).post("/api/v1/locations/", elsewhere, format="json")
        assert bad_zone.status_code == 400 and "time_zone" in bad_zone.json()

        kind = {"location": world["location"].pk, "service": world["type"].service_id, "name": "Filler",
                "duration_minutes": 60, "price": "650.00", "providers": [world["provider"].pk]}  # fmt: skip
        assert (
            api(cast.provider_a1).post("/api/v1/appointment-types/", kind, format="json").status_code == 403
        )
        created = api(cast.admin_a).post("/api/v1/appointment-types/", kind, format="json")
        assert created.status_code == 201, created.json()
        patched = api(cast.admin_a).patch(
            f"/api/v1/appointment-types/{created.json()['id']}/", {"duration_minutes": 2}, format="json"
        )
        assert patched.status_code == 400 and "duration_minutes" in patched.json()

    def test_availability_admins_write_providers_read_their_own(self, cast, world, coordinator):
        rules = "/api/v1/availability-rules/"
        rule = {"provider": world["provider"].pk, "location": world["location"].pk, "weekday": 0,
                "start_time": "18:00", "end_time": "20:00"}  # fmt: skip
        assert api(cast.provider_a1).post(rules, rule, format="json").status_code == 403
        assert api(coordinator).post(rules, rule, format="json").status_code == 403
        created = api(cast.admin_a).post(rules, rule, format="json")
        assert created.status_code == 201, created.json()
        backwards = api(cast.admin_a).post(rules, {**rule, "end_time": "17:00"}, format="json")
        assert backwards.status_code == 400 and "end_time" in backwards.json()
        overlapping = api(cast.admin_a).post(rules, {**rule, "start_time": "16:00"}, format="json")
        assert overlapping.status_code == 400 and "overlaps" in str(overlapping.json())

        mine = api(cast.provider_a1).get(rules).json()
        assert mine["count"] == 8 and {row["provider"] for row in mine["results"]} == {world["provider"].pk}
        assert api(cast.provider_a2).get(rules).json()["count"] == 0
        assert api(cast.provider_a2).get(f"{rules}{created.json()['id']}/").status_code == 404
        assert api(coordinator).get(rules).json()["count"] == 8
        assert api(cast.admin_a).delete(f"{rules}{created.json()['id']}/").status_code == 204

        overrides = "/api/v1/availability-overrides/"
        extra = {"provider": world["provider"].pk, "date": day_ahead().isoformat(), "kind": "extra",
                 "start_time": "18:00", "end_time": "19:00"}  # fmt: skip
        no_place = api(cast.admin_a).post(overrides, extra, format="json")
        assert no_place.status_code == 400 and "location" in no_place.json()
        placed = api(cast.admin_a).post(overrides, {**extra, "location": world["location"].pk}, format="json")
        assert placed.status_code == 201, placed.json()
        off = {"provider": world["provider"].pk, "date": day_ahead(2).isoformat(), "kind": "off"}
        past = api(cast.admin_a).post(overrides, {**off, "date": day_ahead(-3).isoformat()}, format="json")
        assert past.status_code == 400 and "date" in past.json()
        assert api(cast.admin_a).post(overrides, off, format="json").status_code == 201
        assert api(cast.provider_a1).get(overrides).json()["count"] == 2
        assert api(cast.provider_a2).get(overrides).json()["count"] == 0

        closures = "/api/v1/closures/"
        closed = {"date": day_ahead(3).isoformat(), "reason": "Staff training"}
        assert api(cast.provider_a1).post(closures, closed, format="json").status_code == 403
        assert api(cast.admin_a).post(closures, closed, format="json").status_code == 201
        assert api(cast.provider_a1).get(closures).json()["count"] == 1
        # What the API wrote is what the slots see.
        with medspa_scope(world["medspa"]):
            assert slots.open_slots(world["type"], day_ahead(3)) == []
            assert slots.open_slots(world["type"], day_ahead(2)) == []
            assert any(s.start == at(day_ahead(), 18) for s in slots.open_slots(world["type"], day_ahead()))


class TestOtherMedspas:
    def test_another_medspas_ids_in_a_booking_are_400_and_book_nothing(self, cast, world, coordinator):
        location_b, type_b = factories.scheduling_world(cast.medspa_b, [membership(cast.provider_b)])
        patient_b = factories.PatientFactory(medspa=cast.medspa_b)
        start = at(day_ahead(), 10)
        client = api(coordinator)
        for field, value in [
            ("patient", patient_b.pk),
            ("appointment_type", type_b.pk),
            ("provider", membership(cast.provider_b).pk),
        ]:
            response = client.post(APPOINTMENTS, payload(world, start, **{field: value}), format="json")
            assert response.status_code == 400, (field, response.json())
            assert "does not exist" in str(response.json()[field])
        with medspa_scope(world["medspa"]):
            assert Appointment.objects.count() == 0

    def test_a_bookings_ids_are_answered_as_the_orms_look_up_answers_them(self, cast, world, coordinator):
        # The booking serializer reads its three rows in one statement; each id must still be refused (or
        # found) exactly as a PrimaryKeyRelatedField of the caller's medspa would: the reference below.
        class Reference(serializers.Serializer):
            appointment_type = MedspaRelated(model=AppointmentType)
            patient = MedspaRelated(model=Patient)
            provider = MedspaRelated(
                model=Membership, filters={"is_provider": True}, required=False, allow_null=True
            )

        location_b, type_b = factories.scheduling_world(cast.medspa_b, [membership(cast.provider_b)])
        patient_b = factories.PatientFactory(medspa=cast.medspa_b)
        not_a_provider = membership(coordinator).pk
        odd = ["abc", "", " 7 ", True, -1, 0, 2**63, 2**70, 1.5, [1], {"id": 1}, None, "١"]
        mine = {"appointment_type": world["type"].pk, "patient": world["patient"].pk,
                "provider": world["provider"].pk}  # fmt: skip
        theirs = {"appointment_type": type_b.pk, "patient": patient_b.pk,
                  "provider": membership(cast.provider_b).pk}  # fmt: skip
        context = {"request": SimpleNamespace(medspa=world["medspa"])}
        start = at(day_ahead(), 10).isoformat()
        with medspa_scope(world["medspa"]):
            for field in mine:
                values = [*odd, mine[field], theirs[field], str(mine[field]), mine[field] + 0.5]
                values += [not_a_provider] if field == "provider" else []
                for value in values:
                    data = {**mine, field: value, "start": start}
                    ours = AppointmentBookSerializer(data=data, context=context)
                    reference = Reference(data=data, context=context)
                    assert ours.is_valid() == reference.is_valid(), (field, value)
                    assert ours.errors.get(field) == reference.errors.get(field), (field, value)
                    if field in ours.validated_data:
                        assert ours.validated_data[field] == reference.validated_data[field]

    def test_another_medspas_things_are_404_or_400(self, cast, world):
        appointment = book_directly(world, at(day_ahead(), 10))
        location_b, type_b = factories.scheduling_world(cast.medspa_b, [membership(cast.provider_b)])
        client_b = api(cast.admin_b)
        assert client_b.get(f"{APPOINTMENTS}{appointment.pk}/").status_code == 404
        assert client_b.get(APPOINTMENTS).json()["count"] == 0
        later = {"start": at(day_ahead(), 12).isoformat()}
        assert (
            client_b.post(f"{APPOINTMENTS}{appointment.pk}/reschedule/", later, format="json").status_code
            == 404
        )
        assert client_b.post(f"{APPOINTMENTS}{appointment.pk}/cancel/", {"reason": "x"}).status_code == 404
        assert (
            client_b.get(f"/api/v1/appointment-types/{world['type'].pk}/slots/?date=2030-01-01").status_code
            == 404
        )
        assert client_b.get(f"/api/v1/locations/{world['location'].pk}/").status_code == 404
        with medspa_scope(world["medspa"]):
            assert Appointment.objects.get(pk=appointment.pk).start == at(day_ahead(), 10)

        # Medspa A's admin naming medspa B's things in a body: "does not exist".
        client_a = api(cast.admin_a)
        other_provider = membership(cast.provider_b).pk
        rule = {"provider": other_provider, "location": world["location"].pk, "weekday": 0,
                "start_time": "09:00", "end_time": "10:00"}  # fmt: skip
        response = client_a.post("/api/v1/availability-rules/", rule, format="json")
        assert response.status_code == 400 and "does not exist" in str(response.json()["provider"])
        rule = {**rule, "provider": world["provider"].pk, "location": location_b.pk}
        response = client_a.post("/api/v1/availability-rules/", rule, format="json")
        assert response.status_code == 400 and "does not exist" in str(response.json()["location"])
        kind = {"location": location_b.pk, "service": world["type"].service_id, "name": "Filler",
                "duration_minutes": 60, "price": "650.00"}  # fmt: skip
        response = client_a.post("/api/v1/appointment-types/", kind, format="json")
        assert response.status_code == 400 and "location" in response.json()
        kind = {**kind, "location": world["location"].pk, "service": type_b.service_id}
        response = client_a.post("/api/v1/appointment-types/", kind, format="json")
        assert response.status_code == 400 and "service" in response.json()
        new = {"name": "B's place?", "address_line1": "1", "city": "X", "state": "CA", "postal_code": "92101",
               "time_zone": "America/Los_Angeles", "providers": [other_provider]}  # fmt: skip
        response = client_a.post("/api/v1/locations/", new, format="json")
        assert response.status_code == 400 and "providers" in response.json()
        with medspa_scope(world["medspa"]):
            assert Location.objects.filter(medspa=cast.medspa_a).count() == 1


class TestSlotsEndpoint:
    def url(self, world):
        return f"/api/v1/appointment-types/{world['type'].pk}/slots/"

    def test_it_agrees_with_open_slots(self, cast, world):
        world["type"].rooms.clear()
        location = world["location"]
        from scheduling.models import Resource

        with medspa_scope(world["medspa"]):
            room = Resource.objects.create(medspa=cast.medspa_a, location=location, name="Room 1")
        world["type"].rooms.add(room)
        day = day_ahead()
        book_directly(world, at(day, 10))
        response = api(cast.provider_a2).get(self.url(world), {"date": day.isoformat()})
        assert response.status_code == 200
        body = response.json()
        assert body["date"] == day.isoformat() and body["time_zone"] == "America/Los_Angeles"
        with medspa_scope(world["medspa"]):
            expected = slots.open_slots(world["type"], day)
        assert len(expected) > 20
        got = [
            (datetime.fromisoformat(row["start"]), datetime.fromisoformat(row["end"]), row["provider"],
             row["resource"])
            for row in body["slots"]
        ]  # fmt: skip
        assert got == [(s.start, s.end, s.provider_id, s.resource_id) for s in expected]
        assert all(row["resource"] == room.pk for row in body["slots"])
        first = body["slots"][0]["start"]
        assert first == at(day, 9).isoformat()  # the location's wall clock, with its offset
        assert datetime.fromisoformat(first).utcoffset() == at(day, 9).utcoffset()
        starts = {datetime.fromisoformat(row["start"]) for row in body["slots"]}
        assert at(day, 10) not in starts and at(day, 10, 45) in starts

        mine = api(cast.admin_a).get(
            self.url(world), {"date": day.isoformat(), "provider": world["provider"].pk}
        )
        assert mine.json()["slots"] == body["slots"]

    def test_first_available_agrees_with_first_available(self, cast, world):
        today = timezone.now().astimezone(LA).date()
        # Today and tomorrow are off, so the first slot is the day after.
        for offset in (0, 1):
            factories_off = {"medspa": cast.medspa_a, "provider": world["provider"], "kind": "off",
                             "date": today + timedelta(days=offset)}  # fmt: skip
            from scheduling.models import AvailabilityOverride

            with medspa_scope(world["medspa"]):
                AvailabilityOverride.objects.create(**factories_off)
        response = api(cast.admin_a).get(self.url(world), {"first_available": "true", "days": 30})
        assert response.status_code == 200
        with medspa_scope(world["medspa"]):
            expected = slots.first_available(world["type"], days=30)
        assert expected is not None and expected.start == at(today + timedelta(days=2), 9)
        slot = response.json()["slot"]
        assert datetime.fromisoformat(slot["start"]) == expected.start
        assert slot["provider"] == expected.provider_id and slot["resource"] is None
        assert response.json()["days"] == 30
        none_soon = api(cast.admin_a).get(self.url(world), {"first_available": "true", "days": 2})
        assert none_soon.status_code == 200 and none_soon.json()["slot"] is None

    def test_an_inactive_type_or_location_has_no_slots(self, world, coordinator):
        day = day_ahead().isoformat()
        with medspa_scope(world["medspa"]):
            Location.objects.filter(pk=world["location"].pk).update(is_active=False)
        assert api(coordinator).get(self.url(world), {"date": day}).json()["slots"] == []
        first = api(coordinator).get(self.url(world), {"first_available": "true"}).json()
        assert first["slot"] is None

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({}, "date"),
            ({"date": "2030-02-30"}, "date"),
            ({"date": "tomorrow"}, "date"),
            ({"date": "2030-01-01", "provider": "OTHER_MEDSPA"}, "provider"),
            ({"date": "2030-01-01", "provider": "NOT_OFFERING"}, "provider"),
            ({"date": "2030-01-01", "provider": "999999"}, "provider"),
            ({"first_available": "true", "days": "0"}, "days"),
            ({"first_available": "true", "days": "many"}, "days"),
            ({"first_available": "perhaps"}, "first_available"),
        ],
    )
    def test_bad_query_parameters_are_400(self, cast, world, params, field):
        values = {
            "OTHER_MEDSPA": membership(cast.provider_b).pk,
            "NOT_OFFERING": membership(cast.provider_a2).pk,
        }
        params = {name: values.get(value, value) for name, value in params.items()}
        response = api(cast.admin_a).get(self.url(world), params)
        assert response.status_code == 400, response.json()
        assert field in response.json()


@pytest.mark.django_db(transaction=True)
def test_twenty_clients_booking_one_slot_at_once_make_exactly_one_appointment(
    transactional_db, cast, monkeypatch
):
    """Real threads, each with its own connection to real PostgreSQL, released together through the API."""
    # Only the race matters here, not the notifications (they have their own tests): the hook is silenced.
    monkeypatch.setattr("scheduling.services.hooks.appointment_changed", lambda *args, **kwargs: None)
    provider = membership(cast.provider_a1)
    coordinator = factories.MembershipFactory(
        medspa=cast.medspa_a, is_provider=False, is_coordinator=True
    ).user
    _, appointment_type = factories.scheduling_world(cast.medspa_a, [provider])
    patients = [factories.PatientFactory(medspa=cast.medspa_a) for _ in range(20)]
    start = at(day_ahead(), 10).isoformat()
    barrier = threading.Barrier(20)
    results: list[tuple[int, object]] = []
    lock = threading.Lock()

    def attempt(patient):
        try:
            client = APIClient()
            client.force_authenticate(user=coordinator)
            data = {"appointment_type": appointment_type.pk, "patient": patient.pk, "provider": provider.pk,
                    "start": start}  # fmt: skip
            barrier.wait()
            response = client.post(APPOINTMENTS, data, format="json")
            outcome = (response.status_code, response.json())
        except Exception as error:  # anything unexpected is reported by the assertions
            outcome = (0, repr(error))
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt, args=(patient,)) for patient in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    codes = sorted(code for code, _ in results)
    assert codes == [201] + [409] * 19, results
    assert all("no longer available" in body["detail"] for code, body in results if code == 409), results
    with medspa_scope(cast.medspa_a):
        assert Appointment.objects.filter(status__in=ACTIVE_STATUSES).count() == 1
        assert Appointment.objects.count() == 1
